namespace FacePipeline.Media.Tests;

/// <summary>
/// Which clips' frames may cross the pipe as 4:2:0 planes (<see cref="DecodedPlanes.ExactMatrix"/>): the probe's pixel
/// format, colour-space and range tags decide it, and extraction keeps the answer in the clip's timeline
/// (<see cref="FrameTimeline.PlanesMatrix"/>), which Reconstruction reads.
/// </summary>
public sealed class ColorSpaceTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("\"color_space\": \"bt709\",", "bt709", null)]
    [InlineData("\"color_space\": \"smpte170m\", \"color_range\": \"tv\",", "smpte170m", "tv")]
    [InlineData("\"color_space\": \"unknown\", \"color_range\": \"unknown\",", null, null)]
    [InlineData("\"color_range\": \"pc\",", null, "pc")]
    [InlineData("", null, null)]
    public void The_probe_keeps_the_streams_colour_space_and_range_tags_and_none_when_unknown(string entry, string? space, string? range)
    {
        var video = MediaProbe.FromFfprobeJson(Probe(entry)).Video!;

        Assert.Equal((space, range), (video.ColorSpace, video.ColorRange));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("", "bt601")]
    [InlineData("\"color_space\": \"smpte170m\", \"color_range\": \"tv\",", "bt601")]
    [InlineData("\"color_space\": \"bt470bg\",", "bt601")]
    [InlineData("\"color_space\": \"bt709\",", "bt709")]
    [InlineData("\"color_range\": \"pc\",", null)] // full range
    [InlineData("\"color_space\": \"bt2020nc\",", null)]
    [InlineData("\"color_space\": \"fcc\",", null)]
    public void Only_limited_range_BT_601_and_BT_709_4_2_0_decodes_as_planes(string entry, string? expected)
    {
        Assert.Equal(expected, DecodedPlanes.ExactMatrix(MediaProbe.FromFfprobeJson(Probe(entry)).Video!));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("yuv420p10le", 720)]
    [InlineData("yuvj420p", 720)]
    [InlineData("yuv422p", 720)]
    [InlineData("yuv420p", 719)] // an odd height: ffmpeg converts it by its general scaler
    public void Other_pixel_formats_and_odd_heights_stay_RGB24(string pixelFormat, int height)
    {
        var video = MediaProbe.FromFfprobeJson(Probe("")).Video! with { PixelFormat = pixelFormat, DisplayHeight = height };

        Assert.Null(DecodedPlanes.ExactMatrix(video));
    }

    [Theory]
    [InlineData("-pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709", "bt709")]
    [InlineData("-pix_fmt yuv420p -colorspace smpte170m", "bt601")]
    [InlineData("-pix_fmt yuv420p", "bt601")]
    [InlineData("-pix_fmt yuvj420p", null)]
    [InlineData("-pix_fmt yuv444p", null)]
    public async Task Extraction_writes_the_planes_matrix_into_the_clips_timeline(string arguments, string? expected)
    {
        var scratch = _folders.New("colour");
        var clip = Path.Combine(scratch, "source.mp4");
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 3 -c:v libx264 {arguments} \"{clip}\"");

        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "out"));

        Assert.Equal(expected, FrameTimeline.Load(extraction.TimelinePath).PlanesMatrix);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_timeline_written_before_the_matrix_was_kept_reads_as_RGB24()
    {
        var path = Path.Combine(_folders.New("old-timeline"), FrameTimeline.FileName);
        File.WriteAllText(path, """{"frameRate":"25/1","timeBase":"1/25","containerStartSeconds":0,"source":"frames","pts":[0,1],"seconds":[0,0.04]}""");

        Assert.Null(FrameTimeline.Load(path).PlanesMatrix);
    }

    private static string Probe(string entry) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Probes", "obama_wh_closeup.mp4.json"))
            .Replace("\"pix_fmt\": \"yuv420p\",", "\"pix_fmt\": \"yuv420p\", " + entry, StringComparison.Ordinal);
}
