using MathNet.Numerics.Statistics;

namespace FacePipeline.Retarget;

/// <summary>One output frame of a retarget as the fidelity measure pairs it: the source moment and the target frame it was rendered from.</summary>
/// <param name="SourcePosition">Position on the performer's frame axis (fractional: the features are interpolated).</param>
/// <param name="TargetFrame">The actor's frame under this output frame.</param>
/// <param name="Driven">Whether the frame carries a tracked (or interpolated) performer expression on a tracked actor face; held and untracked frames are left out.</param>
public readonly record struct FidelityFrame(double SourcePosition, int TargetFrame, bool Driven = true);

/// <summary>How well one feature of the result follows the performer (issue 13).</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Frames">Output frames measured (performer, actor and result all tracked, the frame driven).</param>
/// <param name="PerformerR">Pearson r(performer, result).</param>
/// <param name="ActorR">Pearson r(actor, result): leakage of the actor's own performance.</param>
/// <param name="RangeRatio">The result's p95–p5 span over the performer's.</param>
/// <param name="PerformerSpan">The performer's p95–p5 span, in inter-ocular distances.</param>
/// <param name="ResultSpan">The result's p95–p5 span.</param>
/// <param name="PerformerActorR">r(performer, actor) on the same frames: how much the two clips correlate by chance, the floor under <paramref name="ActorR"/> for a perfect result.</param>
public sealed record FeatureFidelity(ExpressionFeature Feature, int Frames, double PerformerR, double ActorR, double RangeRatio, double PerformerSpan, double ResultSpan, double PerformerActorR = double.NaN)
{
    /// <summary>The performer moved this feature enough to measure it (span ≥ <see cref="FidelityGoals.MinSpan"/>).</summary>
    public bool Moves => PerformerSpan >= FidelityGoals.MinSpan;

    /// <summary>r ≥ 0.9 and range ratio in 0.85–1.15 (goal features that move); gaze: r ≥ 0.8 (when it moves); others pass.</summary>
    public bool MeetsFollowGoal => FidelityGoals.Gaze.Contains(Feature)
        ? !Moves || PerformerR >= FidelityGoals.MinGazeR
        : !FidelityGoals.Followed.Contains(Feature) || !Moves
            || (PerformerR >= FidelityGoals.MinR && RangeRatio >= FidelityGoals.MinRangeRatio && RangeRatio <= FidelityGoals.MaxRangeRatio);

    /// <summary>Leakage r(actor, result) ≤ 0.3 on the goal features (NaN: the actor did not move it, no leakage).</summary>
    public bool MeetsLeakageGoal => !FidelityGoals.Followed.Contains(Feature) || double.IsNaN(ActorR) || ActorR <= FidelityGoals.MaxLeakage;
}

/// <summary>Issue 13's goals for every clip pair.</summary>
public static class FidelityGoals
{
    /// <summary>The features held to r and range: mouth opening and width, smile, both eye openings.</summary>
    public static IReadOnlyList<ExpressionFeature> Followed { get; } =
    [
        ExpressionFeature.MouthOpening, ExpressionFeature.MouthWidth, ExpressionFeature.Smile,
        ExpressionFeature.RightEyeOpening, ExpressionFeature.LeftEyeOpening,
    ];

    /// <summary>r(performer, result) at least this.</summary>
    public const double MinR = 0.9;

    /// <summary>Range ratio at least this.</summary>
    public const double MinRangeRatio = 0.85;

    /// <summary>Range ratio at most this.</summary>
    public const double MaxRangeRatio = 1.15;

    /// <summary>Gaze: r(performer, result) at least this, once irises are tracked (range and leakage are reported, not judged).</summary>
    public const double MinGazeR = 0.8;

    /// <summary>The gaze features, held to <see cref="MinGazeR"/>.</summary>
    public static IReadOnlyList<ExpressionFeature> Gaze { get; } = [ExpressionFeature.GazeAcross, ExpressionFeature.GazeDown];

