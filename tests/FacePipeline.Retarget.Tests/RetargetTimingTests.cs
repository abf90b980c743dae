using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

/// <summary>
/// Issue 15, timing fidelity of retargets: the result is on the performer's clock. A variable-frame-rate performer's
/// frames are output at its own frame times with its own expression at each; the target frame under each output frame
/// is the one shown at that time (a variable-rate target is mapped by time, not index); constant-rate clips give
/// exactly what they gave before.
/// </summary>
public sealed class RetargetTimingTests
{
    private static readonly FrameRate Pal = new(25);
    private static readonly FrameRate Ntsc = new(30000, 1001);

    /// <summary>What ffprobe calls the re-timed test clip's rate (avg_frame_rate: 75 frames in 3.06 s).</summary>
    private static readonly FrameRate VfrNominal = new(1250, 51);

    /// <summary>
    /// The re-timed grid_lbbc2a of QcTimingTests: frames 0–29 every 40 ms, 30–44 every 80 ms, 45–74 every 20 ms (25, 12.5
    /// and 50 fps), the stream ending at 3.02 s; <paramref name="start"/> is the first frame's time on the audio's clock.
    /// </summary>
    private static ClipClock Retimed(double start = 0) => new(
        [.. Enumerable.Range(0, 75).Select(n => start + (n < 30 ? n * 0.04 : n < 45 ? 1.2 + ((n - 30) * 0.08) : 2.4 + ((n - 45) * 0.02)))],
        start + 3.02);

    private static RetargetClip Faceless(int frames, FrameRate rate, ClipClock? clock = null) =>
        new(new ClipFace?[frames], rate, 360, 288, Clock: clock);

    /// <summary>The frame on screen at <paramref name="fromFirst"/> seconds after the first, by a plain scan (the test's own reading).</summary>
    private static int ShownAt(IReadOnlyList<double> seconds, double fromFirst)
    {
        var shown = 0;
        for (var k = 0; k < seconds.Count; k++)
        {
            if (seconds[k] - seconds[0] <= fromFirst + 1e-9)
            {
                shown = k;
            }
        }

        return shown;
    }

