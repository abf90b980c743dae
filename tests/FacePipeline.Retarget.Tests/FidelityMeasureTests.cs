using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.Retarget.Tests;

[Trait("Lane", "Fast")]
public sealed class FidelityMeasureTests
{
    [Fact]
    public void Features_are_lengths_over_the_inter_ocular_distance_with_the_roll_removed()
    {
        var face = SyntheticFace(mouthOpen: 10, cornerLift: 4, eyeOpen: 6);
        var features = ExpressionFeatures.Measure(face);
        // Eye centres 100 px apart; the mouth is 60 px wide, open 10 px, corners 4 px above the lips' centre.
        Assert.Equal(0.10, features[(int)ExpressionFeature.MouthOpening], 9);
        Assert.Equal(0.60, features[(int)ExpressionFeature.MouthWidth], 9);
        Assert.Equal(0.04, features[(int)ExpressionFeature.Smile], 9);
        Assert.Equal(0.06, features[(int)ExpressionFeature.RightEyeOpening], 9);
        Assert.Equal(0.06, features[(int)ExpressionFeature.LeftEyeOpening], 9);
        Assert.Equal(0.20, features[(int)ExpressionFeature.RightBrowHeight], 9);
        Assert.Equal(0.20, features[(int)ExpressionFeature.LeftBrowHeight], 9);

        // The same face turned 35° in the image, twice as large and moved: the same features.
        var angle = 35 * Math.PI / 180;
        var moved = face.Select(p => new Vec3(
            (2 * ((p.X * Math.Cos(angle)) - (p.Y * Math.Sin(angle)))) + 300,
            (2 * ((p.X * Math.Sin(angle)) + (p.Y * Math.Cos(angle)))) - 40,
            p.Z)).ToArray();
        Assert.All(ExpressionFeatures.Measure(moved).Zip(features), p => Assert.Equal(p.Second, p.First, 9));
        Assert.Throws<ArgumentException>(() => ExpressionFeatures.Measure(face.Take(100).ToArray()));
    }

    [Fact]
    public void Gaze_is_the_iris_centre_from_the_middle_of_its_eye_over_the_eyes_width_and_needs_irises()
    {
        var face = SyntheticFace(mouthOpen: 10, cornerLift: 4, eyeOpen: 6);
        Assert.True(double.IsNaN(ExpressionFeatures.Measure(face)[(int)ExpressionFeature.GazeAcross]), "468 points: no irises, no gaze");

        // Eyes 40 px wide centred at (100, 100) and (200, 100); both irises 6 px right of centre and 2 px down.
        var refined = face.Concat(Enumerable.Repeat(new Vec3(0, 0, 0), 10)).ToArray();
        refined[468] = new Vec3(106, 102, 0);
        refined[473] = new Vec3(206, 102, 0);
        var features = ExpressionFeatures.Measure(refined);
        Assert.Equal(0.15, features[(int)ExpressionFeature.GazeAcross], 9);
        Assert.Equal(0.05, features[(int)ExpressionFeature.GazeDown], 9);
        Assert.Equal(ExpressionFeatures.Measure(face)[(int)ExpressionFeature.MouthOpening], features[(int)ExpressionFeature.MouthOpening], 12);
    }

    [Fact]
    public void Pearson_and_the_span_have_their_closed_forms()
    {
        double[] x = [1, 2, 3, 4, 5];
        Assert.Equal(1, RetargetFidelity.Pearson(x, x.Select(v => (2 * v) + 1).ToArray()), 12);
        Assert.Equal(-1, RetargetFidelity.Pearson(x, x.Select(v => -v).ToArray()), 12);
        Assert.True(double.IsNaN(RetargetFidelity.Pearson(x, [3, 3, 3, 3, 3])));
        Assert.True(double.IsNaN(RetargetFidelity.Pearson([1, 2], [2, 1])));
        // 0…100: p5 = 5, p95 = 95 with linear interpolation between order statistics.
        Assert.Equal(90, RetargetFidelity.Span(Enumerable.Range(0, 101).Select(i => (double)i).ToArray()), 9);
        Assert.Equal(0, RetargetFidelity.Span([4.0]));
    }

