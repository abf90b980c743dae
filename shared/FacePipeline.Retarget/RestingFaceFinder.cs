using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>An actor's resting face in a clip, as <see cref="RestingFaceFinder"/> found it.</summary>
/// <param name="Neutral">The per-point median of the pose-free landmarks over <paramref name="RestingFrames"/> (468 points, cm).</param>
/// <param name="Frame">The resting frame closest to <paramref name="Neutral"/>: the one to show, and to take texture from.</param>
/// <param name="RestingFrames">The frames judged at rest, in clip order.</param>
/// <param name="Score">Per frame, how far the face is from rest (<see cref="RestingFaceFinder.ScoreOf"/>; NaN: no face).</param>
public sealed record RestingFace(Vec3[] Neutral, int Frame, IReadOnlyList<int> RestingFrames, IReadOnlyList<double> Score);

/// <summary>
/// Finds the frames of a clip where the actor's face is at rest, even when an expression is held for most of it (issue
/// 13: the per-point median of a clip that smiles 70 % of the time is a smile). Each frame gets a score from its
/// pose-free landmarks, every term growing as the face moves away from rest in the direction performances do: the mouth
/// opening (inner-lip gap), its width and the corners' lift (smiles, stretches), the brows' height above the lids
/// (raised brows), and the eyes' departure from the clip's median opening either way (blinks, wide eyes). Each term is a
/// length over the inter-ocular distance divided by a fixed scale (not the clip's own spread, which would blow a still
/// feature's noise up), so a feature the clip does not move adds the same to every frame. The least-scoring
/// <see cref="RestingShare"/> of the frames are the resting ones; the neutral is their per-point median. Expressions that
/// shrink these lengths (a frown, a pout, lowered brows) would score as rest: rare in performances, and named neutral
/// frames remain the override.
/// </summary>
public static class RestingFaceFinder
{
    /// <summary>Share of the tracked frames, least active first, taken as resting.</summary>
    public const double RestingShare = 0.1;

    /// <summary>At least this many resting frames (or every tracked frame, if fewer).</summary>
    public const int MinRestingFrames = 3;

    /// <summary>Scales (in inter-ocular distances) that make the terms comparable: the motion of a clear expression in each.</summary>
    private const double LipGapScale = 0.10, WidthScale = 0.08, LiftScale = 0.04, BrowScale = 0.04, EyeScale = 0.04;

    /// <summary>The resting face of a clip (pose-free landmarks per frame; null: no face).</summary>
    /// <exception cref="ArgumentException">No frame has a face.</exception>
    public static RestingFace Find(IReadOnlyList<Vec3[]?> poseFree)
    {
        ArgumentNullException.ThrowIfNull(poseFree);

        // The faces are only ever indexed, one at a time (issue 16): a list that makes them on demand (a clip kept on
        // disk) is read a few times over, never held.
        var tracked = Enumerable.Range(0, poseFree.Count).Where(f => poseFree.HasFace(f)).ToArray();
        if (tracked.Length == 0)
        {
            throw new ArgumentException("No frame has a face.", nameof(poseFree));
        }

        var eyes = tracked.Select(f => EyeOpening(poseFree[f]!)).Order().ToArray();
        var eyeMedian = eyes[eyes.Length / 2];
        var score = new double[poseFree.Count];
        Array.Fill(score, double.NaN);
        foreach (var f in tracked)
        {
            score[f] = ScoreOf(poseFree[f]!, eyeMedian);
        }

        var take = Math.Min(tracked.Length, Math.Max(MinRestingFrames, (int)Math.Ceiling(RestingShare * tracked.Length)));
        var resting = tracked.OrderBy(f => score[f]).ThenBy(f => f).Take(take).Order().ToArray();
        var pointCount = poseFree[resting[0]]!.Length;
        var neutral = PointMedian.Estimate(resting.Length, pointCount, visit =>
        {
            foreach (var f in resting)
            {
                visit(poseFree[f]!);
            }
        });
        return new RestingFace(neutral, resting[ClosestFrame(poseFree, resting, neutral)], resting, score);
    }

    /// <summary>
    /// <see cref="NeutralEstimator.ClosestFrame"/> over the faces <paramref name="frames"/> of <paramref name="faces"/>,
    /// read one at a time: the position in <paramref name="frames"/> of the one closest to <paramref name="reference"/>.
    /// </summary>
    internal static int ClosestFrame(IReadOnlyList<Vec3[]?> faces, IReadOnlyList<int> frames, ReadOnlySpan<Vec3> reference)
    {
        var best = -1;
        var bestDistance = double.PositiveInfinity;
        for (var k = 0; k < frames.Count; k++)
        {
            double d = 0;
            var frame = faces[frames[k]]!;
            for (var i = 0; i < reference.Length; i++)
            {
                d += (frame[i] - reference[i]).LengthSquared;
            }

            if (d < bestDistance)
            {
                bestDistance = d;
                best = k;
            }
        }

        return best;
    }

    /// <summary>How far one face is from rest (see the class); <paramref name="eyeMedian"/> is the clip's median eye opening over the IOD.</summary>
    public static double ScoreOf(ReadOnlySpan<Vec3> face, double eyeMedian)
    {
        var iod = InterOcular(face);
        var eyeMid = Mid(Mid(face[33], face[133]), Mid(face[362], face[263]));
        var lipMid = Mid(face[13], face[14]);
        var up = (eyeMid - lipMid) * (1 / (eyeMid - lipMid).Length);
        var corners = Mid(face[61], face[291]);
        var lipGap = (face[13] - face[14]).Length / iod;
        var width = (face[291] - face[61]).Length / iod;
        var lift = Vec3.Dot(corners - lipMid, up) / iod;
        var brows = (Vec3.Dot(face[105] - face[159], up) + Vec3.Dot(face[334] - face[386], up)) / (2 * iod);
        var eyes = Math.Abs(EyeOpening(face) - eyeMedian);
        return (lipGap / LipGapScale) + (width / WidthScale) + (lift / LiftScale) + (brows / BrowScale) + (eyes / EyeScale);
    }

    /// <summary>Both eyes' lid gap (159–145, 386–374), over the IOD.</summary>
    private static double EyeOpening(ReadOnlySpan<Vec3> face) => ((face[159] - face[145]).Length + (face[386] - face[374]).Length) / (2 * InterOcular(face));

    private static double InterOcular(ReadOnlySpan<Vec3> face) => (Mid(face[362], face[263]) - Mid(face[33], face[133])).Length;

    private static Vec3 Mid(Vec3 a, Vec3 b) => (a + b) * 0.5;
}
