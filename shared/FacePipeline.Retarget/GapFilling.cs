namespace FacePipeline.Retarget;

/// <summary>What <see cref="GapFilling.Fill"/> made of a frame.</summary>
public enum GapState
{
    /// <summary>The frame had a value.</summary>
    Known,

    /// <summary>Inside a short gap between two known frames: interpolated.</summary>
    Interpolated,

    /// <summary>Inside a gap too long to interpolate, or before the first / after the last known frame: left empty.</summary>
    Long,
}

/// <summary>Fills short gaps in a per-frame sequence (a face lost for a few frames) by interpolation.</summary>
public static class GapFilling
{
    /// <summary>
    /// A copy of <paramref name="frames"/> where every run of at most <paramref name="maxGap"/> empty
    /// frames between two known frames is filled by <paramref name="interpolate"/>(before, after, fraction);
    /// longer runs, and runs at either end, stay empty. <paramref name="states"/> tells which is which.
    /// </summary>
    public static T?[] Fill<T>(IReadOnlyList<T?> frames, int maxGap, Func<T, T, double, T> interpolate, out GapState[] states)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(interpolate);
        var result = frames.ToArray();
        states = new GapState[result.Length];
        var previous = -1;
        for (var f = 0; f <= result.Length; f++)
        {
            if (f < result.Length && result[f] is null)
            {
                continue;
            }

            var gap = f - previous - 1;
            var fillable = previous >= 0 && f < result.Length && gap <= maxGap;
            for (var g = previous + 1; g < f; g++)
            {
                if (fillable)
                {
                    result[g] = interpolate(result[previous]!, result[f]!, (double)(g - previous) / (f - previous));
                    states[g] = GapState.Interpolated;
                }
                else
                {
                    states[g] = GapState.Long;
                }
            }

            previous = f;
        }

        return result;
    }

    /// <summary>
    /// <see cref="Fill"/> without holding the frames (issue 16): only the states are computed here (a pass over
    /// <paramref name="frames"/> asking only whether each frame has a value, <see cref="FacePresence.HasFace"/>); the
    /// returned list makes each filled frame when asked for, from the frames around it, with the same values
    /// <see cref="Fill"/> gives.
    /// </summary>
    public static IReadOnlyList<T?> FillLazily<T>(IReadOnlyList<T?> frames, int maxGap, Func<T, T, double, T> interpolate, out GapState[] states)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(interpolate);
        var count = frames.Count;
        var known = new bool[count];
        for (var f = 0; f < count; f++)
        {
            known[f] = frames.HasFace(f);
        }

        var filled = new GapState[count];
        var previous = -1;
        for (var f = 0; f <= count; f++)
        {
            if (f < count && !known[f])
            {
                continue;
            }

            var fillable = previous >= 0 && f < count && f - previous - 1 <= maxGap;
            for (var g = previous + 1; g < f; g++)
            {
                filled[g] = fillable ? GapState.Interpolated : GapState.Long;
            }

            previous = f;
        }

        states = filled;
        return new LazyList<T?>(count, f =>
        {
            switch (filled[f])
            {
                case GapState.Known:
                    return frames[f];
                case GapState.Interpolated:
                    var (before, after) = (f - 1, f + 1);
                    while (!known[before])
                    {
                        before--;
                    }

                    while (!known[after])
                    {
                        after++;
                    }

                    return interpolate(frames[before]!, frames[after]!, (double)(f - before) / (after - before));
                default:
                    return null;
            }
        });
    }
}
