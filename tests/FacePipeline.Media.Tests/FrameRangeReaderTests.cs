using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>
/// Issue 16: no frames are stored, every stage decodes the frames it needs from the upload. A run of frames decoded from
/// the middle of a clip must be exactly the frames a one-piece decode of the whole clip gives at those indices, on the
/// awkward inputs studios send, in both layouts the stages ask for (RGB24 for the models, 4:2:0 planes for the QC
/// overlay). The reference is ffmpeg's CLI decoding the whole clip in one piece (the same rotation, size and pixel
/// format), independent of the reader.
/// </summary>
public sealed class FrameRangeReaderTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    private static readonly string[] Kinds = ["vfr", "ntsc-rotated", "open-gop-bframes", "hevc-10bit", "prores", "cut-mid-gop", "late-container-start", "duplicate-pts"];

    public static TheoryData<string, RawPixelFormat> AwkwardInputs
    {
        get
        {
            var data = new TheoryData<string, RawPixelFormat>();
            foreach (var kind in Kinds)
            {
                data.Add(kind, RawPixelFormat.Rgb24);
                data.Add(kind, RawPixelFormat.Yuv420p);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AwkwardInputs))]
    public async Task Every_run_decoded_from_the_middle_is_byte_identical_to_the_one_piece_decode(string kind, RawPixelFormat pixels)
    {
        var scratch = _folders.New("range-" + kind);
        var clip = Make(kind, scratch);
        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "clip"), new FrameExtractionOptions { ChunkSize = 7 });
        var timeline = FrameTimeline.Load(extraction.TimelinePath);
        var (w, h) = (extraction.Width, extraction.Height);
        var reference = OnePiece(clip, w, h, pixels);

        Assert.Equal(reference.Count, extraction.FrameCount);
        Assert.Equal(reference.Count, timeline.FrameCount);
        Assert.Equal(kind != "duplicate-pts", timeline.DecoderTimes); // only there do the decoder's times differ from the packets
        var decoded = new List<byte[]>();
        foreach (var chunk in extraction.Chunks)
        {
            await foreach (var frame in FrameRangeReader.ReadAllAsync(extraction.SourcePath, timeline, w, h, (int)chunk.FirstFrame, chunk.FrameCount, pixels: pixels))
            {
                decoded.Add(frame.ToArray());
            }
        }

        Assert.Equal(reference.Count, decoded.Count);
        for (var i = 0; i < reference.Count; i++)
        {
            Assert.True(reference[i].AsSpan().SequenceEqual(decoded[i]), $"{kind}: frame {i} (chunk of 7 from {i - (i % 7)}) differs from the one-piece decode");
        }

        // A few odd runs: one frame, the last frame, a run across chunks.
        foreach (var (first, count) in new[] { (reference.Count / 2, 1), (reference.Count - 1, 1), (3, reference.Count / 3) })
        {
            var k = first;
            await foreach (var frame in FrameRangeReader.ReadAllAsync(extraction.SourcePath, timeline, w, h, first, count, pixels: pixels))
            {
                Assert.True(reference[k].AsSpan().SequenceEqual(frame.Span), $"{kind}: frame {k} of the run {first}+{count} differs");
                k++;
            }

            Assert.Equal(first + count, k);
        }
    }

    /// <summary>The awkward inputs whose packets are their frames as they are: H.264 in MP4, progressive, 4:2:0, every packet's time its own.</summary>
    private static readonly HashSet<string> CountedFromPackets = ["closed-gop-audio", "vfr", "ntsc-rotated", "open-gop-bframes"];

    public static TheoryData<string> PassClips => [.. Kinds.Append("closed-gop-audio")];

    /// <summary>
    /// A track job's single-decode pass decodes its whole clip, so extraction counts a pass clip from its packets instead of
    /// decoding it (issue 16: wall time), but only where the packets are its frames as they are; everywhere else it decodes
    /// as before. Either way the clip's count, times, seeking and audio are exactly what the decode gives.
    /// </summary>
    [Theory]
    [MemberData(nameof(PassClips))]
    public async Task A_pass_clip_is_counted_from_its_packets_only_where_they_are_its_frames_and_then_as_the_decode_counts_it(string kind)
    {
        var scratch = _folders.New("pass-" + kind);
        var clip = Make(kind, scratch);

        var decoded = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "decoded"), new FrameExtractionOptions { ChunkSize = 7 });
        var counted = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "pass"), new FrameExtractionOptions { ChunkSize = 7, PassChunkSize = 14 });
        var (byDecode, byPass) = (FrameTimeline.Load(decoded.TimelinePath), FrameTimeline.Load(counted.TimelinePath));

        Assert.True(byDecode.DecodeCounted);
        Assert.Equal(CountedFromPackets.Contains(kind), !byPass.DecodeCounted);
        Assert.Equal(decoded.FrameCount, counted.FrameCount);
        Assert.Equal(byDecode.Pts, byPass.Pts);
        Assert.Equal(byDecode.Seconds, byPass.Seconds);
        Assert.Equal(
            (byDecode.Source, byDecode.DecoderTimes, byDecode.Seekable, byDecode.EndSeconds, byDecode.StreamIndex, byDecode.PlanesMatrix, byDecode.StartTimecode),
            (byPass.Source, byPass.DecoderTimes, byPass.Seekable, byPass.EndSeconds, byPass.StreamIndex, byPass.PlanesMatrix, byPass.StartTimecode));
        Assert.Equal(decoded.HasAudio, counted.HasAudio);
        if (decoded.AudioPath is { } audio)
        {
            Assert.Equal(Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{audio}\" -f s16le -"), Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{counted.AudioPath}\" -f s16le -"));
        }

        Assert.Empty(Directory.GetDirectories(Path.Combine(scratch, "pass"))); // no staging folder left
    }

    [Fact]
    public async Task A_run_past_where_a_truncated_file_stops_decoding_is_refused_as_corrupt()
    {
        var scratch = _folders.New("range-truncated");
        var whole = Path.Combine(scratch, "whole.mp4");
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=160x120:rate=25:duration=4 -c:v libx264 -preset ultrafast -g 25 -f mpegts \"{whole}\"");
        var extraction = await FrameExtractor.ExtractAsync(whole, Path.Combine(scratch, "clip"));
        var timeline = FrameTimeline.Load(extraction.TimelinePath);
        var truncated = Path.Combine(scratch, "cut.ts");
        var bytes = await File.ReadAllBytesAsync(whole);
        await File.WriteAllBytesAsync(truncated, bytes.AsMemory(0, bytes.Length / 2).ToArray()); // the upload lost its second half since

        var refused = await Assert.ThrowsAsync<MediaRejectedException>(async () =>
        {
            await foreach (var _ in FrameRangeReader.ReadAllAsync(truncated, timeline, extraction.Width, extraction.Height, 40, 50))
            {
            }
        });
        Assert.Equal(MediaRejectionKind.Corrupt, refused.Kind);
        Assert.Contains("Re-export or upload the file again", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_disposed_mid_run_leaves_no_ffmpeg_behind()
    {
        var scratch = _folders.New("range-dispose");
        var clip = Path.Combine(scratch, "clip.mp4");
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=320x240:rate=25:duration=20 -c:v libx264 -preset ultrafast \"{clip}\"");
        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "x"));

        var reader = FrameRangeReader.Open(clip, FrameTimeline.Load(extraction.TimelinePath), 320, 240, 10, 400);
        var frame = new byte[reader.FrameBytes];
        Assert.True(await reader.ReadNextAsync(frame, CancellationToken.None));
        // This reader's ffmpeg: the one reading this test's clip (other tests run ffmpeg at the same time).
        var ours = ProcessTable.WithCommandLine(clip).Where(p => p.Name == "ffmpeg" && p.IsAlive()).ToList();
        Assert.NotEmpty(ours); // a decoder runs (blocked on the pipe: 389 frames to go)
        await reader.DisposeAsync();

        Assert.All(ours, p => Assert.False(p.IsAlive(), $"ffmpeg {p.Id} still runs after the reader was disposed"));
    }

    /// <summary>Builds a small awkward clip with ffmpeg's own test source (moving content: a shifted frame shows).</summary>
    private static string Make(string kind, string folder)
    {
        const string Source = "-f lavfi -i testsrc2=size=160x120:rate=25:duration=4";
        var path = Path.Combine(folder, kind + (kind switch { "prores" => ".mov", "late-container-start" => ".ts", _ => ".mp4" }));
        switch (kind)
        {
            case "vfr":
                path = VariableFrameRateTests.MakeVariableRateClip(folder); // a talker re-timed to 25, 12.5 and 50 fps, B-frames
                break;
            case "ntsc-rotated":
                var plain = Path.Combine(folder, "plain.mp4");
                Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=160x120:rate=30000/1001:duration=4 -c:v libx264 -preset veryfast \"{plain}\"");
                Ffprobe.Ffmpeg($"-i \"{plain}\" -c copy -metadata:s:v:0 rotate=90 \"{path}\"");
                break;
            case "open-gop-bframes":
                Ffprobe.Ffmpeg($"{Source} -c:v libx264 -preset medium -x264-params open-gop=1:keyint=24:min-keyint=24:scenecut=0:bframes=3:b-pyramid=normal \"{path}\"");
                break;
            case "hevc-10bit":
                Ffprobe.Ffmpeg($"{Source} -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -x265-params log-level=error:keyint=20:bframes=4 \"{path}\"");
                break;
            case "prores":
                Ffprobe.Ffmpeg($"{Source} -c:v prores_ks -profile:v 3 \"{path}\"");
                break;
            case "cut-mid-gop":
                // Stream-copied from 1.3 s into a long-GOP clip: the file starts before its first key frame (an edit list
                // hides the frames before 1.3 s), so its first key frame is not at 0.
                var longGop = Path.Combine(folder, "long-gop.mp4");
                Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=160x120:rate=25:duration=6 -c:v libx264 -preset veryfast -g 50 -bf 2 \"{longGop}\"");
                Ffprobe.Ffmpeg($"-ss 1.3 -i \"{longGop}\" -c copy \"{path}\"");
                break;
            case "duplicate-pts":
                // Re-timed to 50 fps on the source's 1/25 s clock: pairs of frames get the same pts, which the muxer parts by
                // one tick and the decoder replaces by guesses from the dts that depend on what it decoded before (and the
                // last two frames share one time): such frames cannot be picked by time, only counted from the start.
                Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=160x120:rate=25:duration=3 -vf \"setpts='if(lt(N,30),N*0.04,if(lt(N,45),1.2+(N-30)*0.08,2.4+(N-45)*0.02))/TB'\" -c:v libx264 -preset veryfast -crf 18 -fps_mode passthrough -enc_time_base 1/90000 \"{path}\"");
                break;
            case "closed-gop-audio":
                // As the bench clips and most cameras' H.264: closed GOPs with B-frames, with a sound track.
                Ffprobe.Ffmpeg($"{Source} -f lavfi -i sine=frequency=440:duration=4 -c:v libx264 -preset veryfast -g 25 -bf 2 -c:a aac -shortest \"{path}\"");
                break;
            case "late-container-start":
                // MPEG-TS: the container's clock starts at 1.4 s, not 0.
                Ffprobe.Ffmpeg($"{Source} -c:v libx264 -preset veryfast -g 30 -f mpegts \"{path}\"");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        return path;
    }

    /// <summary>The whole clip decoded in one piece by ffmpeg's CLI, as the pipeline decodes frames (rotation applied, display size, RGB24 or 4:2:0, every frame).</summary>
    private static List<byte[]> OnePiece(string clip, int width, int height, RawPixelFormat pixels = RawPixelFormat.Rgb24)
    {
        var format = pixels == RawPixelFormat.Rgb24 ? "rgb24" : "yuv420p";
        var bytes = Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{clip}\" -map 0:v:0 -vf scale={width}:{height} -pix_fmt {format} -fps_mode passthrough -f rawvideo -");
        var size = pixels == RawPixelFormat.Rgb24 ? width * height * 3 : (width * height) + (2 * ((width + 1) / 2) * ((height + 1) / 2));
        Assert.Equal(0, bytes.Length % size);
        return [.. Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray())];
    }
}
