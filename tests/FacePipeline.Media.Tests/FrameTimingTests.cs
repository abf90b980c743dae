namespace FacePipeline.Media.Tests;

/// <summary>Frame times for the encoders (issue 15): exact ticks from a timeline, constant rate recognised, the last frame's duration.</summary>
[Trait("Lane", "Fast")]
public sealed class FrameTimingTests
{
    private static FrameTimeline Timeline(string timeBase, long[] pts, double start = 0)
    {
        var tb = Rational.Parse(timeBase);
        return new FrameTimeline("25/1", timeBase, start, "packets", pts, [.. pts.Select(p => ((double)p * tb.Numerator / tb.Denominator) - start)]);
    }

    [Fact]
    public void A_timelines_pts_become_exact_ticks_from_the_first_frame()
    {
        // A variable-rate clip in a 1/90000 time base, starting at 0.5 s: 25 fps, then 12.5 fps, then 50 fps.
        var timing = FrameTiming.FromTimeline(Timeline("1/90000", [45_000, 48_600, 52_200, 59_400, 66_600, 68_400]));

        Assert.Equal(new Rational(1, 90_000), timing.TimeBase);
        Assert.Equal([0L, 3_600, 7_200, 14_400, 21_600, 23_400], timing.Ticks);
        Assert.Equal(0.5, timing.Seconds[0], 9);
        Assert.Equal(1_800, timing.LastDurationTicks); // as long as the frame before
        Assert.Equal(40_000_000, timing.TicksToNanoseconds(3_600));
        Assert.Equal((23_400 + 1_800) / 90_000.0, timing.DurationSeconds, 9);
        Assert.Equal("1/90000", timing.TimeBaseArgument);
        Assert.False(timing.IsConstantRate(new Rational(25, 1)));
    }

    [Fact]
    public void A_constant_rate_timeline_is_recognised_at_its_rate_only()
    {
        var ntsc = FrameTiming.FromTimeline(Timeline("1/30000", [.. Enumerable.Range(1, 90).Select(i => i * 1001L)]));
        Assert.True(ntsc.IsConstantRate(new Rational(30000, 1001)));
        Assert.False(ntsc.IsConstantRate(new Rational(25, 1)));

        // Millisecond time bases round 29.97 fps to 33 or 34 ms: still that constant rate.
        var rounded = FrameTiming.FromSeconds([.. Enumerable.Range(0, 60).Select(i => Math.Round(i * 1001 / 30000.0, 3))]);
        Assert.True(rounded.IsConstantRate(new Rational(30000, 1001)));

        // One frame late by a fifth of a frame: not constant-rate any more.
        var late = Enumerable.Range(0, 60).Select(i => i / 25.0).ToArray();
        late[30] += 0.2 / 25;
        Assert.False(FrameTiming.FromSeconds(late).IsConstantRate(new Rational(25, 1)));
    }

    [Fact]
    public void Repeated_or_backward_times_move_one_tick_after_the_frame_before()
    {
        var timing = FrameTiming.FromSeconds([0.0, 0.04, 0.04, 0.03, 0.12], timeBase: new Rational(1, 1000));

        Assert.Equal([0L, 40, 41, 42, 120], timing.Ticks);
    }

    [Fact]
    public void The_end_time_sets_the_last_frames_duration_only_when_plausible()
    {
        double[] seconds = [0, 0.1, 0.2];
        Assert.Equal(9_000, FrameTiming.FromSeconds(seconds).LastDurationTicks); // no end: the interval before
        Assert.Equal(12_600, FrameTiming.FromSeconds(seconds, endSeconds: 0.34).LastDurationTicks); // 0.14 s: within 1.5 intervals
        Assert.Equal(9_000, FrameTiming.FromSeconds(seconds, endSeconds: 0.5).LastDurationTicks); // a longer audio track: ignored
        Assert.Equal(9_000, FrameTiming.FromSeconds(seconds, endSeconds: 0.2).LastDurationTicks); // no time left: ignored
    }

    [Fact]
    public void The_video_streams_end_in_the_timeline_sets_the_last_frames_duration()
    {
        // 50 fps at the end, the stream ending 40 ms after its last frame (as ffmpeg writes a re-timed clip).
        var timeline = Timeline("1/90000", [0, 1_800, 3_600]) with { EndSeconds = 0.08 };
        Assert.Equal(3_600, FrameTiming.FromTimeline(timeline, endSeconds: 5).LastDurationTicks);

        // An end far beyond the last frame (a broken header): the interval before.
        Assert.Equal(1_800, FrameTiming.FromTimeline(timeline with { EndSeconds = 1 }).LastDurationTicks);
    }

    [Fact]
    public void A_constant_rate_timing_counts_frames_of_that_rate()
    {
        var timing = FrameTiming.ConstantRate(4, new Rational(30000, 1001), firstSeconds: 1);

        Assert.Equal(new Rational(1001, 30000), timing.TimeBase);
        Assert.Equal([0L, 1, 2, 3], timing.Ticks);
        Assert.True(timing.IsConstantRate(new Rational(30000, 1001)));
        Assert.Equal(1 + (3 * 1001 / 30000.0), timing.Seconds[3], 9);
        Assert.Equal(33_366_667, timing.TicksToNanoseconds(1));
    }

    [Fact]
    public void A_timeline_without_a_time_base_is_timed_by_its_seconds()
    {
        var timeline = new FrameTimeline("25/1", null, 0, "constant-rate", [], [0.0, 0.04, 0.08]);

        var timing = FrameTiming.FromTimeline(timeline);

        Assert.Equal(FrameTiming.DefaultTimeBase, timing.TimeBase);
        Assert.Equal([0L, 3_600, 7_200], timing.Ticks);
        Assert.True(timing.IsConstantRate(new Rational(25, 1)));
    }

    [Fact]
    public void The_frame_shown_at_a_time_is_the_last_one_started_by_then()
    {
        // Frames at 0, 0.04, 0.12, 0.14 s (variable rate).
        var timeline = new FrameTimeline("25/1", null, 0, "frames", [], [0.0, 0.04, 0.12, 0.14]);

        Assert.Equal(0, timeline.FrameShownAt(-1));
        Assert.Equal(0, timeline.FrameShownAt(0.039));
        Assert.Equal(1, timeline.FrameShownAt(0.04));
        Assert.Equal(1, timeline.FrameShownAt(0.1));
        Assert.Equal(2, timeline.FrameShownAt(0.12));
        Assert.Equal(3, timeline.FrameShownAt(5));
        Assert.Equal(1.5, timeline.PositionAt(0.08), 9);
        Assert.Equal(2.5, timeline.PositionAt(0.13), 9);
        Assert.Equal(0, timeline.PositionAt(-0.5));
        Assert.Equal(3, timeline.PositionAt(1));
    }
}
