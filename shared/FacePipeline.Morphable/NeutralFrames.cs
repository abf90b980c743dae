using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>
/// Picks an actor's neutral frames for the identity fit: mouth closed, eyes open. The per-point
/// median over all frames (<see cref="NeutralEstimator"/>) is a good neutral for a mostly resting
/// face, but over speech its mouth is half open, and everything below that opening is lost to
/// weights held at 0; fitting expressions against a closed-mouth neutral keeps jawOpen moving with
/// every opening.
/// </summary>
public static class NeutralFrames
{
    /// <summary>Share of frames, smallest lip gap first, that may count as mouth-closed.</summary>
    public const double ClosedMouthShare = 0.3;

    /// <summary>A frame's eye opening (both eyes) must be at least this share of the clip's median.</summary>
    public const double OpenEyesShare = 0.9;

    /// <summary>
    /// The indices of the neutral frames among <paramref name="poseFree"/> (null: no face): the
    /// <see cref="ClosedMouthShare"/> of faced frames with the smallest inner-lip gap whose eye
    /// opening is at least <see cref="OpenEyesShare"/> of the median; all faced frames when that leaves none.
    /// </summary>
    public static int[] Select(IReadOnlyList<Vec3[]?> poseFree)
    {
        ArgumentNullException.ThrowIfNull(poseFree);
        return SelectByOpenings([.. poseFree.Select(f => f is null ? (FaceOpenings?)null : Measure(f))]);
    }

    /// <summary>
    /// <see cref="Select"/> from each frame's openings alone (<see cref="Measure"/>; null: no
    /// face), for a clip whose faces are not held in memory (issue 16).
    /// </summary>
    public static int[] SelectByOpenings(IReadOnlyList<FaceOpenings?> openings)
    {
        ArgumentNullException.ThrowIfNull(openings);
        var faced = Enumerable.Range(0, openings.Count).Where(f => openings[f] is not null).ToArray();
        if (faced.Length == 0)
        {
            throw new ArgumentException("No frame has landmarks.", nameof(openings));
        }

        var lip = faced.ToDictionary(f => f, f => openings[f]!.Value.InnerLipGap);
        var eyes = faced.ToDictionary(f => f, f => openings[f]!.Value.Eyes);
        var lipLimit = lip.Values.Order().ElementAt(Math.Min(faced.Length - 1, (int)(faced.Length * ClosedMouthShare)));
        var eyeMedian = eyes.Values.Order().ElementAt(faced.Length / 2);
        var selected = faced.Where(f => lip[f] <= lipLimit && eyes[f] >= OpenEyesShare * eyeMedian).ToArray();
        return selected.Length > 0 ? selected : faced;
    }

    /// <summary>What <see cref="SelectByOpenings"/> looks at on one pose-free face.</summary>
    public static FaceOpenings Measure(ReadOnlySpan<Vec3> poseFree) => new(
        MediaPipeFaceIndices.InnerLipGap(poseFree),
        MediaPipeFaceIndices.EyeOpening(poseFree, true) + MediaPipeFaceIndices.EyeOpening(poseFree, false));

    /// <summary>The per-point median over the frames <see cref="Select"/> picks.</summary>
    public static Vec3[] Estimate(IReadOnlyList<Vec3[]?> poseFree)
    {
        var frames = Select(poseFree).Select(f => poseFree[f]!).ToList();
        return NeutralEstimator.Estimate(frames);
    }
}

/// <summary>A face's inner-lip gap and both eyes' opening (summed), as <see cref="NeutralFrames"/> measures them.</summary>
/// <param name="InnerLipGap">The inner lips' mean gap.</param>
/// <param name="Eyes">Both eyes' opening, summed.</param>
public readonly record struct FaceOpenings(double InnerLipGap, double Eyes);
