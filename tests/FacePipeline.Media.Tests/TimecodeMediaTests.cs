using System.Globalization;
using System.Text.Json;

namespace FacePipeline.Media.Tests;

/// <summary>
/// Timecode end to end through ffmpeg (issue 18): <see cref="Timecode"/> against ffmpeg's own timecode track, a source's
/// start timecode into timeline.json, and every encoder's output (and a join of segments) starting there, read back with
/// ffprobe.
/// </summary>
public sealed class TimecodeMediaTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    /// <summary>
    /// ffmpeg's MOV muxer stores a timecode track's start as a frame number (the tmcd sample) computed from the label it is
    /// given, and its demuxer makes the label again from that number: both directions of ours against ffmpeg's, across the
    /// drop-frame minutes.
    /// </summary>
    [Theory]
    [InlineData(30000, 1001, true, 0)]
    [InlineData(30000, 1001, true, 1799)]
    [InlineData(30000, 1001, true, 1800)]
    [InlineData(30000, 1001, true, 17982)]
    [InlineData(30000, 1001, true, 107892)]
    [InlineData(30000, 1001, true, 2_589_407)]
    [InlineData(60000, 1001, true, 3600)]
    [InlineData(60000, 1001, true, 215_784)]
    [InlineData(24000, 1001, false, 86_399)]
    [InlineData(25, 1, false, 900_024)]
    [InlineData(50, 1, false, 180_049)]
    public void Ffmpeg_stores_the_frame_number_of_our_label_and_reads_it_back_as_our_label(long numerator, long denominator, bool dropFrame, long frame)
    {
        var rate = new Rational(numerator, denominator);
        var label = Timecode.FromFrameNumber(frame, rate, dropFrame).ToString();
        var clip = Path.Combine(_folders.New("tc-ffmpeg"), "tc.mov");

        Ffprobe.Ffmpeg($"-f lavfi -i color=size=64x48:rate={rate} -frames:v 2 -c:v mjpeg -timecode {label} \"{clip}\"");

        Assert.Equal(frame, TimecodeTrackFrameNumber(clip));
        Assert.Equal(label, TimecodeTrackTag(clip));
    }

    [Theory]
    [InlineData("25", "mp4", "10:00:00:00")]
    [InlineData("30000/1001", "mov", "01:00:00;00")]
    [InlineData("30000/1001", "mp4", "00:09:59;29")]
    [InlineData("24000/1001", "mov", "00:59:59:23")]
    public async Task The_timeline_keeps_the_sources_start_timecode_at_its_rate(string rate, string container, string start)
    {
        var scratch = _folders.New("tc-extract");
        var clip = Path.Combine(scratch, "source." + container);
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate={rate} -frames:v 6 -c:v libx264 -pix_fmt yuv420p -timecode {start} \"{clip}\"");

        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "out"));
        var timeline = FrameTimeline.Load(extraction.TimelinePath);

        Assert.Equal(rate == "25" ? "25/1" : rate, timeline.FrameRate);
        Assert.Equal(start, timeline.StartTimecode);
        Assert.Equal(Timecode.Parse(start, Rational.Parse(rate)), timeline.Start);
        using var json = JsonDocument.Parse(File.ReadAllText(extraction.TimelinePath));
        Assert.Equal(start, json.RootElement.GetProperty("startTimecode").GetString());
    }

    [Fact]
    public async Task A_timecode_tag_on_the_video_stream_of_a_matroska_clip_is_the_start()
    {
        var scratch = _folders.New("tc-mkv");
        var clip = Path.Combine(scratch, "source.mkv");
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 3 -c:v libx264 -metadata:s:v:0 timecode=02:30:00:12 \"{clip}\"");

        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "out"));

        Assert.Equal("02:30:00:12", FrameTimeline.Load(extraction.TimelinePath).StartTimecode);
    }

    [Fact]
    public async Task A_clip_without_timecode_has_none_in_its_timeline()
    {
        var scratch = _folders.New("tc-none");
        var clip = Path.Combine(scratch, "source.mp4");
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 3 -c:v libx264 \"{clip}\"");

        var timeline = FrameTimeline.Load((await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "out"))).TimelinePath);

        Assert.Null(timeline.StartTimecode);
        Assert.Null(timeline.Start);
    }

    public static TheoryData<string> Encoders => ["h264", "prores", "prores4444", "dnxhr", "matte"];

    [Theory]
    [MemberData(nameof(Encoders))]
    public async Task Every_encoder_writes_the_start_timecode_as_a_timecode_track(string encoder)
    {
        const int Width = 256, Height = 120, Frames = 4;
        var rate = new Rational(30000, 1001);
        var start = Timecode.Parse("01:00:00;00", rate);
        var output = Path.Combine(_folders.New("tc-" + encoder), encoder == "h264" ? "out.mp4" : "out.mov");

        var encoded = encoder switch
        {
            "h264" => await H264ClipEncoder.EncodeAsync(FlatFrames(Width, Height, Frames, 3), Width, Height, rate, null, output, new H264EncodeOptions { StartTimecode = start }),
            "prores" => await ProResClipEncoder.EncodeAsync(FlatFrames(Width, Height, Frames, 3), Width, Height, rate, null, output, new ProResEncodeOptions { StartTimecode = start }),
            "prores4444" => await ProResClipEncoder.EncodeWithAlphaAsync(FlatFrames(Width, Height, Frames, 4), Width, Height, rate, null, output, new ProResEncodeOptions { StartTimecode = start }),
            "dnxhr" => await DnxhrClipEncoder.EncodeAsync(FlatFrames(Width, Height, Frames, 3), Width, Height, rate, null, output, new DnxhrEncodeOptions { StartTimecode = start }),
            _ => await MatteClipEncoder.EncodeAsync(FlatFrames(Width, Height, Frames, 1), Width, Height, rate, output, new MatteEncodeOptions { StartTimecode = start }),
        };

        Assert.Equal(Frames, encoded.FrameCount);
        Assert.Equal(Frames, Ffprobe.CountFrames(output));
        Assert.Equal("01:00:00;00", TimecodeTrackTag(output));
        Assert.Equal(107_892, TimecodeTrackFrameNumber(output));
        Assert.Equal("01:00:00;00", Ffprobe.Run("ffprobe", $"-v error -select_streams v:0 -show_entries stream_tags=timecode -of default=nw=1:nk=1 \"{output}\"").Trim());
    }

    [Fact]
    public async Task Without_a_start_timecode_an_encoder_writes_no_timecode_track()
    {
        var output = Path.Combine(_folders.New("tc-without"), "out.mp4");

        await H264ClipEncoder.EncodeAsync(FlatFrames(64, 48, 2, 3), 64, 48, new Rational(25, 1), null, output);

        Assert.False(Ffprobe.HasStream(output, "d"));
    }

    [Theory]
    [InlineData(25, 1, "10:00:00:00")]
    [InlineData(30000, 1001, "00:59:59;29")]
    [InlineData(24000, 1001, "23:59:59:23")]
    public async Task A_clip_joined_from_segments_starts_at_the_start_timecode(long numerator, long denominator, string start)
    {
        const int Width = 64, Height = 48;
        var rate = new Rational(numerator, denominator);
        var scratch = _folders.New("tc-join");
        var options = new H264EncodeOptions { StartTimecode = Timecode.Parse(start, rate) };
        var first = await ClipSegments.EncodeH264SegmentAsync(FlatFrames(Width, Height, 3, 3), Width, Height, rate, null, 0, 3, Path.Combine(scratch, "0.nut"), options);
        var second = await ClipSegments.EncodeH264SegmentAsync(FlatFrames(Width, Height, 2, 3), Width, Height, rate, null, 3, 2, Path.Combine(scratch, "1.nut"), options);

        var joined = await ClipSegments.JoinH264Async([first, second], Width, Height, rate, null, null, Path.Combine(scratch, "qc.mp4"), options);

        Assert.Equal(5, Ffprobe.CountFrames(joined.OutputPath));
        Assert.Equal(start, TimecodeTrackTag(joined.OutputPath));
        Assert.Equal(Timecode.Parse(start, rate).FrameNumber, TimecodeTrackFrameNumber(joined.OutputPath));
    }

    /// <summary>The start frame number stored in the timecode track's sample (4 bytes, big-endian), as ffprobe dumps it.</summary>
    internal static long TimecodeTrackFrameNumber(string path)
    {
        using var json = JsonDocument.Parse(Ffprobe.Run("ffprobe", $"-v error -select_streams d:0 -show_packets -show_data -of json \"{path}\""));
        var dump = json.RootElement.GetProperty("packets")[0].GetProperty("data").GetString()!;
        var hex = string.Concat(dump.Trim().Split(':', 2)[1].Trim().Split(' ').Take(2));
        return long.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>The timecode track's <c>timecode</c> tag, as ffprobe reports it.</summary>
    internal static string TimecodeTrackTag(string path)
    {
        var stream = Ffprobe.Stream(path, "d:0", "codec_tag_string:stream_tags=timecode");
        Assert.Equal("tmcd", stream.GetProperty("codec_tag_string").GetString());
        return stream.GetProperty("tags").GetProperty("timecode").GetString()!;
    }

    /// <summary>Frames of <paramref name="bytesPerPixel"/> bytes a pixel, each a different flat value.</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> FlatFrames(int width, int height, int frames, int bytesPerPixel)
    {
        var buffer = new byte[width * height * bytesPerPixel];
        for (var i = 0; i < frames; i++)
        {
            Array.Fill(buffer, (byte)(40 + (i * 30)));
            await Task.Yield();
            yield return buffer;
        }
    }
}
