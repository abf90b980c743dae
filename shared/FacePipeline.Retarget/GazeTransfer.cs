using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// The performer's gaze, relative to the head, for the actor (issue 13). A gaze is where the iris sits in its eye
/// (<see cref="EyeGaze"/>: across and down, in eye widths, from the corners), so it is already relative to the head.
/// The performer's gaze on each frame (both eyes averaged: the eyes move together) minus the performer's neutral gaze
/// (the median over the resting frames, where the performer looks as at rest, usually into the lens) is the offset the
/// actor's eyes take from the actor's own neutral gaze, eye by eye. Clips tracked without irises give no gaze (null).
/// </summary>
public static class GazeTransfer
{
    /// <summary>The refined points of a tracked face (the mesh, then the irises), or null without irises.</summary>
    public static Point2[]? RefinedPoints(ClipFace face)
    {
        ArgumentNullException.ThrowIfNull(face);
        if (face.Irises is not { Length: >= 10 } irises)
        {
            return null;
        }

        var points = new Point2[ExpressionFeatures.RefinedPointCount];
        for (var k = 0; k < WarpMesh.FacePointCount; k++)
        {
            points[k] = new Point2(face.Screen[k].X, face.Screen[k].Y);
        }

        for (var k = 0; k < 10; k++)
        {
            points[WarpMesh.FacePointCount + k] = new Point2(irises[k].X, irises[k].Y);
        }

        return points;
    }

    /// <summary>Both eyes' gaze averaged, per frame of a clip (null where no face or no irises).</summary>
    public static EyeGaze?[] Of(RetargetClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return [.. clip.Frames.Select(f => f is not null && RefinedPoints(f) is { } points ? EyeGaze.Both(points) : null)];
    }

    /// <summary>
    /// One eye's neutral gaze for a clip: the median over <paramref name="resting"/> frames that have irises, else over
    /// every frame that has them; null when none has.
    /// </summary>
    public static EyeGaze? Neutral(RetargetClip clip, IReadOnlyList<int> resting, Eye eye)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(resting);
        EyeGaze? At(int f) => f >= 0 && f < clip.Frames.Count && clip.Frames[f] is { } face && RefinedPoints(face) is { } points ? EyeGaze.Of(points, eye) : null;
        var gazes = resting.Select(At).Where(g => g is not null).Select(g => g!.Value).ToList();
        if (gazes.Count == 0)
        {
            gazes = [.. Enumerable.Range(0, clip.Frames.Count).Select(At).Where(g => g is not null).Select(g => g!.Value)];
        }

        return gazes.Count == 0 ? null : new EyeGaze(Median(gazes.Select(g => g.Across)), Median(gazes.Select(g => g.Down)));
    }

    /// <summary>
    /// The performer's gaze offset (from the neutral) at a fractional source position: linear between the two frames
    /// around it when both have a gaze, else the nearer one's; null when neither has.
    /// </summary>
    public static EyeGaze? OffsetAt(IReadOnlyList<EyeGaze?> gaze, EyeGaze neutral, double position)
    {
        ArgumentNullException.ThrowIfNull(gaze);
        if (gaze.Count == 0 || double.IsNaN(position))
        {
            return null;
        }

        var clamped = Math.Clamp(position, 0, gaze.Count - 1);
        var lower = (int)Math.Floor(clamped);
        var upper = Math.Min(lower + 1, gaze.Count - 1);
        var t = clamped - lower;
        EyeGaze? at = (gaze[lower], gaze[upper]) switch
        {
            ({ } a, { } b) => new EyeGaze(a.Across + (t * (b.Across - a.Across)), a.Down + (t * (b.Down - a.Down))),
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => null,
        };
        return at is { } g ? new EyeGaze(g.Across - neutral.Across, g.Down - neutral.Down) : null;
    }

    /// <summary>
    /// The shift to paint on one eye (<see cref="GazeShift.Paint"/>): the actor's neutral gaze plus the performer's
    /// offset, minus where the iris already is in the frame the eye's texture comes from.
    /// </summary>
    public static EyeGaze Shift(EyeGaze actorNeutral, EyeGaze offset, EyeGaze texture) =>
        new(actorNeutral.Across + offset.Across - texture.Across, actorNeutral.Down + offset.Down - texture.Down);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
