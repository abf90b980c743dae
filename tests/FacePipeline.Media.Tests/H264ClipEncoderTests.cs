using System.Globalization;
using System.Runtime.CompilerServices;
using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>Extract real clips, encode the frames back with their audio, and check the result with ffprobe.</summary>
public sealed class H264ClipEncoderTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    [Theory]
    [InlineData("grid_bbaf2n.mp4", "25/1")]
    [InlineData("obama_wh_closeup.mp4", "2997/100")]
    [InlineData("video_01.mp4", "30000/1001")]
    public async Task Round_trip_keeps_frame_count_exact_rate_duration_and_audio(string clip, string rate)
    {
        var input = RepoPaths.MediaFile(clip);
        var scratch = _folders.New("encode-" + Path.GetFileNameWithoutExtension(clip));
        var extraction = await FrameExtractor.ExtractAsync(input, Path.Combine(scratch, "frames"), new FrameExtractionOptions { ChunkSize = 32 });
        Assert.Equal(rate, extraction.FrameRate.ToString());

        var encoded = await H264ClipEncoder.EncodeAsync(extraction, Path.Combine(scratch, "out.mp4"));

        Assert.Equal(extraction.FrameCount, encoded.FrameCount);
        Assert.Empty(Directory.GetFiles(scratch, "*.partial"));
        var video = Ffprobe.Stream(encoded.OutputPath, "v:0", "codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames,start_time,duration", countFrames: true);
        Assert.Equal("h264", video.GetProperty("codec_name").GetString());
        Assert.Equal("yuv420p", video.GetProperty("pix_fmt").GetString());
        Assert.Equal(extraction.Width, video.GetProperty("width").GetInt32());
        Assert.Equal(extraction.Height, video.GetProperty("height").GetInt32());
        Assert.Equal(rate, video.GetProperty("r_frame_rate").GetString());
        Assert.Equal(Ffprobe.CountFrames(input).ToString(CultureInfo.InvariantCulture), video.GetProperty("nb_read_frames").GetString());

        // Same duration (well within one frame), and the video keeps its start relative to the audio
        // (video_01's video starts 1001/30000 s after its audio; the mp4 edit list stores it in milliseconds).
        var frame = 1 / Rational.Parse(rate).ToDouble();
        var source = Ffprobe.Stream(input, "v:0", "start_time,duration");
        Assert.InRange(Seconds(video, "duration"), Seconds(source, "duration") - 0.002, Seconds(source, "duration") + 0.002);
        Assert.InRange(Seconds(video, "start_time"), Seconds(source, "start_time") - 0.002, Seconds(source, "start_time") + 0.002);
        Assert.InRange(Ffprobe.FormatDuration(encoded.OutputPath), Ffprobe.FormatDuration(input) - frame, Ffprobe.FormatDuration(input) + frame);

        Assert.True(encoded.HasAudio);
        Assert.Equal("aac", Ffprobe.Stream(encoded.OutputPath, "a:0", "codec_name").GetProperty("codec_name").GetString());
    }

    [Fact]
    public async Task Round_trip_pixels_stay_close_to_the_source()
    {
        var input = RepoPaths.MediaFile("grid_swiz3n.mp4");
        var scratch = _folders.New("encode-quality");
        var extraction = await FrameExtractor.ExtractAsync(input, Path.Combine(scratch, "frames"));
        var encoded = await H264ClipEncoder.EncodeAsync(extraction, Path.Combine(scratch, "out.mp4"));

        var again = await FrameExtractor.ExtractAsync(encoded.OutputPath, Path.Combine(scratch, "again"));

        Assert.Equal(extraction.FrameCount, again.FrameCount);
        var a = new byte[extraction.FrameSizeBytes];
        var b = new byte[extraction.FrameSizeBytes];
        await using (var first = FrameRangeReader.Open(extraction.SourcePath, FrameTimeline.Load(extraction.TimelinePath), extraction.Width, extraction.Height, 40, 1))
        {
            Assert.True(await first.ReadNextAsync(a, CancellationToken.None));
        }

        await using (var second = FrameRangeReader.Open(again.SourcePath, FrameTimeline.Load(again.TimelinePath), again.Width, again.Height, 40, 1))
        {
            Assert.True(await second.ReadNextAsync(b, CancellationToken.None));
        }

        var meanAbsoluteError = a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
        Assert.InRange(meanAbsoluteError, 0, 3.0);
    }

    [Fact]
    public async Task Odd_sized_frames_are_padded_to_even_and_silent_clip_has_no_audio()
    {
        const int Width = 101, Height = 75, Frames = 10;
        var output = Path.Combine(_folders.New("encode-odd"), "odd.mp4");

        var encoded = await H264ClipEncoder.EncodeAsync(Gradient(Width, Height, Frames), Width, Height, new Rational(30000, 1001), audioPath: null, output);

        Assert.Equal((102, 76), (encoded.Width, encoded.Height));
        var video = Ffprobe.Stream(output, "v:0", "width,height,r_frame_rate,nb_read_frames", countFrames: true);
        Assert.Equal(102, video.GetProperty("width").GetInt32());
        Assert.Equal(76, video.GetProperty("height").GetInt32());
        Assert.Equal("30000/1001", video.GetProperty("r_frame_rate").GetString());
        Assert.Equal("10", video.GetProperty("nb_read_frames").GetString());
        Assert.False(Ffprobe.HasStream(output, "a"));
    }

    [Fact]
    public async Task Wrong_sized_frame_fails_and_leaves_no_file()
    {
        var output = Path.Combine(_folders.New("encode-bad"), "bad.mp4");

        await Assert.ThrowsAsync<ArgumentException>(
            () => H264ClipEncoder.EncodeAsync(WrongSize(), 64, 48, new Rational(25, 1), null, output));

        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"));
    }

    [Fact]
    public async Task Unreadable_audio_fails_with_ffmpegs_reason_and_leaves_no_file()
    {
        var scratch = _folders.New("encode-bad-audio");
        var audio = Path.Combine(scratch, "audio.mka");
        await File.WriteAllTextAsync(audio, "not audio at all");
        var output = Path.Combine(scratch, "out.mp4");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => H264ClipEncoder.EncodeAsync(Gradient(64, 48, 50), 64, 48, new Rational(25, 1), audio, output));

        Assert.True(ex.Message.Contains("Invalid data found when processing input", StringComparison.Ordinal), ex.Message);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"));
    }

    private static double Seconds(System.Text.Json.JsonElement stream, string name) =>
        double.Parse(stream.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Gradient(int width, int height, int frames, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[width * height * 3];
        for (var f = 0; f < frames; f++)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = (byte)((i / 3 % width) + (f * 10));
            }

            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return buffer;
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> WrongSize()
    {
        await Task.Yield();
        yield return new byte[64 * 48 * 3];
        yield return new byte[10];
    }

    public void Dispose() => _folders.Dispose();
}
