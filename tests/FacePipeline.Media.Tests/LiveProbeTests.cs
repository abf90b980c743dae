using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

public sealed class LiveProbeTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    [Fact]
    public async Task Probing_the_rotated_clip_live_gives_the_exact_rate_and_rotation()
    {
        var probe = await MediaProbe.ProbeAsync(RepoPaths.MediaFile("new_face_video-90.mp4"));

        var video = Assert.IsType<VideoStreamProbe>(probe.Video);
        Assert.Equal(new Rational(30000, 1001), video.FrameRate);
        Assert.Equal(90, video.Rotation);
        Assert.Equal((640, 480), (video.DisplayWidth, video.DisplayHeight));
        Assert.Equal(TimeSpan.FromSeconds(17.09), probe.Duration);
        Assert.Equal("aac", probe.Audio?.Codec);

        // Live (FFMpegCore, -sexagesimal) and captured (plain ffprobe) JSON map to the same thing.
        var captured = MediaProbe.FromFfprobeJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Probes", "new_face_video-90.mp4.json")));
        Assert.Equal(captured.Video, video);
        Assert.Equal(captured.Audio, probe.Audio);
    }

    [Fact]
    public async Task Missing_file_is_a_caller_error_not_a_rejection()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(() => MediaProbe.ProbeAsync(Path.Combine(_folders.New("probe"), "nope.mp4")));
    }

    public void Dispose() => _folders.Dispose();
}
