namespace FacePipeline.Retarget;

/// <summary>Thresholds of <see cref="DonorSelector"/>, in <see cref="FeatureOpening"/> units (face sizes).</summary>
public sealed record DonorSelectorOptions
{
    /// <summary>
    /// A mouth donor is used when the wanted mouth opening exceeds the target frame's by more than this
    /// (0.05 ≈ 3 mm on a typical 6.3 cm inter-ocular distance; a neutral mouth is ≈ 0.09, a wide-open one ≈ 0.4).
    /// </summary>
    public double MouthThreshold { get; init; } = 0.05;

    /// <summary>
    /// An eye donor is used when the wanted eye opening is below the target frame's by more than this
    /// (0.03 ≈ 2 mm, about a third of an open eye's ≈ 0.10).
    /// </summary>
    public double EyeThreshold { get; init; } = 0.03;

    /// <summary>The defaults.</summary>
    public static DonorSelectorOptions Default { get; } = new();
}

/// <summary>A donor to use: take <paramref name="Feature"/> from target frame <paramref name="Frame"/>.</summary>
/// <param name="Feature">The feature to replace.</param>
/// <param name="Frame">The index of the donor frame in the target clip.</param>
public readonly record struct DonorChoice(FaceFeature Feature, int Frame);

/// <summary>
/// Chooses <see cref="FeatureDonor"/> frames of the target clip (Face2Face-style retrieval): when the
/// wanted expression opens the mouth wider than the target frame by more than
/// <see cref="DonorSelectorOptions.MouthThreshold"/>, the tracked frame whose mouth opening is closest to
/// the wanted one; when it closes an eye more than the target frame by more than
/// <see cref="DonorSelectorOptions.EyeThreshold"/>, the tracked frame whose opening of that eye is closest.
/// Ties go to the frame nearest in time (then the earlier one), which keeps lighting and pose close. A
/// donor is only chosen when it is strictly closer to the wanted opening than the target frame itself.
/// Immutable and thread-safe.
/// </summary>
public sealed class DonorSelector
{
    private static readonly FaceFeature[] Eyes = [FaceFeature.LeftEye, FaceFeature.RightEye];

    private readonly FeatureOpening?[] openings;

    /// <summary>Prepares a selector for one target clip.</summary>
    /// <param name="targetOpenings">Per target frame, its openings (<see cref="FeatureOpenings.Of"/> of the
    /// frame's pose-free face), or null where the frame has no tracked face (never a donor).</param>
    /// <param name="options">Thresholds; null = <see cref="DonorSelectorOptions.Default"/>.</param>
    public DonorSelector(IReadOnlyList<FeatureOpening?> targetOpenings, DonorSelectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(targetOpenings);
        openings = [.. targetOpenings];
        Options = options ?? DonorSelectorOptions.Default;
        if (!(Options.MouthThreshold >= 0) || !(Options.EyeThreshold >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Thresholds must be ≥ 0.");
        }
    }

    /// <summary>The thresholds.</summary>
    public DonorSelectorOptions Options { get; }

    /// <summary>Frames in the target clip.</summary>
    public int FrameCount => openings.Length;

    /// <summary>
    /// The donors for target frame <paramref name="targetFrame"/> when the wanted openings (those of the
    /// transferred pose-free face) are <paramref name="wanted"/>: at most one per feature, mouth first.
    /// Empty when the target frame has no tracked face.
    /// </summary>
    public IReadOnlyList<DonorChoice> Select(int targetFrame, FeatureOpening wanted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targetFrame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(targetFrame, openings.Length);
        var choices = new List<DonorChoice>(3);
        if (openings[targetFrame] is not { } own)
        {
            return choices;
        }

        if (wanted.Mouth - own.Mouth > Options.MouthThreshold)
        {
            Add(choices, FaceFeature.Mouth, targetFrame, own.Mouth, wanted.Mouth);
        }

        foreach (var eye in Eyes)
        {
            if (own.Of(eye) - wanted.Of(eye) > Options.EyeThreshold)
            {
                Add(choices, eye, targetFrame, own.Of(eye), wanted.Of(eye));
            }
        }

        return choices;
    }

    private void Add(List<DonorChoice> choices, FaceFeature feature, int targetFrame, double own, double wanted)
    {
        var best = -1;
        var bestGap = Math.Abs(own - wanted);
        for (var j = 0; j < openings.Length; j++)
        {
            if (j == targetFrame || openings[j] is not { } candidate)
            {
                continue;
            }

            var gap = Math.Abs(candidate.Of(feature) - wanted);
            if (gap < bestGap || (best >= 0 && gap == bestGap && Math.Abs(j - targetFrame) < Math.Abs(best - targetFrame)))
            {
                best = j;
                bestGap = gap;
            }
        }

        if (best >= 0)
        {
            choices.Add(new DonorChoice(feature, best));
        }
    }
}