    [Fact]
    public void A_result_at_half_the_performers_range_and_one_copying_the_actor_are_told_apart()
    {
        var n = 60;
        var performer = Enumerable.Range(0, n).Select(i => Features(Math.Sin(i / 5.0) * 0.1)).ToArray();
        var actor = Enumerable.Range(0, n).Select(i => Features(Math.Cos(i / 3.0) * 0.1)).ToArray();
        var frames = Enumerable.Range(0, n).Select(i => new FidelityFrame(i, i)).ToArray();

        var half = RetargetFidelity.Measure(performer, actor, performer.Select(p => Features(0.5 * p![0])).ToArray(), frames);
        var opening = half.Single(f => f.Feature == ExpressionFeature.MouthOpening);
        Assert.Equal(1, opening.PerformerR, 9);
        Assert.Equal(0.5, opening.RangeRatio, 9);
        Assert.False(opening.MeetsFollowGoal);
        Assert.Equal(n, opening.Frames);

        var copy = RetargetFidelity.Measure(performer, actor, actor, frames).Single(f => f.Feature == ExpressionFeature.MouthOpening);
        Assert.Equal(1, copy.ActorR, 9);
        Assert.False(copy.MeetsLeakageGoal);

        var exact = RetargetFidelity.Measure(performer, actor, performer, frames).Single(f => f.Feature == ExpressionFeature.MouthOpening);
        Assert.True(exact.MeetsFollowGoal && exact.MeetsLeakageGoal);
    }

    [Fact]
    public void Frames_without_a_face_or_not_driven_are_left_out_and_source_positions_interpolate()
    {
        double[]?[] performer = [Features(0), Features(0.2), null, Features(0.6)];
        Assert.Equal(0.1, RetargetFidelity.At(performer, 0.5)![0], 12);
        Assert.Equal(0.2, RetargetFidelity.At(performer, 1.5)![0], 12); // the next frame has no face: the nearer tracked one
        Assert.Equal(0.6, RetargetFidelity.At(performer, 7)![0], 12);  // clamped to the last frame

        var result = new[] { Features(0), Features(0.1), Features(0.2), null, Features(0.4) };
        var frames = new[] { new FidelityFrame(0, 0), new FidelityFrame(0.5, 0), new FidelityFrame(1, 0, Driven: false), new FidelityFrame(1, 0), new FidelityFrame(3, 0) };
        var measured = RetargetFidelity.Measure(performer, [Features(0)], result, frames);
        Assert.All(measured, f => Assert.Equal(3, f.Frames));
    }

    private static double[] Features(double value) => [.. Enumerable.Repeat(value, ExpressionFeatures.All.Count)];

    /// <summary>468 points at a resting layout: eye corners, lids, brows, lips placed by hand; the rest at the nose.</summary>
    private static Vec3[] SyntheticFace(double mouthOpen, double cornerLift, double eyeOpen)
    {
        var p = Enumerable.Repeat(new Vec3(150, 150, 0), 468).ToArray();
        void Set(int k, double x, double y) => p[k] = new Vec3(x, y, 0);
        Set(33, 80, 100); Set(133, 120, 100);   // right eye corners: centre (100, 100)
        Set(362, 180, 100); Set(263, 220, 100); // left eye corners: centre (200, 100)
        Set(159, 100, 100 - (eyeOpen / 2)); Set(145, 100, 100 + (eyeOpen / 2));
        Set(386, 200, 100 - (eyeOpen / 2)); Set(374, 200, 100 + (eyeOpen / 2));
        Set(105, 100, 80 - (eyeOpen / 2)); Set(334, 200, 80 - (eyeOpen / 2));
        Set(13, 150, 200 - (mouthOpen / 2)); Set(14, 150, 200 + (mouthOpen / 2));
        Set(61, 120, 200 - cornerLift); Set(291, 180, 200 - cornerLift);
        return p;
    }
}
