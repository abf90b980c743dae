namespace FacePipeline.Media.Tests;

/// <summary>The ffprobe JSON -> VideoProbe mapping, on output captured from the real clips (Probes/*.json).</summary>
[Trait("Lane", "Fast")]
public class ProbeMappingTests
{
    private static VideoProbe Captured(string name) =>
        MediaProbe.FromFfprobeJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Probes", name + ".json")));

    [Fact]
    public void Obama_closeup_maps_container_codec_size_rate_and_audio()
    {
        var probe = Captured("obama_wh_closeup.mp4");

        Assert.Equal("mov,mp4,m4a,3gp,3g2,mj2", probe.FormatName);
        Assert.Contains("mp4", probe.FormatNames);
        Assert.Equal(TimeSpan.FromSeconds(3.88), probe.Duration);
        Assert.Equal(TimeSpan.Zero, probe.StartTime);
        var video = Assert.IsType<VideoStreamProbe>(probe.Video);
        Assert.Equal("h264", video.Codec);
        Assert.Equal((1280, 720), (video.StoredWidth, video.StoredHeight));
        Assert.Equal(0, video.Rotation);
        Assert.Equal((1280, 720), (video.DisplayWidth, video.DisplayHeight));

        // This clip is tagged 2997/100 (not 30000/1001): the probe must keep whatever exact rate the file has.
        Assert.Equal(new Rational(2997, 100), video.FrameRate);
        Assert.Equal(new Rational(1, 11988), video.TimeBase);
        Assert.Equal(115, video.DeclaredFrameCount);
        Assert.Equal(115, video.EstimatedFrameCount);
        Assert.True(probe.HasAudio);
        Assert.Equal("aac", probe.Audio!.Codec);
        Assert.Equal(44100, probe.Audio.SampleRate);
        Assert.False(probe.IsStillImage);
    }

    [Fact]
    public void Rotated_phone_clip_reports_a_quarter_turn_and_swapped_display_size()
    {
        var probe = Captured("new_face_video-90.mp4");
        var video = probe.Video!;

        Assert.Equal((480, 640), (video.StoredWidth, video.StoredHeight));

        // Display matrix rotation -90 (counter-clockwise) = turn the picture 90 degrees clockwise for display.
        Assert.Equal(90, video.Rotation);
        Assert.Equal((640, 480), (video.DisplayWidth, video.DisplayHeight));
        Assert.Equal(new Rational(30000, 1001), video.FrameRate);
        Assert.Equal("30000/1001", video.FrameRate.ToString());
        Assert.Equal(511, video.EstimatedFrameCount);
        Assert.Equal("aac", probe.Audio?.Codec);
    }

    [Fact]
    public void Clip_without_audio_has_no_audio_stream()
    {
        var probe = Captured("intel_headpose_male.mp4");

        Assert.False(probe.HasAudio);
        Assert.Null(probe.Audio);
        Assert.Equal(new Rational(12, 1), probe.Video!.FrameRate);
        Assert.Equal(62, probe.Video.EstimatedFrameCount);
    }

    [Fact]
    public void Grid_clip_is_25_fps_360x288_with_audio()
    {
        var probe = Captured("grid_bbaf2n.mp4");

        Assert.Equal(new Rational(25, 1), probe.Video!.FrameRate);
        Assert.Equal((360, 288), (probe.Video.DisplayWidth, probe.Video.DisplayHeight));
        Assert.Equal(75, probe.Video.EstimatedFrameCount);
        Assert.True(probe.HasAudio);
    }

    [Fact]
    public void Audio_only_file_has_no_video_stream()
    {
        var probe = Captured("obama_wh_closeup-audio-only.m4a");

        Assert.False(probe.HasVideo);
        Assert.Equal("aac", probe.Audio?.Codec);
    }

    [Fact]
    public void Png_is_a_still_image_of_one_frame()
    {
        var probe = Captured("astronaut.png");

        Assert.True(probe.IsStillImage);
        Assert.Equal("png", probe.Video?.Codec);
        Assert.Equal(1, probe.Video?.EstimatedFrameCount);
    }

