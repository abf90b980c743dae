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
}