    /// <summary>The performer's time (from its first frame) at a fractional position on its frame axis.</summary>
    private static double TimeAt(IReadOnlyList<double> seconds, double position)
    {
        var k = Math.Min((int)Math.Floor(position), seconds.Count - 1);
        var next = Math.Min(k + 1, seconds.Count - 1);
        return seconds[k] - seconds[0] + ((seconds[next] - seconds[k]) * (position - k));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_variable_rate_performer_is_output_at_its_own_frame_times_with_the_frame_shown_then()
    {
        var performer = Retimed(start: 0.5);
        var source = Faceless(75, VfrNominal, performer);
        var target = Faceless(40, Pal); // constant rate, shorter: ping-pong

        var timing = RetargetPlanner.OutputTiming(source, target, ShortTargetMode.PingPong);

        Assert.True(timing.Variable);
        Assert.Equal(75, timing.Times.Length);
        Assert.Equal(3.02, timing.Duration, 9); // the last frame's 40 ms kept: the performer's duration
        for (var k = 0; k < 75; k++)
        {
            Assert.Equal(performer.Seconds[k] - 0.5, timing.Times[k], 9);                 // output frame k at t_k
            Assert.Equal(ShownAt(performer.Seconds, timing.Times[k]), timing.Positions[k]); // the performer's frame shown at t_k

            // The target frame shown at t_k: the constant-rate target's frame ⌊t_k · 25⌋, ping-ponged past its end.
            var onTarget = (int)Math.Floor((timing.Times[k] * 25) + 1e-9);
            Assert.Equal(TimingMap.TargetFrame(onTarget, 40, ShortTargetMode.PingPong), timing.TargetFrames[k]);
        }

        Assert.Equal(30, timing.TargetFrames[30]); // 1.20 s
        Assert.Equal(18, timing.TargetFrames[45]); // 2.40 s: frame 60 of a 40-frame ping-pong (78 − 60)
        Assert.Equal(VfrNominal, timing.Rate);

        // The drift this removes: by index at the nominal rate (the planner before issue 15), output frame i at i / 25 s
        // showed the performer's position i · (1250/51) / 25, which the performer showed up to 0.56 s later (output frame
        // 46, 1.84 s, showed the performer's 2.40 s).
        var before = RetargetPlanner.OutputTiming(source with { Clock = null }, target, ShortTargetMode.PingPong);
        var driftBefore = Enumerable.Range(0, before.Times.Length).Max(i => Math.Abs(TimeAt(performer.Seconds, before.Positions[i]) - before.Times[i]));
        var driftAfter = Enumerable.Range(0, timing.Times.Length).Max(i => Math.Abs(TimeAt(performer.Seconds, timing.Positions[i]) - timing.Times[i]));
        Assert.InRange(driftBefore, 0.5, 0.6);
        Assert.True(driftAfter < 1e-9, $"drift {driftAfter} s");
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_variable_rate_target_is_mapped_by_time_not_by_index()
    {
        // The target: 10 frames every 40 ms, 10 every 80 ms, 10 every 20 ms (1.4 s, ending 20 ms after its last frame).
        var seconds = Enumerable.Range(0, 30).Select(n => n < 10 ? n * 0.04 : n < 20 ? 0.4 + ((n - 10) * 0.08) : 1.2 + ((n - 20) * 0.02)).ToArray();
        var target = Faceless(30, Pal, new ClipClock(seconds, 1.4));
        var source = Faceless(60, Pal); // 2.4 s at 25 fps: the output is 60 frames at 25 fps, as before

        foreach (var mode in new[] { ShortTargetMode.Loop, ShortTargetMode.HoldLast, ShortTargetMode.PingPong })
        {
            var timing = RetargetPlanner.OutputTiming(source, target, mode);

            Assert.False(timing.Variable);
            Assert.Equal(60, timing.Times.Length);
            for (var i = 0; i < 60; i++)
            {
                var t = i * 0.04;
                Assert.Equal(t, timing.Times[i], 9);
                Assert.Equal(i, timing.Positions[i], 9);
                var expected = t < 1.4 - 1e-9
                    ? ShownAt(seconds, t)
                    : mode switch
                    {
                        ShortTargetMode.Loop => ShownAt(seconds, t - 1.4),
                        ShortTargetMode.HoldLast => 29,
                        _ => -1, // ping-pong past the end: below
                    };
                if (expected >= 0)
                {
                    Assert.True(expected == timing.TargetFrames[i], $"{mode}, output frame {i} ({t:F2} s): target frame {timing.TargetFrames[i]}, expected {expected}");
                }
            }

            // 0.8 s is the target's frame 15 (10 frames in 0.4 s, then 80 ms each), not its frame 20.
            Assert.Equal(15, timing.TargetFrames[20]);
        }

        // Ping-pong past the end (1.4 s): frames 28, 27, … backwards, each for its own duration (20 ms, so one every
        // other output frame at 40 ms), then the 80 ms frames.
        var pingPong = RetargetPlanner.OutputTiming(source, target, ShortTargetMode.PingPong).TargetFrames;
        Assert.Equal([28, 28, 26, 24, 22, 20], pingPong[34..40]);
        Assert.Equal(19, pingPong[41]); // 1.64 s: 0.24 s into the backward pass, the 80 ms frame 19 (shown 0.18–0.26 s)
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Constant_rate_clips_give_exactly_what_they_gave_before()
    {
        // Times that say "constant rate" (an offset start, jitter under a tenth of a frame) change nothing.
        var ntscTimes = Enumerable.Range(0, 115).Select(k => (1001 / 30000.0) + (k * 1001 / 30000.0) + (k % 3 == 0 ? 0.001 : 0)).ToArray();
        var palTimes = Enumerable.Range(0, 75).Select(k => 0.2 + (k * 0.04)).ToArray();
        foreach (var mode in new[] { ShortTargetMode.PingPong, ShortTargetMode.Loop, ShortTargetMode.HoldLast })
        {
            var timed = RetargetPlanner.OutputTiming(Faceless(115, Ntsc, new ClipClock(ntscTimes)), Faceless(75, Pal, new ClipClock(palTimes, 3.2)), mode);
            var untimed = RetargetPlanner.OutputTiming(Faceless(115, Ntsc), Faceless(75, Pal), mode);

            Assert.False(timed.Variable);
            Assert.Equal(96, timed.Times.Length);
            Assert.Equal(Pal, timed.Rate);
            Assert.Equal(96 * 0.04, timed.Duration, 9);
            Assert.Equal(TimingMap.TargetFrames(96, 75, mode), timed.TargetFrames);
            Assert.Equal(untimed.TargetFrames, timed.TargetFrames);
            Assert.Equal(untimed.Positions, timed.Positions);
            Assert.Equal(untimed.Times, timed.Times);
            Assert.Equal(Enumerable.Range(0, 96).Select(i => TimingMap.OutputTime(i, Pal)), timed.Times);
            Assert.Equal(Enumerable.Range(0, 96).Select(i => TimingMap.SourcePosition(i, Ntsc, Pal)), timed.Positions);
        }
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void By_time_on_a_constant_rate_target_is_the_index_mapping()
    {
        foreach (var n in new[] { 1, 2, 3, 7, 75 })
        {
            var clock = ClipClock.ConstantRate(n, Ntsc);
            foreach (var mode in new[] { ShortTargetMode.PingPong, ShortTargetMode.Loop, ShortTargetMode.HoldLast })
            {
                for (var i = 0; i < 400; i++)
                {
                    var t = TimingMap.OutputTime(i, Ntsc);
                    Assert.True(
                        TimingMap.TargetFrame(i, n, mode) == TimingMap.TargetFrameAt(t, clock, Ntsc, mode),
                        $"n={n} {mode} i={i}: {TimingMap.TargetFrameAt(t, clock, Ntsc, mode)}, by index {TimingMap.TargetFrame(i, n, mode)}");
                }
            }
        }
    }

    [Fact]
    public void The_plan_of_a_variable_rate_performer_carries_each_frames_own_expression_at_its_own_time()
    {
        // The performer's mouth opening follows its own clock (a 1 Hz open–close over the re-timed clip's times): each
        // output frame must show the opening the performer had at that output frame's time.
        var performer = Retimed();
        var neutral = TestMesh.Neutral;
        double Opening(double seconds) => 0.5 - (0.5 * Math.Cos(2 * Math.PI * seconds));
        ClipFace Face(Vec3[] poseFree)
        {
            var pose = new FacePose(Matrix3.Identity, new Vec3(0, 0, -60), 1);
            return new ClipFace(PerspectiveCamera.Default.ProjectToScreen([.. poseFree.Select(pose.Apply)], 360, 288), pose, poseFree);
        }

        var source = new RetargetClip([.. performer.Seconds.Select(t => Face(TestMesh.MouthOpen(neutral, Opening(t))))], VfrNominal, 360, 288, NeutralFrame: 0, Clock: performer);
        var target = new RetargetClip([.. Enumerable.Range(0, 75).Select(_ => Face(neutral))], Pal, 360, 288, NeutralFrame: 0);

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default);

        Assert.True(plan.VariableRate);
        Assert.Equal(75, plan.Frames.Count);
        Assert.Equal(3.02, plan.DurationSeconds, 9);
        var transfer = DeformationTransfer.ForCanonical(TestMesh.Canonical, plan.SourceNeutral, plan.TargetNeutral);
        foreach (var frame in plan.Frames)
        {
            Assert.Equal(performer.Seconds[frame.Index], frame.Time, 9);
            var shown = ShownAt(performer.Seconds, frame.Time);
            Assert.Equal(shown, frame.SourcePosition);
            Assert.Equal((int)Math.Floor((frame.Time * 25) + 1e-9), frame.TargetFrame); // the 25 fps target's frame shown then
            var expected = transfer.Transfer(source.Frames[shown]!.PoseFree, TransferControls.Full);
            var error = frame.Transferred!.Zip(expected, (a, b) => (a - b).Length).Max();
            Assert.True(error < 1e-6, $"frame {frame.Index} ({frame.Time:F2} s): {error} cm from the performer's frame {shown}");
        }

        // The chin (152) at 1.84 s (performer frame 38) is where the performer's was then, not where it was at 2.40 s
        // (what index-at-nominal-rate timing showed at 1.84 s: position 46 · 0.98).
        var at = plan.Frames[38];
        Assert.Equal(1.84, at.Time, 9);
        Assert.Equal(neutral[152].Y - (0.8 * Opening(1.84)), at.Transferred![152].Y, 3);
        Assert.True(Math.Abs(Opening(1.84) - Opening(TimeAt(performer.Seconds, 46 * 1250 / (51 * 25.0)))) > 0.5, "the two moments differ");
    }
}
