namespace FacePipeline.Media.Tests;

/// <summary>
/// The decode's framecrc is read one line at a time as ffmpeg writes it (issue 16: a 36,000-frame clip's listing is never
/// held whole); each line is one frame and its time.
/// </summary>
[Trait("Lane", "Fast")]
public sealed class FrameCrcLineTests
{
    [Theory]
    [InlineData("0,          0,          0,        1,   460800, 0x8a2c5e1f", 0L)]
    [InlineData("0,       3003,       3003,     1001,   460800, 0x00000000", 3003L)]
    [InlineData("0,        -42,        -42,        1,       12, 0x0", -42L)]
    [InlineData("  0, 7, 9, 1, 12, 0x0\r", 9L)]
    public void A_frame_line_gives_the_frames_pts(string line, long pts) =>
        Assert.Equal(pts, FrameExtractor.DecodedFrameTime(line));

    [Theory]
    [InlineData("0,          0,        N/A,        1,   460800, 0x8a2c5e1f")]
    [InlineData("0, 5")]
    public void A_frame_line_without_a_time_is_a_frame_without_one(string line) =>
        Assert.Equal(long.MinValue, FrameExtractor.DecodedFrameTime(line));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("#tb 0: 1/30000")]
    [InlineData("#software: Lavf60.16.100")]
    public void Headers_and_blank_lines_are_no_frames(string line) =>
        Assert.Null(FrameExtractor.DecodedFrameTime(line));
}
