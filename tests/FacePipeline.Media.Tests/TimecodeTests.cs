namespace FacePipeline.Media.Tests;

/// <summary>Timecode arithmetic against closed forms (SMPTE ST 12-1 drop-frame counting).</summary>
[Trait("Lane", "Fast")]
public class TimecodeTests
{
    private static readonly Rational Ntsc30 = new(30000, 1001);
    private static readonly Rational Ntsc60 = new(60000, 1001);
    private static readonly Rational Film = new(24000, 1001);

    [Theory]
    [InlineData("00:00:00;00", 0)]
    [InlineData("00:00:59;29", 1799)]
    [InlineData("00:01:00;02", 1800)]
    [InlineData("00:02:00;02", 3598)]
    [InlineData("00:09:59;29", 17981)]
    [InlineData("00:10:00;00", 17982)]
    [InlineData("00:11:00;02", 17982 + 1800)]
    [InlineData("01:00:00;00", 107892)]
    [InlineData("23:59:59;29", (144 * 17982) - 1)]
    public void Drop_frame_labels_at_29_97_are_frame_numbers_of_the_closed_form(string label, long frame)
    {
        var parsed = Timecode.Parse(label, Ntsc30);

        Assert.True(parsed.DropFrame);
        Assert.Equal(frame, parsed.FrameNumber);
        Assert.Equal(label, Timecode.FromFrameNumber(frame, Ntsc30, dropFrame: true).ToString());
    }

    [Theory]
    [InlineData("00:01:00;04", 3600)]
    [InlineData("00:10:00;00", 35964)]
    [InlineData("01:00:00;00", 215784)]
    public void Drop_frame_at_59_94_skips_four_labels_a_minute(string label, long frame)
    {
        Assert.Equal(frame, Timecode.Parse(label, Ntsc60).FrameNumber);
        Assert.Equal(label, Timecode.FromFrameNumber(frame, Ntsc60, dropFrame: true).ToString());
    }

    [Theory]
    [InlineData(24, 1, "01:00:00:00", 86400)]
    [InlineData(25, 1, "01:00:00:00", 90000)]
    [InlineData(25, 1, "10:00:00:24", 900024)]
    [InlineData(30, 1, "00:01:00:00", 1800)]
    [InlineData(24000, 1001, "01:00:00:00", 86400)]
    [InlineData(30000, 1001, "01:00:00:00", 108000)]
    [InlineData(50, 1, "00:00:01:49", 99)]
    public void Non_drop_labels_count_every_frame_at_the_rounded_rate(long numerator, long denominator, string label, long frame)
    {
        var rate = new Rational(numerator, denominator);
        var parsed = Timecode.Parse(label, rate);

        Assert.False(parsed.DropFrame);
        Assert.Equal(frame, parsed.FrameNumber);
        Assert.Equal(label, Timecode.FromFrameNumber(frame, rate, dropFrame: false).ToString());
    }

    [Theory]
    [InlineData("00:01:00;00")]
    [InlineData("00:01:00;01")]
    [InlineData("01:59:00;01")]
    public void Labels_drop_frame_skips_do_not_parse(string label) =>
        Assert.False(Timecode.TryParse(label, Ntsc30, out _));

    [Theory]
    [InlineData("01:00:00;00", 25, 1)]
    [InlineData("01:00:00;00", 24000, 1001)]
    [InlineData("00:00:00:30", 30, 1)]
    [InlineData("24:00:00:00", 25, 1)]
    [InlineData("00:60:00:00", 25, 1)]
    [InlineData("1:00:00", 25, 1)]
    [InlineData("01:00:00:00:00", 25, 1)]
    [InlineData("01:00:00:0x", 25, 1)]
    [InlineData("", 25, 1)]
    public void What_is_not_a_timecode_at_the_rate_does_not_parse(string text, long numerator, long denominator) =>
        Assert.False(Timecode.TryParse(text, new Rational(numerator, denominator), out _));

    [Theory]
    [InlineData("01:00:00.00")]
    [InlineData("01;00;00;00")]
    public void A_dot_or_semicolons_mean_drop_frame_as_ffmpeg_reads_them(string text)
    {
        var parsed = Timecode.Parse(text, Ntsc30);

        Assert.True(parsed.DropFrame);
        Assert.Equal(107892, parsed.FrameNumber);
        Assert.Equal("01:00:00;00", parsed.ToString());
    }

    [Fact]
    public void Every_drop_frame_number_of_a_day_round_trips_through_its_label()
    {
        var day = Timecode.FromFrameNumber(0, Ntsc30, dropFrame: true).FramesPerDay;
        Assert.Equal(2_589_408, day);
        for (long frame = 0; frame < day; frame += 7)
        {
            var label = Timecode.FromFrameNumber(frame, Ntsc30, dropFrame: true).ToString();
            Assert.Equal(frame, Timecode.Parse(label, Ntsc30).FrameNumber);
        }
    }

    [Fact]
    public void Adding_frames_crosses_the_dropped_labels_and_wraps_at_midnight()
    {
        var start = Timecode.Parse("00:00:59;29", Ntsc30);

        Assert.Equal("00:01:00;02", start.AddFrames(1).ToString());
        Assert.Equal("00:00:00;00", Timecode.Parse("23:59:59;29", Ntsc30).AddFrames(1).ToString());
        Assert.Equal("23:59:59:24", Timecode.Parse("00:00:00:00", new Rational(25, 1)).AddFrames(-1).ToString());
    }

    [Fact]
    public void The_same_moment_at_another_rate_is_the_frame_nearest_its_time()
    {
        var df = Timecode.Parse("01:00:00;00", Ntsc30);

        Assert.Equal("01:00:00;00", df.AtRate(Ntsc30, dropFrame: true).ToString());
        Assert.Equal("00:59:56:12", df.AtRate(Ntsc30, dropFrame: false).ToString()); // the same frame 107892, every label counted
        Assert.Equal("01:00:00:00", df.AtRate(new Rational(25, 1), dropFrame: true).ToString()); // 25 fps has no drop-frame
        Assert.Equal("01:00:00:00", Timecode.Parse("01:00:00:00", new Rational(25, 1)).AtRate(new Rational(50, 1), dropFrame: false).ToString());
    }

    [Theory]
    [InlineData(24000, 1001, 24, false)]
    [InlineData(30000, 1001, 30, true)]
    [InlineData(60000, 1001, 60, true)]
    [InlineData(25, 1, 25, false)]
    [InlineData(30, 1, 30, false)]
    [InlineData(50, 1, 50, false)]
    public void The_base_is_the_rounded_rate_and_only_ntsc_multiples_of_30_drop_frames(long numerator, long denominator, int timecodeBase, bool dropFrame)
    {
        var rate = new Rational(numerator, denominator);

        Assert.Equal(timecodeBase, Timecode.BaseOf(rate));
        Assert.Equal(dropFrame, Timecode.SupportsDropFrame(rate));
    }

    [Fact]
    public void A_drop_frame_label_reads_with_colons_for_formats_without_a_semicolon() =>
        Assert.Equal("00:10:00:00", Timecode.Parse("00:10:00;00", Ntsc30).ToColonString());

    [Fact]
    public void Film_rate_counts_24_labels_a_second_without_drops() =>
        Assert.Equal("00:01:00:00", Timecode.FromFrameNumber(1440, Film, dropFrame: false).ToString());
}
