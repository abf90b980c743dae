using System.Globalization;
using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>
/// Issue 15, timing fidelity: a variable-frame-rate clip made from real footage keeps its frame times through extraction
/// and encoding (H.264 and ProRes): frame k of the output is shown when frame k of the source was, and the durations match.
/// </summary>
public sealed class VariableFrameRateTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    /// <summary>
    /// grid_lbbc2a.mp4 (a talker, 75 frames, 25 fps, AAC) re-timed: frames 0–29 every 40 ms (25 fps), 30–44 every 80 ms
    /// (12.5 fps), 45–74 every 20 ms (50 fps): 3.02 s, the audio kept as it is.
    /// </summary>
    public static string MakeVariableRateClip(string folder)
    {
        var path = Path.Combine(folder, "vfr.mp4");
        Ffprobe.Ffmpeg(
            $"-i \"{RepoPaths.MediaFile("grid_lbbc2a.mp4")}\" -vf \"setpts='if(lt(N,30),N*0.04,if(lt(N,45),1.2+(N-30)*0.08,2.4+(N-45)*0.02))/TB'\" "
            + $"-c:v libx264 -preset veryfast -crf 18 -fps_mode passthrough -enc_time_base 1/90000 -c:a copy \"{path}\"");
        return path;
    }

    /// <summary>Presentation time of every video frame, in decoding output order, from ffprobe.</summary>
    public static List<double> FrameTimes(string path) =>
        [.. Ffprobe.Run("ffprobe", $"-v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time -of csv=p=0 \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => double.Parse(t.TrimEnd(','), CultureInfo.InvariantCulture))];

    public static double StreamDuration(string path) =>
        double.Parse(Ffprobe.Stream(path, "v:0", "duration").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);

    /// <summary>
    /// The largest gap, in units of the source's local frame interval, between frame k's time in <paramref name="output"/>
    /// and in <paramref name="source"/> (both from their first frame).
    /// </summary>
    public static double WorstOffsetInFrames(IReadOnlyList<double> source, IReadOnlyList<double> output)
    {
        var worst = 0.0;
        for (var k = 0; k < Math.Min(source.Count, output.Count); k++)
        {
            var interval = k + 1 < source.Count ? source[k + 1] - source[k] : source[k] - source[k - 1];
            worst = Math.Max(worst, Math.Abs((output[k] - output[0]) - (source[k] - source[0])) / interval);
        }

        return worst;
    }

    [Fact]
    public async Task A_variable_rate_clip_keeps_every_frames_time_through_extraction_and_encoding()
    {
        var scratch = _folders.New("vfr-encode");
        var clip = MakeVariableRateClip(scratch);
        var source = FrameTimes(clip);
        Assert.Equal(75, source.Count);
        Assert.Equal(1.2, source[30] - source[0], 3); // the clip is what it says: frame 30 at 1.20 s, frame 45 at 2.40 s
        Assert.Equal(2.4, source[45] - source[0], 3);

        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "frames"), new FrameExtractionOptions { ChunkSize = 16 });
        var timeline = FrameTimeline.Load(extraction.TimelinePath);
        Assert.Equal(75, extraction.FrameCount);
        Assert.Equal(source.Select(s => Math.Round(s, 4)), timeline.Seconds.Select(s => Math.Round(s, 4)));

        var h264 = await H264ClipEncoder.EncodeAsync(extraction, Path.Combine(scratch, "out.mp4"));
        var prores = await ProResClipEncoder.EncodeAsync(extraction, Path.Combine(scratch, "out.mov"));

        foreach (var encoded in new[] { h264, prores })
        {
            Assert.True(encoded.VariableFrameRate);
            var output = FrameTimes(encoded.OutputPath);
            Assert.Equal(75, output.Count);
            Assert.InRange(WorstOffsetInFrames(source, output), 0, 0.5); // frame k at the source's time of frame k, within half a frame
            Assert.InRange(StreamDuration(encoded.OutputPath), StreamDuration(clip) - 0.01, StreamDuration(clip) + 0.01); // 3.02 s: the last frame lasts 20 ms
            Assert.True(encoded.HasAudio);
        }

        // The same frames at one constant rate (what the encoders did before issue 15): frame 45 lands over half a second early.
        var constant = await H264ClipEncoder.EncodeAsync(extraction.ReadAllFramesAsync(), extraction.Width, extraction.Height, extraction.FrameRate, null, Path.Combine(scratch, "constant.mp4"));
        var retimed = FrameTimes(constant.OutputPath);
        Assert.False(constant.VariableFrameRate);
        Assert.True(WorstOffsetInFrames(source, retimed) > 5, $"a constant rate re-times the clip (frame 45 at {retimed[45]:F3} s instead of {source[45]:F3} s)");
    }

    [Fact]
    public async Task Frames_given_with_their_times_are_written_at_those_times_and_more_frames_than_times_fail()
    {
        var scratch = _folders.New("vfr-frames");
        double[] seconds = [0, 0.05, 0.1, 0.3, 0.31, 0.32, 0.5];
        var timing = FrameTiming.FromSeconds(seconds, endSeconds: 0.6);

        var encoded = await H264ClipEncoder.EncodeAsync(Frames(64, 48, seconds.Length), 64, 48, new Rational(10, 1), null, Path.Combine(scratch, "timed.mp4"), new H264EncodeOptions { Timing = timing });

        Assert.True(encoded.VariableFrameRate);
        Assert.Equal(seconds.Length, encoded.FrameCount);
        var output = FrameTimes(encoded.OutputPath);
        Assert.Equal(seconds, output.Select(t => Math.Round(t, 3)));
        Assert.InRange(StreamDuration(encoded.OutputPath), 0.59, 0.61);

        var tooMany = Path.Combine(scratch, "too-many.mp4");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => H264ClipEncoder.EncodeAsync(
            Frames(64, 48, seconds.Length + 1), 64, 48, new Rational(10, 1), null, tooMany, new H264EncodeOptions { Timing = timing }));
        Assert.Contains("More frames than frame times", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(tooMany));
        Assert.False(File.Exists(tooMany + ".partial"));
    }

    [Fact]
    public async Task A_constant_rate_timing_writes_the_exact_constant_rate()
    {
        var scratch = _folders.New("cfr-timing");
        var rate = new Rational(30000, 1001);

        var encoded = await H264ClipEncoder.EncodeAsync(
            Frames(64, 48, 30), 64, 48, rate, null, Path.Combine(scratch, "cfr.mp4"), new H264EncodeOptions { Timing = FrameTiming.ConstantRate(30, rate) });

        Assert.False(encoded.VariableFrameRate);
        Assert.Equal("30000/1001", Ffprobe.Stream(encoded.OutputPath, "v:0", "r_frame_rate").GetProperty("r_frame_rate").GetString());
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Frames(int width, int height, int count)
    {
        var buffer = new byte[width * height * 3];
        for (var f = 0; f < count; f++)
        {
            Array.Fill(buffer, (byte)(f * 30));
            await Task.Yield();
            yield return buffer;
        }
    }
}
