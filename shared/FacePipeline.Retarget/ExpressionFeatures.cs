using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>An expression feature measured on a face's tracked 2D landmarks (issue 13's fidelity measure).</summary>
public enum ExpressionFeature
{
    /// <summary>Inner-lip gap at the middle: 13 (upper) to 14 (lower).</summary>
    MouthOpening,

    /// <summary>Corner to corner: 61 to 291.</summary>
    MouthWidth,

    /// <summary>The mouth corners' (61, 291) lift above the inner-lip centre (13, 14).</summary>
    Smile,

    /// <summary>The subject's right eye: upper lid 159 to lower lid 145.</summary>
    RightEyeOpening,

    /// <summary>The subject's left eye: upper lid 386 to lower lid 374.</summary>
    LeftEyeOpening,

    /// <summary>The subject's right brow (105) above its upper lid (159).</summary>
    RightBrowHeight,

    /// <summary>The subject's left brow (334) above its upper lid (386).</summary>
    LeftBrowHeight,

    /// <summary>
    /// Gaze across (<see cref="EyeGaze.Both"/>): each iris centre (MediaPipe's refined points 468, 473) from the middle
    /// of its eye's corners (33–133, 362–263) along the eye line, over the eye's width, the two eyes averaged; positive
    /// towards the image's right. Needs the refined model's 478 points (NaN without irises).
    /// </summary>
    GazeAcross,

    /// <summary>Gaze up and down (<see cref="EyeGaze.Both"/>): the iris centres below the middle of their eye's corners, over the eye's width, averaged; positive downwards. NaN without irises.</summary>
    GazeDown,
}

/// <summary>
/// Expression features of one face from its tracked landmarks in the image (x, y of MediaPipe's 468 points): the head's
/// roll is removed (the line between the eye centres, 33/133 and 362/263, made level) and every length is divided by the
/// inter-ocular distance (between the same eye centres). Vertical features are signed: image y grows downwards, so an
/// opening is lower minus upper.
/// </summary>
public static class ExpressionFeatures
{
    /// <summary>MediaPipe's refined model's points: the 468-point mesh, then the two irises (468–472 the subject's right, 473–477 the left).</summary>
    public const int RefinedPointCount = 478;

    /// <summary>Every feature, in <see cref="ExpressionFeature"/> order.</summary>
    public static IReadOnlyList<ExpressionFeature> All { get; } = Enum.GetValues<ExpressionFeature>();

    /// <summary>A short label for tables: "mouth opening", "eye opening R (159–145)", …</summary>
    public static string Label(ExpressionFeature feature) => feature switch
    {
        ExpressionFeature.MouthOpening => "mouth opening (13–14)",
        ExpressionFeature.MouthWidth => "mouth width (61–291)",
        ExpressionFeature.Smile => "smile (corner lift)",
        ExpressionFeature.RightEyeOpening => "eye opening R (159–145)",
        ExpressionFeature.LeftEyeOpening => "eye opening L (386–374)",
        ExpressionFeature.RightBrowHeight => "brow height R (105–159)",
        ExpressionFeature.LeftBrowHeight => "brow height L (334–386)",
        ExpressionFeature.GazeAcross => "gaze across (iris in the eye)",
        ExpressionFeature.GazeDown => "gaze down (iris in the eye)",
        _ => throw new ArgumentOutOfRangeException(nameof(feature)),
    };

    /// <summary>The features of one face, indexed by <see cref="ExpressionFeature"/>; x and y of each landmark are read (468 points; with the refined model's 478, the gaze too, else NaN).</summary>
    public static double[] Measure(IReadOnlyList<Vec3> landmarks)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        if (landmarks.Count < 468)
        {
            throw new ArgumentException($"Expected MediaPipe's 468 landmarks; got {landmarks.Count}.", nameof(landmarks));
        }

        var right = Mid(landmarks[33], landmarks[133]);
        var left = Mid(landmarks[362], landmarks[263]);
        var (dx, dy) = (left.X - right.X, left.Y - right.Y);
        var iod = Math.Sqrt((dx * dx) + (dy * dy));
        if (!(iod > 0))
        {
            throw new ArgumentException("The eye centres coincide: not a face.", nameof(landmarks));
        }

        // Rotate by −roll about the right eye centre: the eye line becomes horizontal.
        var (cos, sin) = (dx / iod, dy / iod);
        double X(int k) => (((landmarks[k].X - right.X) * cos) + ((landmarks[k].Y - right.Y) * sin)) / iod;
        double Y(int k) => ((-(landmarks[k].X - right.X) * sin) + ((landmarks[k].Y - right.Y) * cos)) / iod;

        var values = new double[All.Count];
        values[(int)ExpressionFeature.MouthOpening] = Y(14) - Y(13);
        values[(int)ExpressionFeature.MouthWidth] = Math.Sqrt(Square(X(291) - X(61)) + Square(Y(291) - Y(61)));
        values[(int)ExpressionFeature.Smile] = ((Y(13) + Y(14)) / 2) - ((Y(61) + Y(291)) / 2);
        values[(int)ExpressionFeature.RightEyeOpening] = Y(145) - Y(159);
        values[(int)ExpressionFeature.LeftEyeOpening] = Y(374) - Y(386);
        values[(int)ExpressionFeature.RightBrowHeight] = Y(159) - Y(105);
        values[(int)ExpressionFeature.LeftBrowHeight] = Y(386) - Y(334);
        // The gaze, as the gaze transfer defines it (each iris in its own eye, both eyes averaged); NaN without irises.
        var gaze = landmarks.Count >= RefinedPointCount ? EyeGaze.Both([.. landmarks.Select(p => new Point2(p.X, p.Y))]) : null;
        values[(int)ExpressionFeature.GazeAcross] = gaze?.Across ?? double.NaN;
        values[(int)ExpressionFeature.GazeDown] = gaze?.Down ?? double.NaN;

        return values;
    }

    /// <summary><see cref="Measure(IReadOnlyList{Vec3})"/> on landmarks as the tracker records them (x, y, z per point).</summary>
    public static double[] Measure(IReadOnlyList<float[]> landmarks)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        return Measure(landmarks.Select(p => new Vec3(p[0], p[1], 0)).ToArray());
    }

    /// <summary><see cref="Measure(IReadOnlyList{Vec3})"/> on a 2D mesh (a destination, a re-tracked result).</summary>
    public static double[] Measure(IReadOnlyList<Point2> landmarks)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        return Measure(landmarks.Select(p => new Vec3(p.X, p.Y, 0)).ToArray());
    }

    private static Vec3 Mid(Vec3 a, Vec3 b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2, 0);

    private static double Square(double v) => v * v;
}
