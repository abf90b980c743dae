using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Media.Tests;

/// <summary>
/// An output encoded in segments by several workers and joined without re-encoding (issue 16), against the same frames
/// encoded in one piece, checked with ffprobe and ffmpeg (not through the code under test): the same frames at the same
/// times, the same audio packets, the segments' video packets copied as they are, and no seam to see.
/// </summary>
public sealed class ClipSegmentsTests(ITestOutputHelper output) : IDisposable
{
    private const int Width = 160;
    private const int Height = 120;
    private const int Frames = 72;

    /// <summary>testsrc2's moving pattern, decoded once for the whole class.</summary>
    private static readonly Lazy<List<byte[]>> Source = new(() => TestSource(Width, Height, Frames));

    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    public static TheoryData<string> Cases => [.. CaseNames];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_clip_joined_from_segments_has_the_frames_timestamps_and_audio_of_the_one_piece_encode(string name)
    {
        var scratch = _folders.New("segments-join");
        var c = CaseNamed(name);
        var audio = c.Audio is null ? null : Audio(scratch, c.Audio);
        var options = new H264EncodeOptions { Timing = c.Timing, VideoStartOffset = c.Offset };
        var frames = Source.Value;

        var clock = Stopwatch.StartNew();
        var onePiece = await H264ClipEncoder.EncodeAsync(Replay(frames, 0, Frames), Width, Height, c.Rate, audio, Path.Combine(scratch, "one.mp4"), options);
        var onePieceTime = clock.Elapsed;
        var (segments, segmentTimes) = await EncodeH264Segments(scratch, frames, c.Rate, c.Timing, c.Starts, options);
        clock.Restart();
        var joined = await ClipSegments.JoinH264Async(segments, Width, Height, c.Rate, c.Timing, audio, Path.Combine(scratch, "joined.mp4"), options);
        var joinTime = clock.Elapsed;
        output.WriteLine(Figures($"{name}: one piece {onePieceTime.TotalMilliseconds:F0} ms; segments {string.Join(" + ", segmentTimes.Select(t => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)))} = {segmentTimes.Sum(t => t.TotalMilliseconds):F0} ms, join {joinTime.TotalMilliseconds:F0} ms"));

        Assert.Equal(onePiece with { OutputPath = joined.OutputPath }, joined);
        Assert.Single(segments.Select(s => ParameterSets(s.Path)).Distinct()); // one SPS/PPS for all: the joined file has only the first segment's
        Assert.Equal(Frames, Ffprobe.CountFrames(joined.OutputPath));
        AssertSameVideo(onePiece.OutputPath, joined.OutputPath);
        Assert.Equal(FormatDuration(onePiece.OutputPath), FormatDuration(joined.OutputPath));
        if (audio is not null)
        {
            var audioPackets = Packets(joined.OutputPath, "a:0", hashes: true);
            Assert.NotEmpty(audioPackets);
            Assert.Equal(Packets(onePiece.OutputPath, "a:0", hashes: true), audioPackets);
        }

        Assert.Empty(Directory.GetFiles(scratch, "*.partial"));
        Assert.Empty(Directory.GetFiles(scratch, "*.ffconcat"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task A_consuming_join_gives_the_clip_a_keeping_join_gives_and_leaves_none_of_the_segments(int caseIndex)
    {
        var scratch = _folders.New("segments-consume");
        var c = CaseNamed(CaseNames[caseIndex]);
        var audio = c.Audio is null ? null : Audio(scratch, c.Audio);
        var options = new H264EncodeOptions { Timing = c.Timing, VideoStartOffset = c.Offset };
        var (kept, _) = await EncodeH264Segments(_folders.New("segments-kept"), Source.Value, c.Rate, c.Timing, c.Starts, options);
        var (consumed, _) = await EncodeH264Segments(scratch, Source.Value, c.Rate, c.Timing, c.Starts, options);

        var keeping = await ClipSegments.JoinH264Async(kept, Width, Height, c.Rate, c.Timing, audio, Path.Combine(scratch, "kept.mp4"), options);
        var consuming = await ClipSegments.JoinH264Async(consumed, Width, Height, c.Rate, c.Timing, audio, Path.Combine(scratch, "consumed.mp4"), options, consume: true);

        Assert.Equal(keeping with { OutputPath = consuming.OutputPath }, consuming);
        Assert.Equal(Packets(keeping.OutputPath, "v:0", hashes: true), Packets(consuming.OutputPath, "v:0", hashes: true));
        Assert.Equal(Packets(keeping.OutputPath, "a:0", hashes: true), Packets(consuming.OutputPath, "a:0", hashes: true));
        Assert.All(kept, s => Assert.True(File.Exists(s.Path)));
        Assert.All(consumed, s => Assert.False(File.Exists(s.Path), $"{s.Path} is still there"));
        Assert.Empty(Directory.GetFiles(scratch, "*.partial"));
    }

    [Fact]
    public void A_segment_counts_as_joined_only_once_the_output_is_the_margin_past_the_next_segments_start_and_the_last_never()
    {
        long[] starts = [0, 10_000_000, 20_000_000, 30_000_000]; // four 10 s segments
        var margin = TimeSpan.FromSeconds(11);

        Assert.Equal(0, ClipSegments.JoinedPast(starts, 0, margin));
        Assert.Equal(0, ClipSegments.JoinedPast(starts, 20_999_999, margin)); // the muxer may be 11 s ahead of the demuxer: segment 0 may still be open
        Assert.Equal(1, ClipSegments.JoinedPast(starts, 21_000_000, margin));
        Assert.Equal(2, ClipSegments.JoinedPast(starts, 31_000_000, margin));
        Assert.Equal(3, ClipSegments.JoinedPast(starts, 41_000_000, margin));
        Assert.Equal(3, ClipSegments.JoinedPast(starts, long.MaxValue / 2, margin)); // the last goes with the finished output
        Assert.Equal(0, ClipSegments.JoinedPast([0], long.MaxValue / 2, margin));
    }

    [Fact]
    public async Task Joining_copies_the_segments_video_packets_without_re_encoding()
    {
        var scratch = _folders.New("segments-copy");
        var rate = new Rational(30000, 1001);
        var (segments, _) = await EncodeH264Segments(scratch, Source.Value, rate, null, [0, 29, 30], new H264EncodeOptions());

        var joined = await ClipSegments.JoinH264Async(segments, Width, Height, rate, null, null, Path.Combine(scratch, "joined.mp4"));

        // Each segment is a closed run: it starts on an IDR picture, and all were encoded with the same parameter sets (the
        // joined file carries the first segment's).
        Assert.All(segments, s => Assert.False(Ffprobe.HasStream(s.Path, "a")));
        Assert.Single(segments.Select(s => ParameterSets(s.Path)).Distinct());
        var keyFrames = KeyFrames(joined.OutputPath);
        Assert.All(segments, s => Assert.Contains(s.FirstFrame, keyFrames));

        // The joined video packets are the segments' packets, byte for byte, in order (each segment put in MP4 by ffmpeg
        // alone, so both sides hold length-prefixed NAL units): nothing was re-encoded.
        var copied = new List<string>();
        foreach (var segment in segments)
        {
            var remuxed = segment.Path + ".mp4";
            Ffprobe.Ffmpeg($"-i \"{segment.Path}\" -map 0:v:0 -c copy -f mp4 \"{remuxed}\"");
            copied.AddRange(PacketHashesInFileOrder(remuxed));
        }

        var joinedHashes = PacketHashesInFileOrder(joined.OutputPath);
        Assert.Equal(Frames, joinedHashes.Count);
        Assert.Equal(copied, joinedHashes);
    }

    [Fact]
    public async Task No_seam_is_visible()
    {
        // Face footage at the default settings, cut as the coordinator cuts (no tiny segment), three uneven segments.
        var scratch = _folders.New("segments-seams");
        var rate = new Rational(25, 1);
        int[] starts = [0, 20, 45];
        var source = Path.Combine(scratch, "source.rgb");
        Ffprobe.Ffmpeg($"-i \"{RepoPaths.MediaFile("grid_lbbc2a.mp4")}\" -map 0:v:0 -frames:v {Frames} -vf scale={Width}:{Height} -pix_fmt rgb24 -f rawvideo \"{source}\"");
        var frames = DecodeBytes(await File.ReadAllBytesAsync(source), Width, Height);
        Assert.Equal(Frames, frames.Count);
        var onePiece = await H264ClipEncoder.EncodeAsync(Replay(frames, 0, Frames), Width, Height, rate, null, Path.Combine(scratch, "one.mp4"));
        var (segments, _) = await EncodeH264Segments(scratch, frames, rate, null, starts, new H264EncodeOptions());
        var joined = await ClipSegments.JoinH264Async(segments, Width, Height, rate, null, null, Path.Combine(scratch, "joined.mp4"));

        // PSNR per frame (ffmpeg's psnr filter, Y'CbCr 4:2:0): joined against one piece, and each against the source. A seam
        // would show as a frame next to it (the last before it, or the IDR picture after it) further from the one-piece
        // picture, or from the source, than the frames around it.
        var psnr = FramePsnr(joined.OutputPath, onePiece.OutputPath);
        var toSource = FramePsnr(joined.OutputPath, source);
        var onePieceToSource = FramePsnr(onePiece.OutputPath, source);
        Assert.Equal(Frames, psnr.Count);
        var seams = starts.Skip(1).SelectMany(s => new[] { s - 1, s }).ToList();
        var (median, sourceMedian) = (Median(psnr), Median(toSource));
        output.WriteLine(Figures($"PSNR joined vs one piece: median {median:F2} dB, min {psnr.Min():F2} dB; at the seams {string.Join(", ", seams.Select(s => Figures($"frame {s}: {psnr[s]:F2}")))}"));
        output.WriteLine(Figures($"PSNR to the source: joined median {sourceMedian:F2} dB, mean {toSource.Average():F2}, min {toSource.Min():F2}; one piece median {Median(onePieceToSource):F2}, mean {onePieceToSource.Average():F2}, min {onePieceToSource.Min():F2}; joined at the seams {string.Join(", ", seams.Select(s => Figures($"frame {s}: {toSource[s]:F2}")))}"));
        output.WriteLine("PSNR joined vs one piece, per frame (inf: the same picture): " + string.Join(" ", psnr.Select(p => p.ToString("F1", CultureInfo.InvariantCulture))));
        output.WriteLine("PSNR joined vs source, per frame: " + string.Join(" ", toSource.Select(p => p.ToString("F1", CultureInfo.InvariantCulture))));

        Assert.All(psnr.Select((p, i) => (p, i)), x => Assert.True(x.p >= 40, Figures($"frame {x.i}: {x.p:F2} dB from the one-piece frame")));
        Assert.All(seams, s => Assert.True(psnr[s] >= median - 3, Figures($"the frame at the seam {s} is {psnr[s]:F2} dB from the one-piece frame, the median {median:F2} dB")));
        Assert.All(seams, s => Assert.True(toSource[s] >= sourceMedian - 3, Figures($"the frame at the seam {s} is {toSource[s]:F2} dB from the source, the median {sourceMedian:F2} dB")));
        Assert.True(Math.Abs(toSource.Average() - onePieceToSource.Average()) < 0.5, Figures($"joined {toSource.Average():F2} dB from the source on average, one piece {onePieceToSource.Average():F2} dB"));
    }

    [Fact]
    public async Task ProRes_segments_join_into_the_one_piece_files_frames_bit_for_bit_at_the_same_times_and_with_its_audio()
    {
        // Odd size (the width is padded, the height kept), variable frame times, PCM audio that starts before the video.
        const int W = 161, H = 121, N = 40;
        var scratch = _folders.New("segments-prores");
        var frames = TestSource(W, H, N);
        var rate = new Rational(24000, 1001);
        var timing = VariableTiming(N, new Rational(1, 24000));
        var options = new ProResEncodeOptions { Timing = timing, VideoStartOffset = TimeSpan.FromSeconds(0.2), AudioFormat = ProResAudioFormat.Pcm16 };
        var audio = Audio(scratch, "wav");

        var clock = Stopwatch.StartNew();
        var onePiece = await ProResClipEncoder.EncodeAsync(Replay(frames, 0, N), W, H, rate, audio, Path.Combine(scratch, "one.mov"), options);
        var onePieceTime = clock.Elapsed;
        clock.Restart();
        var segments = new List<EncodedSegment>();
        foreach (var (first, count) in new[] { (0, 17), (17, 1), (18, 22) })
        {
            segments.Add(await ClipSegments.EncodeProResSegmentAsync(Replay(frames, first, count), W, H, rate, timing, first, count, Path.Combine(scratch, $"segment-{first:D5}.nut"), options));
        }

        var segmentTime = clock.Elapsed;
        segments.Reverse(); // the join orders them
        var joined = await ClipSegments.JoinProResAsync(segments, W, H, rate, timing, audio, Path.Combine(scratch, "joined.mov"), options);
        output.WriteLine(Figures($"ProRes: one piece {onePieceTime.TotalMilliseconds:F0} ms, three segments {segmentTime.TotalMilliseconds:F0} ms"));

        Assert.Equal(onePiece with { OutputPath = joined.OutputPath }, joined);
        Assert.True(joined.VariableFrameRate);
        AssertSameVideo(onePiece.OutputPath, joined.OutputPath);
        Assert.Equal(FormatDuration(onePiece.OutputPath), FormatDuration(joined.OutputPath));
        Assert.Equal(Packets(onePiece.OutputPath, "v:0", hashes: true), Packets(joined.OutputPath, "v:0", hashes: true));
        Assert.Equal(DecodeRaw(onePiece.OutputPath, W, H), DecodeRaw(joined.OutputPath, W, H));
        Assert.Equal(Packets(onePiece.OutputPath, "a:0", hashes: true), Packets(joined.OutputPath, "a:0", hashes: true));
    }

    [Theory]
    [InlineData("matte")]
    [InlineData("prores4444")]
    [InlineData("dnxhr")]
    public async Task Compositing_outputs_join_from_segments_into_the_one_piece_encoders_file_frame_for_frame_at_the_same_times(string kind)
    {
        // A retarget's matte, ProRes 4444 (the matte as alpha) and DNxHR are rendered in segments too: variable frame
        // times, audio for the two that carry it, segments of 17, 1 and 22 frames joined out of order.
        const int W = 258, H = 121, N = 40; // DNxHR's smallest width is 256; an odd height (padded where the codec needs it)
        var scratch = _folders.New($"segments-{kind}");
        var pictures = TestSource(W, H, N);
        var frames = kind switch
        {
            "matte" => [.. pictures.Select(p => p.Where((_, i) => i % 3 == 1).ToArray())], // one byte a pixel: the green channel
            "prores4444" => [.. pictures.Select(p => p.Concat(p.Where((_, i) => i % 3 == 0)).ToArray())], // the picture, then its matte
            _ => pictures,
        };
        var rate = new Rational(24000, 1001);
        var timing = VariableTiming(N, new Rational(1, 24000));
        var audio = kind == "matte" ? null : Audio(scratch, "wav");
        var (format, onePieceTask) = kind switch
        {
            "matte" => (SegmentFormat.Matte(new MatteEncodeOptions { Timing = timing }),
                (Func<Task<EncodedClip>>)(() => MatteClipEncoder.EncodeAsync(Replay(frames, 0, N), W, H, rate, Path.Combine(scratch, "one.mov"), new MatteEncodeOptions { Timing = timing }))),
            "prores4444" => (SegmentFormat.ProRes4444(new ProResEncodeOptions { Timing = timing }),
                () => ProResClipEncoder.EncodeWithAlphaAsync(Replay(frames, 0, N), W, H, rate, audio, Path.Combine(scratch, "one.mov"), new ProResEncodeOptions { Timing = timing })),
            _ => (SegmentFormat.Dnxhr(new DnxhrEncodeOptions { Timing = timing }),
                () => DnxhrClipEncoder.EncodeAsync(Replay(frames, 0, N), W, H, rate, audio, Path.Combine(scratch, "one.mov"), new DnxhrEncodeOptions { Timing = timing })),
        };
        var onePiece = await onePieceTask();
        var segments = new List<EncodedSegment>();
        foreach (var (first, count) in new[] { (18, 22), (0, 17), (17, 1) })
        {
            segments.Add(await ClipSegments.EncodeSegmentAsync(format, Replay(frames, first, count), W, H, rate, timing, first, count, Path.Combine(scratch, $"segment-{first:D5}.nut")));
        }

        var joined = await ClipSegments.JoinAsync(format, segments, W, H, rate, timing, audio, Path.Combine(scratch, "joined.mov"), consume: true);

        Assert.Equal(onePiece with { OutputPath = joined.OutputPath }, joined);
        Assert.All(segments, s => Assert.False(File.Exists(s.Path), $"{s.Path} was joined and should be gone."));
        AssertSameVideo(onePiece.OutputPath, joined.OutputPath);
        Assert.Equal(FormatDuration(onePiece.OutputPath), FormatDuration(joined.OutputPath));
        Assert.Equal(Packets(onePiece.OutputPath, "v:0", hashes: true), Packets(joined.OutputPath, "v:0", hashes: true));
        if (audio is not null)
        {
            Assert.Equal(Packets(onePiece.OutputPath, "a:0", hashes: true), Packets(joined.OutputPath, "a:0", hashes: true));
        }
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Segments_that_do_not_tile_the_output_are_refused()
    {
        var scratch = _folders.New("segments-gap");
        var a = Path.Combine(scratch, "a.nut");
        var b = Path.Combine(scratch, "b.nut");
        await File.WriteAllBytesAsync(a, [0]);
        await File.WriteAllBytesAsync(b, [0]);
        var rate = new Rational(25, 1);
        var target = Path.Combine(scratch, "out.mp4");

        var gap = await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(a, 0, 10), new(b, 11, 5)], 16, 16, rate, null, null, target));
        Assert.Contains("where frame 10 was expected", gap.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(a, 0, 10), new(b, 5, 10)], 16, 16, rate, null, null, target)); // overlap
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(a, 0, 10), new(b, 0, 10)], 16, 16, rate, null, null, target)); // twice
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(b, 3, 5)], 16, 16, rate, null, null, target)); // no frame 0
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(a, 0, 0)], 16, 16, rate, null, null, target)); // empty
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([], 16, 16, rate, null, null, target));
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinProResAsync([new(a, 0, 10), new(b, 10, 5)], 16, 16, rate, FrameTiming.ConstantRate(16, rate), null, target)); // short of the clip's 16 frames
        Assert.False(File.Exists(target));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Segment_starts_are_rounded_to_the_microsecond_each_on_its_own_so_no_error_accumulates()
    {
        // 1/90000 s ticks: 11.1 µs each; 100 segments whose durations rounded one by one would drift by up to 50 µs.
        var timing = FrameTiming.FromSeconds([.. Enumerable.Range(0, 1000).Select(i => i * (1 / 29.0))]);
        var segments = Enumerable.Range(0, 100).Select(k => new EncodedSegment($"/s/{k}.nut", k * 10, 10)).ToList();

        var list = ClipSegments.ConcatList(segments, new Rational(25, 1), timing, 1000);

        var durations = list.Split('\n').Where(l => l.StartsWith("duration ", StringComparison.Ordinal)).Select(l => decimal.Parse(l[9..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(100, durations.Count);
        for (var k = 1; k <= 100; k++)
        {
            var start = durations.Take(k).Sum();
            var exact = (decimal)(k < 100 ? timing.Ticks[k * 10] : timing.Ticks[^1] + timing.LastDurationTicks) / 90000;
            Assert.True(Math.Abs(start - exact) <= 0.0000005m, $"segment {k} starts at {start} s, its first frame at {exact} s");
        }
    }

    private sealed record Case(Rational Rate, FrameTiming? Timing, string? Audio, TimeSpan? Offset, int[] Starts);

    private static readonly string[] CaseNames =
    [
        "constant 30000/1001, AAC audio copied",
        "constant-rate timing whose first frame is 0.48 s into the audio (offset measured), WAV audio encoded",
        "variable frame rate, the last frame longer than the one before, AAC audio copied",
        "audio starts before the first frame (VideoStartOffset +0.3 s), 24000/1001",
        "audio starts after the first frame (VideoStartOffset -0.25 s), variable frame rate on a 1/12800 tick, WAV audio encoded",
    ];

    /// <summary>Three uneven segments each, a one-frame segment at the start, in the middle or at the end.</summary>
    private static Case CaseNamed(string name) => Array.IndexOf(CaseNames, name) switch
    {
        0 => new(new(30000, 1001), null, "aac", null, [0, 40, 41]),
        1 => new(new(25, 1), FrameTiming.ConstantRate(Frames, new(25, 1), 0.48), "wav", null, [0, 1, 30]),
        2 => new(new(25, 1), VariableTiming(Frames, null), "aac", null, [0, 50, 71]),
        3 => new(new(24000, 1001), null, "aac", TimeSpan.FromSeconds(0.3), [0, 23, 24]),
        4 => new(new(25, 1), VariableTiming(Frames, new Rational(1, 12800)), "wav", TimeSpan.FromSeconds(-0.25), [0, 10, 11]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such case."),
    };

    /// <summary>Frames mostly 1/25 s apart, some 12.3 ms late, a 0.3 s gap after frame 40, the last one shown 55 ms.</summary>
    private static FrameTiming VariableTiming(int count, Rational? timeBase)
    {
        var seconds = Enumerable.Range(0, count).Select(i => (i * 0.04) + (i % 7 == 3 ? 0.0123 : 0) + (i > 40 ? 0.3 : 0)).ToList();
        var timing = FrameTiming.FromSeconds(seconds, seconds[^1] + 0.055, timeBase);
        Assert.False(timing.IsConstantRate(new Rational(25, 1)));
        return timing;
    }

    private static async Task<(List<EncodedSegment> Segments, List<TimeSpan> Times)> EncodeH264Segments(
        string scratch, List<byte[]> frames, Rational rate, FrameTiming? timing, int[] starts, H264EncodeOptions options)
    {
        var segments = new List<EncodedSegment>();
        var times = new List<TimeSpan>();
        for (var k = 0; k < starts.Length; k++)
        {
            var first = starts[k];
            var count = (k + 1 < starts.Length ? starts[k + 1] : frames.Count) - first;
            var clock = Stopwatch.StartNew();
            var segment = await ClipSegments.EncodeH264SegmentAsync(Replay(frames, first, count), Width, Height, rate, timing, first, count, Path.Combine(scratch, $"segment-{k:D5}.nut"), options);
            times.Add(clock.Elapsed);
            Assert.Equal(new EncodedSegment(Path.Combine(scratch, $"segment-{k:D5}.nut"), first, count), segment);
            segments.Add(segment);
        }

        return (segments, times);
    }

    private static string Audio(string scratch, string kind)
    {
        var path = Path.Combine(scratch, kind == "aac" ? "audio.mka" : "audio.wav");
        Ffprobe.Ffmpeg($"-f lavfi -i sine=frequency=440:sample_rate=48000:duration=4 {(kind == "aac" ? "-c:a aac -b:a 96k" : "-c:a pcm_s16le")} \"{path}\"");
        return path;
    }

    /// <summary>The files' description (<see cref="Description"/>), and every video frame's pts, pts_time and duration (presentation order) identical.</summary>
    private static void AssertSameVideo(string expected, string actual)
    {
        Assert.Equal(Description(expected), Description(actual));
        var one = Packets(expected, "v:0", hashes: false);
        var two = Packets(actual, "v:0", hashes: false);
        Assert.Equal(one.Count, two.Count);
        Assert.Equal(one.Select(p => (p.Pts, p.Duration)), two.Select(p => (p.Pts, p.Duration)));
        Assert.Equal(FrameTimes(expected), FrameTimes(actual));
    }

    /// <summary>
    /// Everything ffprobe says about the file's streams and container (codec, profile and level, sizes, colour, field order,
    /// time base, start, duration, frame count, rates, audio format), but for what the pictures' own bits decide: sizes and bit rates.
    /// </summary>
    private static List<string> Description(string path) =>
        [.. Ffprobe.Run("ffprobe", $"-v error -show_streams -show_format -of flat \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("format.filename=", StringComparison.Ordinal) && !line.StartsWith("format.size=", StringComparison.Ordinal) && !line.Contains(".bit_rate=", StringComparison.Ordinal))];

    private static string ParameterSets(string segment) =>
        Ffprobe.Run("ffprobe", $"-v error -select_streams v:0 -show_data_hash md5 -show_entries stream=extradata_size,extradata_hash -of csv=p=0 \"{segment}\"").Trim();

    /// <summary>Every decoded frame's pts and pts_time, in presentation order.</summary>
    private static List<string> FrameTimes(string path)
    {
        using var doc = JsonDocument.Parse(Ffprobe.Run("ffprobe", $"-v error -select_streams v:0 -show_entries frame=pts,pts_time -of json \"{path}\""));
        return [.. doc.RootElement.GetProperty("frames").EnumerateArray().Select(f => $"{f.GetProperty("pts")} {f.GetProperty("pts_time")}")];
    }

    private static HashSet<int> KeyFrames(string path) =>
        [.. Ffprobe.Run("ffprobe", $"-v error -select_streams v:0 -show_entries frame=key_frame,pict_type -of csv=p=0 \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select((line, i) => (Fields: line.Trim().Split(','), i))
            .Where(x => x.Fields is ["1", "I", ..])
            .Select(x => x.i)];

    private static List<(long Pts, long Dts, long Duration, long Size, string Hash)> Packets(string path, string stream, bool hashes)
    {
        var json = Ffprobe.Run("ffprobe", $"-v error -select_streams {stream} -show_entries packet=pts,dts,duration,size{(hashes ? ",data_hash" : string.Empty)} {(hashes ? "-show_data_hash md5 " : string.Empty)}-of json \"{path}\"");
        using var doc = JsonDocument.Parse(json);
        var packets = doc.RootElement.GetProperty("packets").EnumerateArray().Select(p => (
            Pts: long.Parse(p.GetProperty("pts").ToString(), CultureInfo.InvariantCulture),
            Dts: long.Parse(p.GetProperty("dts").ToString(), CultureInfo.InvariantCulture),
            Duration: p.TryGetProperty("duration", out var d) ? long.Parse(d.ToString(), CultureInfo.InvariantCulture) : 0,
            Size: long.Parse(p.GetProperty("size").ToString(), CultureInfo.InvariantCulture),
            Hash: hashes ? p.GetProperty("data_hash").GetString()! : string.Empty)).ToList();
        return [.. packets.OrderBy(p => p.Pts)];
    }

    private static List<string> PacketHashesInFileOrder(string path) =>
        [.. Ffprobe.Run("ffprobe", $"-v error -select_streams v:0 -show_data_hash md5 -show_entries packet=data_hash -of csv=p=0 \"{path}\"").Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static string FormatDuration(string path) =>
        Ffprobe.Run("ffprobe", $"-v error -show_entries format=duration -of csv=p=0 \"{path}\"").Trim();

    private static List<byte[]> TestSource(int width, int height, int count)
    {
        var frames = DecodeBytes(Ffprobe.RunToBytes("ffmpeg", $"-v error -f lavfi -i testsrc2=size={width + (width & 1)}x{height + (height & 1)}:rate=25 -vf scale={width}:{height} -frames:v {count} -pix_fmt rgb24 -f rawvideo -"), width, height);
        Assert.Equal(count, frames.Count);
        return frames;
    }

    private static List<byte[]> DecodeRaw(string path, int width, int height) =>
        DecodeBytes(Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{path}\" -map 0:v:0 -fps_mode passthrough -vf crop={width}:{height}:0:0 -pix_fmt rgb24 -f rawvideo -"), width, height);

    private static List<byte[]> DecodeBytes(byte[] bytes, int width, int height)
    {
        var size = width * height * 3;
        return [.. Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray())];
    }

    /// <summary>
    /// Per frame, ffmpeg's PSNR (psnr_avg, Y'CbCr 4:2:0 as encoded) of <paramref name="path"/> against <paramref name="reference"/>:
    /// a clip, or raw RGB24 frames (<see cref="Width"/>x<see cref="Height"/>) converted as the encoder converts them. Frames are
    /// paired by their index; the same picture is +inf.
    /// </summary>
    private static List<double> FramePsnr(string path, string reference)
    {
        var (referenceInput, convert) = reference.EndsWith(".rgb", StringComparison.Ordinal)
            ? ($"-f rawvideo -pix_fmt rgb24 -video_size {Width}x{Height} -framerate 25 -i \"{reference}\"", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,")
            : ($"-i \"{reference}\"", string.Empty);
        var stats = Ffprobe.Run(
            "ffmpeg",
            $"-v error -i \"{path}\" {referenceInput} -lavfi \"[0:v]setpts=N/(25*TB)[a];[1:v]{convert}setpts=N/(25*TB)[b];[a][b]psnr=stats_file=-\" -f null -");
        return [.. stats.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var value = line.Split(' ').Single(f => f.StartsWith("psnr_avg:", StringComparison.Ordinal))["psnr_avg:".Length..];
            return value == "inf" ? double.PositiveInfinity : double.Parse(value, CultureInfo.InvariantCulture);
        })];
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Figures(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Replay(List<byte[]> frames, int first, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = first; i < first + count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return frames[i];
        }
    }
}
