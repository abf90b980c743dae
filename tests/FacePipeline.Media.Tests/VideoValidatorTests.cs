namespace FacePipeline.Media.Tests;

[Trait("Lane", "Fast")]
public class VideoValidatorTests
{
    private static VideoProbe Clip(TimeSpan duration, int width = 1280, int height = 720, string format = "mov,mp4,m4a,3gp,3g2,mj2", long frames = 100) =>
        new(format, null, duration, TimeSpan.Zero, 1000, new VideoStreamProbe(
            0, "h264", "yuv420p", width, height, 0, width, height, new Rational(25, 1), new Rational(25, 1), new Rational(1, 12800),
            TimeSpan.Zero, duration, frames, frames), null);

    [Fact]
    public void Clip_within_limits_is_accepted()
    {
        var video = VideoValidator.Validate(Clip(TimeSpan.FromSeconds(4)));

        Assert.Equal("h264", video.Codec);
    }

    [Fact]
    public void Too_long_clip_states_both_durations()
    {
        var ex = Assert.Throws<MediaRejectedException>(() => VideoValidator.Validate(Clip(TimeSpan.FromMinutes(45))));

        Assert.Equal(MediaRejectionKind.TooLong, ex.Kind);
        Assert.StartsWith("Duration 45:00 exceeds the limit of 30:00", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_large_picture_states_both_sizes()
    {
        var ex = Assert.Throws<MediaRejectedException>(() => VideoValidator.Validate(Clip(TimeSpan.FromSeconds(4), 8192, 4320)));

        Assert.Equal(MediaRejectionKind.TooLarge, ex.Kind);
        Assert.StartsWith("Picture size 8192x4320 exceeds the limit of 4096x4096", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_frames_is_refused()
    {
        var limits = new MediaLimits { MaxFrameCount = 50 };

        var ex = Assert.Throws<MediaRejectedException>(() => VideoValidator.Validate(Clip(TimeSpan.FromSeconds(4)), limits));

        Assert.Equal(MediaRejectionKind.TooManyFrames, ex.Kind);
        Assert.Contains("about 100 frames, more than the limit of 50", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Container_outside_the_allow_list_is_refused()
    {
        var ex = Assert.Throws<MediaRejectedException>(() => VideoValidator.Validate(Clip(TimeSpan.FromSeconds(4), format: "hls")));

        Assert.StartsWith("Unsupported container 'hls'", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Still_image_is_refused_unless_allowed()
    {
        var image = Clip(TimeSpan.FromSeconds(0.04), format: "png_pipe", frames: 1) with { };
        image = image with { Video = image.Video! with { Codec = "png" } };

        var ex = Assert.Throws<MediaRejectedException>(() => VideoValidator.Validate(image));
        Assert.Equal("The upload is a still image (png), not a video.", ex.Reason);
        Assert.Equal("png", VideoValidator.Validate(image, new MediaLimits { AllowStillImages = true }).Codec);
    }

    [Theory]
    [InlineData(2700, "45:00")]
    [InlineData(3.88, "0:04")]
    [InlineData(3900, "1:05:00")]
    public void Clock_format_is_minutes_and_seconds(double seconds, string expected)
    {
        Assert.Equal(expected, VideoValidator.FormatClock(TimeSpan.FromSeconds(seconds)));
    }
}
