using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Media.Tests;

/// <summary>
/// An output encoded in segments by several workers and joined without re-encoding (issue 16) against the same output
/// encoded in one piece, checked with ffprobe and ffmpeg (not through the code under test): the same frames at the same
/// times, the same audio packets, the segments' video packets copied as they are, and no seam to see.
/// </summary>
public sealed class ClipSegmentsTests(ITestOutputHelper output) : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Theory]
    [InlineData("grid_bbaf2n.mp4")] // 25 fps, AAC audio copied
    [InlineData("video_01.mp4")] // 30000/1001
    [InlineData("obama_wh_closeup.mp4")] // 2997/100, 720p
    public async Task A_clip_joined_from_segments_has_the_frames_timestamps_and_audio_of_the_one_piece_encode(string clip)
    {
        var scratch = _folders.New("segments-" + Path.GetFileNameWithoutExtension(clip));
        var extraction = await FrameExtractor.ExtractAsync(RepoPaths.MediaFile(clip), Path.Combine(scratch, "clip"));
        var frames = await DecodeAll(extraction);
        var timing = FrameTiming.FromTimeline(FrameTimeline.Load(extraction.TimelinePath), extraction.Duration.TotalSeconds);
        var options = new H264EncodeOptions { Timing = timing };
        var (w, h, rate) = (extraction.Width, extraction.Height, extraction.FrameRate);

        var onePiece = await H264ClipEncoder.EncodeAsync(Replay(frames, 0, frames.Count), w, h, rate, extraction.AudioPath, Path.Combine(scratch, "one.mp4"), options);
        var joined = await JoinedH264(scratch, frames, w, h, rate, timing, extraction.AudioPath, [0, 1, 2, frames.Count / 2]);

        Assert.Equal(onePiece.FrameCount, joined.FrameCount);
        AssertSameTiming(onePiece.OutputPath, joined.OutputPath);
        Assert.Equal(Packets(onePiece.OutputPath, "a:0", hashes: true), Packets(joined.OutputPath, "a:0", hashes: true));
        Assert.Equal(FormatDuration(onePiece.OutputPath), FormatDuration(joined.OutputPath));
        Assert.Empty(Directory.GetFiles(scratch, "*.partial"));
        Assert.Empty(Directory.GetFiles(scratch, "*.ffconcat"));
    }

    [Fact]
    public async Task A_variable_frame_rate_output_joined_from_segments_keeps_every_frames_own_time()
    {
        var scratch = _folders.New("segments-vfr");
        var seconds = Enumerable.Range(0, 90).Select(i => (i * 0.04) + (i % 7 == 3 ? 0.013 : 0) + (i > 40 ? 0.3 : 0)).ToList();
        var timing = FrameTiming.FromSeconds(seconds, seconds[^1] + 0.04);
        var frames = Enumerable.Range(0, seconds.Count).Select(f => Pattern(160, 120, f)).ToList();
        var rate = new Rational(25, 1);

        var onePiece = await H264ClipEncoder.EncodeAsync(Replay(frames, 0, frames.Count), 160, 120, rate, null, Path.Combine(scratch, "one.mp4"), new H264EncodeOptions { Timing = timing });
        var joined = await JoinedH264(scratch, frames, 160, 120, rate, timing, null, [0, 30, 31, 64]);

        Assert.True(onePiece.VariableFrameRate && joined.VariableFrameRate);
        AssertSameTiming(onePiece.OutputPath, joined.OutputPath);
        Assert.Equal(FormatDuration(onePiece.OutputPath), FormatDuration(joined.OutputPath));
    }

    [Fact]
    public async Task Joining_copies_the_segments_video_packets_without_re_encoding_and_no_seam_is_visible()
    {
        var scratch = _folders.New("segments-copy");
        var extraction = await FrameExtractor.ExtractAsync(RepoPaths.MediaFile("grid_lbbc2a.mp4"), Path.Combine(scratch, "clip"), new FrameExtractionOptions { ExtractAudio = false });
        var frames = await DecodeAll(extraction);
        var timing = FrameTiming.FromTimeline(FrameTimeline.Load(extraction.TimelinePath), extraction.Duration.TotalSeconds);
        var (w, h, rate) = (extraction.Width, extraction.Height, extraction.FrameRate);
        int[] starts = [0, 25, 50];

        var joined = await JoinedH264(scratch, frames, w, h, rate, timing, null, starts);
        var onePiece = await H264ClipEncoder.EncodeAsync(Replay(frames, 0, frames.Count), w, h, rate, null, Path.Combine(scratch, "one.mp4"), new H264EncodeOptions { Timing = timing });

        // The joined file holds the segments' pictures as they were encoded: decoded, they are the segments' decoded frames
        // bit for bit, in order (a re-encode would change them), and as many packets as the segments hold.
        var segmentFiles = Directory.GetFiles(scratch, "segment-*.nut").Order(StringComparer.Ordinal).ToList();
        var joinedFrames = DecodeRaw(joined.OutputPath, w, h);
        Assert.Equal(segmentFiles.SelectMany(f => DecodeRaw(f, w, h)), joinedFrames);
        Assert.Equal(segmentFiles.Sum(f => Packets(f, "v:0", hashes: false).Count), Packets(joined.OutputPath, "v:0", hashes: false).Count);

        // No seam: every joined frame is as close to the source frame as the one-piece encode's is, the frames at the seams too.
        var onePieceFrames = DecodeRaw(onePiece.OutputPath, w, h);
        Assert.Equal(frames.Count, joinedFrames.Count);
        var psnr = frames.Select((f, i) => Psnr(f, joinedFrames[i])).ToList();
        var reference = frames.Select((f, i) => Psnr(f, onePieceFrames[i])).ToList();
        var median = psnr.Order().ElementAt(psnr.Count / 2);
        var seams = starts.Skip(1).SelectMany(s => new[] { s - 1, s }).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PSNR to the source: joined median {median:F2} dB, min {psnr.Min():F2}; one piece median {reference.Order().ElementAt(reference.Count / 2):F2}, min {reference.Min():F2}; at the seams {string.Join(", ", seams.Select(s => psnr[s].ToString("F2", CultureInfo.InvariantCulture)))}"));
        Assert.All(psnr, p => Assert.True(p >= 35, $"a joined frame at {p:F1} dB"));
        Assert.All(seams, s => Assert.True(psnr[s] >= median - 3, $"the frame at seam {s} is {psnr[s]:F1} dB, the median {median:F1}"));
        Assert.True(Math.Abs(psnr.Average() - reference.Average()) < 1.5, $"joined {psnr.Average():F2} dB against one piece {reference.Average():F2} dB");
    }

    [Fact]
    public async Task ProRes_segments_join_into_the_one_piece_files_frames_bit_for_bit_at_the_same_times()
    {
        var scratch = _folders.New("segments-prores");
        var frames = Enumerable.Range(0, 40).Select(f => Pattern(96, 64, f)).ToList();
        var rate = new Rational(24000, 1001);
        var onePiece = await ProResClipEncoder.EncodeAsync(Replay(frames, 0, frames.Count), 96, 64, rate, null, Path.Combine(scratch, "one.mov"));

        var segments = new List<EncodedSegment>();
        foreach (var (first, count) in new[] { (0, 17), (17, 1), (18, 22) })
        {
            segments.Add(await ClipSegments.EncodeProResSegmentAsync(Replay(frames, first, count), 96, 64, rate, null, first, count, Path.Combine(scratch, $"segment-{first:D5}.nut")));
        }

        var joined = await ClipSegments.JoinProResAsync(segments, 96, 64, rate, null, null, Path.Combine(scratch, "joined.mov"));

        AssertSameTiming(onePiece.OutputPath, joined.OutputPath);
        Assert.Equal(Packets(onePiece.OutputPath, "v:0", hashes: true), Packets(joined.OutputPath, "v:0", hashes: true));
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

        var gap = await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(a, 0, 10), new(b, 11, 5)], 16, 16, new Rational(25, 1), null, null, Path.Combine(scratch, "out.mp4")));
        Assert.Contains("where frame 10 was expected", gap.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(a, 0, 10), new(b, 5, 10)], 16, 16, new Rational(25, 1), null, null, Path.Combine(scratch, "out.mp4")));
        await Assert.ThrowsAsync<ArgumentException>(() => ClipSegments.JoinH264Async([new(b, 3, 5)], 16, 16, new Rational(25, 1), null, null, Path.Combine(scratch, "out.mp4")));
        Assert.False(File.Exists(Path.Combine(scratch, "out.mp4")));
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

    private static async Task<EncodedClip> JoinedH264(string scratch, List<byte[]> frames, int w, int h, Rational rate, FrameTiming? timing, string? audio, int[] starts)
    {
        var segments = new List<EncodedSegment>();
        for (var k = 0; k < starts.Length; k++)
        {
            var first = starts[k];
            var count = (k + 1 < starts.Length ? starts[k + 1] : frames.Count) - first;
            segments.Add(await ClipSegments.EncodeH264SegmentAsync(Replay(frames, first, count), w, h, rate, timing, first, count, Path.Combine(scratch, $"segment-{k:D5}.nut"), new H264EncodeOptions { Timing = timing }));
        }

        Assert.All(segments, s => Assert.False(Ffprobe.HasStream(s.Path, "a")));
        return await ClipSegments.JoinH264Async(segments, w, h, rate, timing, audio, Path.Combine(scratch, "joined.mp4"), new H264EncodeOptions { Timing = timing });
    }

    /// <summary>Frame count, time base, and every frame's pts and duration (presentation order) identical.</summary>
    private static void AssertSameTiming(string expected, string actual)
    {
        Assert.Equal(Ffprobe.Stream(expected, "v:0", "time_base,start_time,duration").ToString(), Ffprobe.Stream(actual, "v:0", "time_base,start_time,duration").ToString());
        var one = Packets(expected, "v:0", hashes: false);
        var two = Packets(actual, "v:0", hashes: false);
        Assert.Equal(one.Count, two.Count);
        Assert.Equal(one.Select(p => (p.Pts, p.Duration)), two.Select(p => (p.Pts, p.Duration)));
    }

    private static List<(long Pts, long Duration, long Size, string Hash)> Packets(string path, string stream, bool hashes)
    {
        var json = Ffprobe.Run("ffprobe", $"-v error -select_streams {stream} -show_entries packet=pts,dts,duration,size{(hashes ? ",data_hash" : string.Empty)} {(hashes ? "-show_data_hash adler32 " : string.Empty)}-of json \"{path}\"");
        using var doc = JsonDocument.Parse(json);
        var packets = doc.RootElement.GetProperty("packets").EnumerateArray().Select(p => (
            Pts: long.Parse(p.GetProperty("pts").ToString(), CultureInfo.InvariantCulture),
            Duration: p.TryGetProperty("duration", out var d) ? long.Parse(d.ToString(), CultureInfo.InvariantCulture) : 0,
            Size: long.Parse(p.GetProperty("size").ToString(), CultureInfo.InvariantCulture),
            Hash: hashes ? p.GetProperty("data_hash").GetString()! : string.Empty)).ToList();
        return [.. packets.OrderBy(p => p.Pts)];
    }

    private static string FormatDuration(string path) =>
        Ffprobe.Run("ffprobe", $"-v error -show_entries format=duration -of csv=p=0 \"{path}\"").Trim();

    private static async Task<List<byte[]>> DecodeAll(FrameExtractionResult extraction)
    {
        var frames = new List<byte[]>();
        await foreach (var frame in extraction.ReadAllFramesAsync())
        {
            frames.Add(frame.ToArray());
        }

        return frames;
    }

    private static List<byte[]> DecodeRaw(string path, int width, int height)
    {
        var bytes = Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{path}\" -map 0:v:0 -fps_mode passthrough -vf crop={width}:{height}:0:0 -pix_fmt rgb24 -f rawvideo -");
        var size = width * height * 3;
        return [.. Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray())];
    }

    private static double Psnr(byte[] a, byte[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }

        var mse = sum / a.Length;
        return mse == 0 ? 99 : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    private static byte[] Pattern(int width, int height, int frame)
    {
        var buffer = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                buffer[i] = (byte)((x * 3) + (frame * 7));
                buffer[i + 1] = (byte)((y * 4) + (frame * 3));
                buffer[i + 2] = (byte)(((x + y + (frame * 5)) % 32) * 8);
            }
        }

        return buffer;
    }

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
