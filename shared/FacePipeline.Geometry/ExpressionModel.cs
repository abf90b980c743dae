namespace FacePipeline.Geometry;

/// <summary>
/// Expression as displacement: a frame's pose-free landmarks (<see cref="FaceGeometry.PoseFreeLandmarks"/>,
/// canonical frame, centimetres) minus the actor's neutral face. Because the pose is removed first,
/// the expression is free of head motion; what remains is the deformation (mouth, eyes, brows…).
/// </summary>
public static class ExpressionModel
{
    /// <summary>Per-vertex displacement <c>poseFree − neutral</c>.</summary>
    public static Vec3[] Expression(ReadOnlySpan<Vec3> poseFree, ReadOnlySpan<Vec3> neutral)
    {
        RequireSameLength(poseFree.Length, neutral.Length);
        var result = new Vec3[poseFree.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = poseFree[i] - neutral[i];
        }

        return result;
    }

    /// <summary>The inverse of <see cref="Expression"/>: <c>neutral + expression</c> (e.g. to retarget
    /// an expression onto another neutral face).</summary>
    public static Vec3[] Apply(ReadOnlySpan<Vec3> neutral, ReadOnlySpan<Vec3> expression)
    {
        RequireSameLength(neutral.Length, expression.Length);
        var result = new Vec3[neutral.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = neutral[i] + expression[i];
        }

        return result;
    }

    /// <summary>Root-mean-square length of the displacement (centimetres): how much expression.</summary>
    public static double Magnitude(ReadOnlySpan<Vec3> expression)
    {
        if (expression.Length == 0)
        {
            return 0;
        }

        double sum = 0;
        foreach (var d in expression)
        {
            sum += d.LengthSquared;
        }

        return Math.Sqrt(sum / expression.Length);
    }

    private static void RequireSameLength(int a, int b)
    {
        if (a != b)
        {
            throw new ArgumentException($"Landmark counts differ: {a} and {b}.");
        }
    }
}

/// <summary>How <see cref="NeutralEstimator"/> picks an actor's neutral face.</summary>
public enum NeutralMethod
{
    /// <summary>
    /// Per-vertex, per-coordinate median over all frames (default). Robust as long as the actor
    /// is neutral in more than half of the frames for each part of the face independently (mouth
    /// movement on 40% of frames and blinks on 10% do not move it). The result is not any single
    /// frame, so it may mix parts of different frames; for speech-heavy clips prefer a frame.
    /// </summary>
    Median = 0,

    /// <summary>
    /// The frame closest (sum of squared vertex distances) to the per-vertex median: a real,
    /// self-consistent face shape, chosen robustly.
    /// </summary>
    MedoidFrame = 1,
}

/// <summary>Estimates an actor's neutral face from the pose-free landmarks of a clip.</summary>
public static class NeutralEstimator
{
    /// <summary>The neutral face of a clip (each frame: pose-free landmarks, same count).</summary>
    public static Vec3[] Estimate(IReadOnlyList<Vec3[]> frames, NeutralMethod method = NeutralMethod.Median)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("No frames to estimate a neutral face from.", nameof(frames));
        }

        var count = frames[0].Length;
        for (var f = 1; f < frames.Count; f++)
        {
            if (frames[f].Length != count)
            {
                throw new ArgumentException($"Frame {f} has {frames[f].Length} landmarks; frame 0 has {count}.", nameof(frames));
            }
        }

        var median = PerVertexMedian(frames, count);
        return method switch
        {
            NeutralMethod.Median => median,
            NeutralMethod.MedoidFrame => (Vec3[])frames[ClosestFrame(frames, median)].Clone(),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
    }

    /// <summary>Override: the neutral face is frame <paramref name="index"/> (a copy).</summary>
    public static Vec3[] FromFrame(IReadOnlyList<Vec3[]> frames, int index)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, frames.Count);
        return (Vec3[])frames[index].Clone();
    }

    /// <summary>Index of the frame with the smallest sum of squared distances to <paramref name="reference"/>.</summary>
    public static int ClosestFrame(IReadOnlyList<Vec3[]> frames, ReadOnlySpan<Vec3> reference)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var best = -1;
        var bestDistance = double.PositiveInfinity;
        for (var f = 0; f < frames.Count; f++)
        {
            double d = 0;
            var frame = frames[f];
            for (var i = 0; i < reference.Length; i++)
            {
                d += (frame[i] - reference[i]).LengthSquared;
            }

            if (d < bestDistance)
            {
                bestDistance = d;
                best = f;
            }
        }

        return best;
    }

    private static Vec3[] PerVertexMedian(IReadOnlyList<Vec3[]> frames, int count)
    {
        var result = new Vec3[count];
        var xs = new double[frames.Count];
        var ys = new double[frames.Count];
        var zs = new double[frames.Count];
        for (var i = 0; i < count; i++)
        {
            for (var f = 0; f < frames.Count; f++)
            {
                var p = frames[f][i];
                xs[f] = p.X;
                ys[f] = p.Y;
                zs[f] = p.Z;
            }

            result[i] = new Vec3(Median(xs), Median(ys), Median(zs));
        }

        return result;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var n = values.Length;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[(n / 2) - 1] + values[n / 2]);
    }
}