    /// <summary>r(actor, result) at most this.</summary>
    public const double MaxLeakage = 0.3;

    /// <summary>A performer span below this (inter-ocular distances) is tracking noise, not a movement to carry: r and range are not judged.</summary>
    public const double MinSpan = 0.015;
}

/// <summary>
/// The fidelity of a retarget, measured by re-tracking its result (issue 13): per output frame, the performer's features
/// at its source position, the actor's on the frame the result was rendered from, and the result's own; per feature,
/// r(performer, result), r(actor, result) and the p95–p5 range ratio.
/// </summary>
public static class RetargetFidelity
{
    /// <summary>
    /// Measures every feature. <paramref name="performer"/>, <paramref name="actor"/> and <paramref name="result"/> hold
    /// <see cref="ExpressionFeatures.Measure(IReadOnlyList{FacePipeline.Geometry.Vec3})"/> per frame (null: no face);
    /// <paramref name="frames"/> pairs each output frame (index into <paramref name="result"/>) with the others.
    /// </summary>
    public static IReadOnlyList<FeatureFidelity> Measure(
        IReadOnlyList<double[]?> performer, IReadOnlyList<double[]?> actor, IReadOnlyList<double[]?> result, IReadOnlyList<FidelityFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(performer);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(frames);
        var rows = new List<(double[] P, double[] A, double[] R)>();
        for (var k = 0; k < frames.Count && k < result.Count; k++)
        {
            var frame = frames[k];
            if (!frame.Driven || result[k] is not { } r || frame.TargetFrame < 0 || frame.TargetFrame >= actor.Count || actor[frame.TargetFrame] is not { } a
                || At(performer, frame.SourcePosition) is not { } p)
            {
                continue;
            }

            rows.Add((p, a, r));
        }

        return [.. ExpressionFeatures.All.Select(f =>
        {
            // A feature is measured on the frames where all three faces have it (the gaze needs irises on each).
            var i = (int)f;
            var measured = rows.Where(x => double.IsFinite(x.P[i]) && double.IsFinite(x.A[i]) && double.IsFinite(x.R[i])).ToList();
            var p = measured.Select(x => x.P[i]).ToArray();
            var a = measured.Select(x => x.A[i]).ToArray();
            var r = measured.Select(x => x.R[i]).ToArray();
            var (ps, rs) = (Span(p), Span(r));
            return new FeatureFidelity(f, measured.Count, Pearson(p, r), Pearson(a, r), ps > 0 ? rs / ps : double.NaN, ps, rs, Pearson(p, a));
        })];
    }

    /// <summary>The performer's features at a fractional frame position: linear between the two frames around it when both are tracked, else the nearer tracked one.</summary>
    public static double[]? At(IReadOnlyList<double[]?> clip, double position)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (clip.Count == 0 || double.IsNaN(position))
        {
            return null;
        }

        var clamped = Math.Clamp(position, 0, clip.Count - 1);
        var lower = (int)Math.Floor(clamped);
        var upper = Math.Min(lower + 1, clip.Count - 1);
        var t = clamped - lower;
        return (clip[lower], clip[upper]) switch
        {
            ({ } a, { } b) => [.. a.Zip(b, (x, y) => x + (t * (y - x)))],
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => null,
        };
    }

    /// <summary>Pearson's r (MathNet); NaN when either series is constant or shorter than 3.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var n = Math.Min(x.Count, y.Count);
        if (n < 3)
        {
            return double.NaN;
        }

        var r = Correlation.Pearson(x.Take(n), y.Take(n));
        return double.IsFinite(r) ? r : double.NaN;
    }

    /// <summary>p95 − p5 (R-7 quantiles: linear between order statistics); 0 for fewer than 2 values.</summary>
    public static double Span(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        return SortedArrayStatistics.QuantileCustom(sorted, 0.95, QuantileDefinition.R7)
            - SortedArrayStatistics.QuantileCustom(sorted, 0.05, QuantileDefinition.R7);
    }
}
