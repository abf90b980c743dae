namespace FacePipeline.Media.Tests;

/// <summary>
/// The video stream's colour-space tag, carried from the probe into the clip's timeline: whoever converts the decoded
/// 4:2:0 planes to RGB (Reconstruction) picks the matrix ffmpeg would from it.
/// </summary>
public sealed class ColorSpaceTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("\"color_space\": \"bt709\",", "bt709")]
    [InlineData("\"color_space\": \"smpte170m\",", "smpte170m")]
    [InlineData("\"color_space\": \"unknown\",", null)]
    [InlineData("", null)]
    public void The_probe_keeps_the_streams_colour_space_tag_and_none_when_it_is_unknown(string entry, string? expected)
    {
        var captured = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Probes", "obama_wh_closeup.mp4.json"));
        var json = captured.Replace("\"pix_fmt\": \"yuv420p\",", "\"pix_fmt\": \"yuv420p\", " + entry, StringComparison.Ordinal);

        Assert.Equal(expected, MediaProbe.FromFfprobeJson(json).Video!.ColorSpace);
    }

    [Theory]
    [InlineData("-colorspace bt709 -color_primaries bt709 -color_trc bt709", "bt709")]
    [InlineData("-colorspace smpte170m", "smpte170m")]
    [InlineData("", null)]
    public async Task Extraction_writes_the_clips_colour_space_tag_into_its_timeline(string tags, string? expected)
    {
        var scratch = _folders.New("colour");
        var clip = Path.Combine(scratch, "source.mp4");
        Ffprobe.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 3 -c:v libx264 -pix_fmt yuv420p {tags} \"{clip}\"");

        var extraction = await FrameExtractor.ExtractAsync(clip, Path.Combine(scratch, "out"));

        Assert.Equal(expected, FrameTimeline.Load(extraction.TimelinePath).ColorSpace);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_timeline_written_before_the_tag_was_kept_reads_as_untagged()
    {
        var path = Path.Combine(_folders.New("old-timeline"), FrameTimeline.FileName);
        File.WriteAllText(path, """{"frameRate":"25/1","timeBase":"1/25","containerStartSeconds":0,"source":"frames","pts":[0,1],"seconds":[0,0.04]}""");

        Assert.Null(FrameTimeline.Load(path).ColorSpace);
    }
}
