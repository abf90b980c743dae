using Xunit.Abstractions;

namespace FacePipeline.Morphable.Tests;

/// <summary>
/// The fit on real footage: MediaPipe's own landmarks for every frame of two shared clips (the
/// goldens), through the geometry pipeline, fitted with the default options. Bounds were set after
/// measuring (docs/blendshapes.md has the measured figures), with a margin.
/// </summary>
[Collection(IctModelCollection.Name)]
public sealed class RealFootageTests(BlendshapeFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData("grid", 0.85)] // measured 0.92
    [InlineData("obama", 0.6)] // measured 0.71: he opens the mouth much with the lower lip, little with the jaw
    public void JawOpen_follows_the_lip_gap(string clip, double minimumCorrelation)
    {
        var fit = Clip(clip);
        var jaw = fit.Curve("jawOpen");
        var r = Stats.Pearson(jaw, fit.LipGap);
        output.WriteLine($"{fit.Clip}: Pearson r(jawOpen, inner lip gap) = {r:F3}; jawOpen max {jaw.Max():F2} at frame {Array.IndexOf(jaw, jaw.Max())}, lip gap max at {Array.IndexOf(fit.LipGap, fit.LipGap.Max())}");
        Assert.True(r >= minimumCorrelation, $"r = {r:F3} < {minimumCorrelation}");

        // Mouth-closed frames (lip gap in the lowest quarter) have little jawOpen, open ones more.
        var order = Enumerable.Range(0, jaw.Length).OrderBy(f => fit.LipGap[f]).ToArray();
        var closed = order.Take(jaw.Length / 4).Average(f => jaw[f]);
        var open = order.Skip(3 * jaw.Length / 4).Average(f => jaw[f]);
        output.WriteLine($"  mean jawOpen: closed quarter {closed:F3}, open quarter {open:F3}");
        Assert.True(open > closed + 0.1, $"open {open:F3} vs closed {closed:F3}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EyeBlink_peaks_where_the_eyes_close(bool leftEye)
    {
        // Obama blinks three times (frames ~21–25, 59–63, 91–95). Closed frames: the lid opening
        // below 75 % of its median over the clip.
        var fit = fixture.Obama;
        var opening = leftEye ? fit.LeftEyeOpening : fit.RightEyeOpening;
        var blink = fit.Curve(leftEye ? "eyeBlinkLeft" : "eyeBlinkRight");
        var median = opening.Order().ElementAt(opening.Length / 2);
        var closed = Enumerable.Range(0, opening.Length).Where(f => opening[f] < 0.75 * median).ToArray();
        var r = Stats.Pearson(blink, opening);
        var peak = Array.IndexOf(blink, blink.Max());
        var closedMean = closed.Average(f => blink[f]);
        var openMean = Enumerable.Range(0, opening.Length).Except(closed).Average(f => blink[f]);
        output.WriteLine($"{(leftEye ? "left" : "right")} eye: closed frames {string.Join(",", closed)}; eyeBlink peak {blink.Max():F2} at {peak}; " +
            $"mean on closed {closedMean:F3}, on open {openMean:F3}; r(eyeBlink, opening) = {r:F3}");

        Assert.InRange(closed.Length, 6, 20);
        Assert.Contains(closed, f => Math.Abs(f - peak) <= 1);
        // Every blink shows: each run of closed frames holds a local eyeBlink well above the open-eye level.
        foreach (var run in Runs(closed))
        {
            Assert.True(run.Max(f => blink[f]) > openMean + 0.08, $"blink at frames {run[0]}–{run[^1]}: eyeBlink max {run.Max(f => blink[f]):F2}");
        }

        Assert.True(closedMean > openMean + 0.08, $"closed {closedMean:F3} vs open {openMean:F3}");
        Assert.True(r <= -0.55, $"r = {r:F3}");
    }

    [Fact]
    public void No_blink_is_found_where_the_eyes_stay_open()
    {
        var fit = fixture.Grid;
        foreach (var (name, opening) in new[] { ("eyeBlinkLeft", fit.LeftEyeOpening), ("eyeBlinkRight", fit.RightEyeOpening) })
        {
            var median = opening.Order().ElementAt(opening.Length / 2);
            var blink = fit.Curve(name);
            output.WriteLine($"GRID {name}: lid opening min {opening.Min() / median:P0} of median; eyeBlink max {blink.Max():F3}");
            Assert.True(opening.Min() > 0.75 * median, "the GRID talker does not blink");
            Assert.True(blink.Max() < 0.15, $"{name} reaches {blink.Max():F2} with open eyes");
        }
    }

    [Theory]
    [InlineData("grid", 0.01)] // measured 0.6 %
    [InlineData("obama", 0.02)] // measured 1.5 %
    public void Fit_reproduces_the_landmarks(string clip, double maximumFractionOfIod)
    {
        var fit = Clip(clip);
        var fitter = fixture.Fitter;
        var errors = new List<double>();
        for (var f = 0; f < fit.Geometry.Count; f++)
        {
            var fitted = fitter.FittedLandmarks(fit.Animation.Actor, fit.Animation.Fit.Frames[f], useModelIdentity: false);
            var data = fit.Geometry[f].PoseFreeLandmarks;
            errors.Add(fitted.Zip(data, (a, b) => (a - b).Length).Average() / fit.InterOcular[f]);
        }

        output.WriteLine($"{fit.Clip}: mean landmark error of the fit {errors.Average():P2} of the inter-ocular distance (worst frame {errors.Max():P2}); " +
            $"{fit.Animation.Fit.MillisecondsPerFrame:F2} ms/frame; neutral frames {string.Join(",", fit.Animation.NeutralFrames)}");
        Assert.True(errors.Average() < maximumFractionOfIod, $"{errors.Average():P2}");
        Assert.All(fit.Animation.Frames, frame => Assert.All(frame.Weights, w => Assert.InRange(w, 0f, 1f)));
        Assert.All(fit.Animation.Frames, frame => Assert.Equal(FrameFitStatus.Fitted, frame.Status));
    }

    [Fact]
    public void Missing_faces_are_interpolated_and_held()
    {
        var fit = fixture.Grid;
        var faces = fit.Geometry.Select(g => (PoseFreeFace?)new PoseFreeFace(g.PoseFreeLandmarks, g.Pose)).ToList();
        faces[0] = faces[1] = null;
        faces[30] = faces[31] = faces[32] = null;
        faces[^1] = null;
        var animation = BlendshapeAnimation.Create(fixture.Fitter, faces, new RationalFrameRate(25));
        Assert.Equal(FrameFitStatus.Held, animation.Frames[0].Status);
        Assert.Equal(animation.Frames[2].Weights, animation.Frames[0].Weights);
        Assert.Equal(FrameFitStatus.Interpolated, animation.Frames[31].Status);
        var jaw = ArkitBlendshapes.IndexOf("jawOpen");
        Assert.Equal((animation.Frames[29].Weights[jaw] + animation.Frames[33].Weights[jaw]) / 2, animation.Frames[31].Weights[jaw], 5);
        Assert.Equal((animation.Frames[29].Head.YawDegrees + animation.Frames[33].Head.YawDegrees) / 2, animation.Frames[31].Head.YawDegrees, 6);
        Assert.Equal(FrameFitStatus.Held, animation.Frames[^1].Status);
        Assert.Equal(FrameFitStatus.Fitted, animation.Frames[33].Status);
    }

    [Fact]
    public void Screen_landmarks_give_the_same_curves_as_the_geometry_pipeline_by_hand()
    {
        // The track job's path (BlendshapeAnimation.FromScreenLandmarks on tracking.json's pixels) and this suite's.
        var fit = fixture.Grid;
        var animation = BlendshapeAnimation.FromScreenLandmarks(
            fixture.Fitter, new Geometry.MetricLandmarks(fixture.Canonical), [.. fit.Pixels], 360, 288, new RationalFrameRate(25));
        for (var f = 0; f < animation.Frames.Count; f++)
        {
            Assert.Equal(fit.Animation.Frames[f].Weights, animation.Frames[f].Weights);
            Assert.Equal(fit.Animation.Frames[f].Head, animation.Frames[f].Head);
        }
    }

    private GoldenClipFit Clip(string name) => name == "grid" ? fixture.Grid : fixture.Obama;

    private static List<int[]> Runs(int[] frames)
    {
        var runs = new List<int[]>();
        var current = new List<int>();
        foreach (var f in frames)
        {
            if (current.Count > 0 && f > current[^1] + 2)
            {
                runs.Add([.. current]);
                current.Clear();
            }

            current.Add(f);
        }

        if (current.Count > 0)
        {
            runs.Add([.. current]);
        }

        return runs;
    }
}