    [Fact]
    public void Legacy_rotate_tag_and_sexagesimal_times_are_understood()
    {
        // Older muxers/ffprobe report rotation as a clockwise "rotate" tag; FFMpegCore runs ffprobe with -sexagesimal.
        const string Json = """
            {
              "streams": [
                { "index": 0, "codec_type": "video", "codec_name": "hevc", "width": 1920, "height": 1080,
                  "r_frame_rate": "60/1", "avg_frame_rate": "60/1", "time_base": "1/600",
                  "duration": "0:00:10.000000", "tags": { "rotate": "270" } },
                { "index": 1, "codec_type": "video", "codec_name": "mjpeg", "width": 300, "height": 300,
                  "r_frame_rate": "90000/1", "avg_frame_rate": "0/0", "disposition": { "attached_pic": 1 } }
              ],
              "format": { "format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "0:01:02.500000", "start_time": "0:00:00.000000" }
            }
            """;

        var probe = MediaProbe.FromFfprobeJson(Json);

        Assert.Equal(TimeSpan.FromSeconds(62.5), probe.Duration);
        Assert.Equal(270, probe.Video!.Rotation);
        Assert.Equal((1080, 1920), (probe.Video.DisplayWidth, probe.Video.DisplayHeight));
        Assert.Equal(600, probe.Video.EstimatedFrameCount); // no nb_frames: 10 s x 60 fps
        Assert.Equal("hevc", probe.Video.Codec);           // the cover-art stream is not "the video"
        Assert.False(probe.HasAudio);
    }

    [Fact]
    public void Variable_rate_field_rate_prefers_the_measured_average()
    {
        const string Json = """
            { "streams": [ { "index": 0, "codec_type": "video", "codec_name": "h264", "width": 640, "height": 480,
                             "r_frame_rate": "60000/1001", "avg_frame_rate": "30000/1001" } ],
              "format": { "format_name": "mpegts", "duration": "2.002000" } }
            """;

        Assert.Equal(new Rational(30000, 1001), MediaProbe.FromFfprobeJson(Json).Video!.FrameRate);
    }

    [Theory]
    [InlineData("3.880000", 3.88)]
    [InlineData("0:00:03.880000", 3.88)]
    [InlineData("1:02:03.5", 3723.5)]
    [InlineData("-0:00:01.500000", -1.5)]
    public void Ffprobe_times_parse_in_both_notations(string text, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), MediaProbe.ParseTime(text));
    }

    [Fact]
    public void Unknown_time_is_null()
    {
        Assert.Null(MediaProbe.ParseTime("N/A"));
    }

    [Fact]
    public void Refused_demuxer_is_named_in_the_reason()
    {
        var rejection = MediaProbe.DescribeProbeFailure(
            ["[hls @ 0x55e4ce8ad280] Format not on whitelist 'mov,png_pipe'", "/uploads/x.mp4: Invalid argument"],
            "#EXTM3U\n"u8);

        Assert.Equal(MediaRejectionKind.UnsupportedContainer, rejection.Kind);
        Assert.StartsWith("Unsupported container 'hls'", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_moov_in_an_mp4_is_truncation_but_in_anything_else_is_not_media()
    {
        string[] stderr = ["[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] moov atom not found", "/uploads/x.mp4: Invalid data found when processing input"];

        var mp4 = MediaProbe.DescribeProbeFailure(stderr, "\0\0\0 ftypisom"u8, "/uploads/x.mp4");
        var text = MediaProbe.DescribeProbeFailure(stderr, "hello world, thi"u8, "/uploads/x.mp4");

        Assert.Equal(MediaRejectionKind.Corrupt, mp4.Kind);
        Assert.StartsWith("The file is truncated or corrupt: moov atom not found.", mp4.Reason, StringComparison.Ordinal);
        Assert.Equal(MediaRejectionKind.Unreadable, text.Kind);
        Assert.Equal("The upload could not be read as media: it is not a recognised video format.", text.Reason);
        Assert.DoesNotContain("/uploads", text.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("01:00:00;00", "00:10:00:00", "02:00:00:00", "01:00:00;00")] // the timecode track first
    [InlineData(null, "00:10:00:00", "02:00:00:00", "00:10:00:00")] // then the video stream's tag
    [InlineData(null, null, "02:00:00:00", "02:00:00:00")] // then the container's
    [InlineData(null, null, null, null)]
    public void The_start_timecode_is_the_timecode_tracks_then_the_video_streams_then_the_containers(string? track, string? video, string? format, string? expected)
    {
        static string Tags(string? timecode) => timecode is null ? "{}" : $$"""{ "TIMECODE": "{{timecode}}" }""";
        var json = $$"""
            {
              "streams": [
                { "index": 0, "codec_type": "video", "codec_name": "h264", "width": 64, "height": 48, "r_frame_rate": "30000/1001", "avg_frame_rate": "30000/1001", "tags": {{Tags(video)}} },
                { "index": 1, "codec_type": "data", "codec_tag_string": "tmcd", "tags": {{Tags(track)}} }
              ],
              "format": { "format_name": "mov,mp4,m4a,3gp,3g2,mj2", "tags": {{Tags(format)}} }
            }
            """;

        Assert.Equal(expected, MediaProbe.FromFfprobeJson(json).StartTimecode);
    }
}
