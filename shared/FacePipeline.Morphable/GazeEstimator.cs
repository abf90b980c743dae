using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>
/// One eye's gaze relative to the head, read from where the iris centre sits in the eye opening (image plane, the
/// head's roll removed). Dimensionless, so the same at any resolution and face size.
/// </summary>
/// <param name="Horizontal">
/// The iris centre projected on the line through the eye's two corners: 0 at their midpoint, ±1 at a corner; positive
/// towards the subject's left (for both eyes, so that both move the same way when the eyes turn together).
/// </param>
/// <param name="Vertical">
/// The iris centre's height above the lid midline (the midpoint of the upper and lower lid points, along the head's up
/// direction) over the eye's width (corner to corner); positive up.
/// </param>
/// <param name="Opening">The lid opening (upper to lower lid point, along the head's up direction) over the eye's width.</param>
public readonly record struct IrisGaze(double Horizontal, double Vertical, double Opening);

/// <summary>Both eyes' gaze on one frame.</summary>
/// <param name="Right">The subject's right eye (MediaPipe's corners 33/133, lids 159/145, iris 468).</param>
/// <param name="Left">The subject's left eye (corners 362/263, lids 386/374, iris 473).</param>
/// <param name="RollRadians">The head's roll that was removed: the angle of the outer corners' line (33 → 263) from the image's x axis, y down.</param>
public readonly record struct FaceGaze(IrisGaze Right, IrisGaze Left, double RollRadians);

/// <summary>
/// Where each eye's gaze (<see cref="IrisGaze"/>) sits when the actor looks straight ahead: what the eyeLook weights are
/// measured from. <see cref="Default"/> from the goldens (<see cref="GazeMapping.RestOutward"/>,
/// <see cref="GazeMapping.RestVertical"/>); <see cref="Median"/> from an actor's own neutral frames.
/// </summary>
public readonly record struct GazeRest(double RightHorizontal, double RightVertical, double LeftHorizontal, double LeftVertical)
{
    /// <summary>The rest of <paramref name="mapping"/> (both eyes' irises <see cref="GazeMapping.RestOutward"/> towards the ear).</summary>
    public static GazeRest Default(GazeMapping? mapping = null)
    {
        var m = mapping ?? GazeMapping.Default;
        return new GazeRest(-m.RestOutward, m.RestVertical, m.RestOutward, m.RestVertical);
    }

    /// <summary>The per-eye median of some frames' gaze (an actor's neutral frames), or null when there is none.</summary>
    public static GazeRest? Median(IEnumerable<FaceGaze> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var list = frames.ToList();
        if (list.Count == 0)
        {
            return null;
        }

        static double Mid(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]);
        }

        return new GazeRest(
            Mid(list.Select(g => g.Right.Horizontal)),
            Mid(list.Select(g => g.Right.Vertical)),
            Mid(list.Select(g => g.Left.Horizontal)),
            Mid(list.Select(g => g.Left.Vertical)));
    }
}

/// <summary>
/// How gaze becomes ARKit's eight eyeLook weights (<see cref="GazeEstimator.EyeLook"/>). The defaults are explained in
/// docs/blendshapes.md ("Gaze").
/// </summary>
public sealed record GazeMapping
{
    /// <summary>The defaults.</summary>
    public static GazeMapping Default { get; } = new();

    /// <summary>
    /// Where the iris centre sits, towards the outer corner, when the eye looks straight ahead, for a face whose own rest
    /// is not known (<see cref="GazeRest.Default"/>): MediaPipe's inner corner (133, 362) lies at the inner end of the
    /// caruncle, so the midpoint of the corners is nasal of the iris. Mean of both eyes over MediaPipe's own refined
    /// landmarks of the 16 golden stills whose subject faces (|yaw| &lt; 6°) and looks into the camera: 0.093.
    /// </summary>
    public double RestOutward { get; init; } = 0.09;

    /// <summary>
    /// The iris centre's height above the lid midline, over the eye width, when the eye looks straight ahead (same
    /// goldens: 0.018; single faces range from −0.026 to 0.05).
    /// </summary>
    public double RestVertical { get; init; } = 0.02;

    /// <summary>
    /// Horizontal displacement (in half eye widths, from the rest position) that reads as weight 1 on eyeLookIn/Out:
    /// 0.35. An iris centre about 10 mm from the eye's centre of rotation, in an eye opening 28–30 mm wide, moves 0.35 of
    /// the half width at about 30° of eye rotation, the angle animation rigs give eyeLookIn/Out = 1 (e.g. MetaHuman's
    /// ARKit mapping, 30–40°), and comfortable eye turns stay within it.
    /// </summary>
    public double HorizontalFullScale { get; init; } = 0.35;

    /// <summary>
    /// Vertical displacement (in eye widths, from the rest position) that reads as weight 1 on eyeLookUp/Down: 0.1. The
    /// lids follow the eye up and down, so the iris moves against their midline by roughly half of its own travel:
    /// about 0.2 eye widths at 25° (10 mm × sin 25° over a 29 mm eye), 0.1 against the midline.
    /// </summary>
    public double VerticalFullScale { get; init; } = 0.1;

    /// <summary>
    /// Lid openings (over the eye width) below which the iris is mostly hidden and its place is not trusted: the gaze
    /// weights fade out linearly from <see cref="OpenEye"/> down to <see cref="ClosedEye"/> (a blink reads as no gaze,
    /// not as looking up or down).
    /// </summary>
    public double ClosedEye { get; init; } = 0.1;

    /// <summary>See <see cref="ClosedEye"/>.</summary>
    public double OpenEye { get; init; } = 0.18;
}

/// <summary>
/// Gaze relative to the head from MediaPipe's refined landmarks (478 points: the 468-point mesh, then the subject's right
/// iris 468–472 and left iris 473–477, centre first), and ARKit's eyeLook weights from it.
/// <para>
/// Per eye, in the image with the head's roll removed (the outer corners' line 33 → 263 turned level): the horizontal
/// gaze is the iris centre's place on the line through the eye's corners (0 between them, ±1 at a corner, + towards the
/// subject's left); the vertical gaze is its height above the midpoint of the middle upper and lower lid points over
/// the eye's width (+ up). See <see cref="IrisGaze"/>. Yaw and pitch of the head are not removed: the iris lies in front
/// of the corners, so a head turned far to one side shifts it in the opening (by about 0.1 of the half width at 20°).
/// </para>
/// <para>
/// The eyeLook weights (<see cref="EyeLook"/>): "in" is towards the nose, "out" towards the ear, so looking to the
/// subject's left is eyeLookOutLeft and eyeLookInRight. Each eye's horizontal gaze, less its rest position
/// (<see cref="GazeRest"/>: the actor's own gaze on their neutral frames, or <see cref="GazeMapping.RestOutward"/>), over
/// <see cref="GazeMapping.HorizontalFullScale"/>, gives its In or Out weight; the vertical gaze, less its rest, over
/// <see cref="GazeMapping.VerticalFullScale"/>, its Up or Down weight; clamped to [0, 1] and faded out as the eye closes.
/// </para>
/// </summary>
public static class GazeEstimator
{
    /// <summary>Points in MediaPipe's refined landmarks (468 mesh + 10 iris points).</summary>
    public const int RefinedPointCount = MediaPipeFaceIndices.PointCount + IrisPointCount;

    /// <summary>Iris points (5 per eye).</summary>
    public const int IrisPointCount = 10;

    /// <summary>The subject's right eye: outer corner, inner corner, middle upper lid, middle lower lid, iris centre (refined numbering).</summary>
    public static (int Outer, int Inner, int Upper, int Lower, int Iris) RightEye { get; } = (33, 133, 159, 145, 468);

    /// <summary>The subject's left eye, as <see cref="RightEye"/>.</summary>
    public static (int Outer, int Inner, int Upper, int Lower, int Iris) LeftEye { get; } = (263, 362, 386, 374, 473);

    /// <summary>The eight ARKit gaze names, in the order <see cref="EyeLook"/> returns their weights.</summary>
    public static IReadOnlyList<string> EyeLookNames { get; } =
    [
        "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
        "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    ];

    /// <summary>The gaze of a face's refined landmarks (478 screen points: x, y in pixels, y down; z unused).</summary>
    public static FaceGaze Estimate(ReadOnlySpan<Vec3> refined)
    {
        if (refined.Length != RefinedPointCount)
        {
            throw new ArgumentException($"Expected {RefinedPointCount} refined landmarks, got {refined.Length}.", nameof(refined));
        }

        return Estimate(refined[..MediaPipeFaceIndices.PointCount], refined[MediaPipeFaceIndices.PointCount..]);
    }

    /// <summary>The gaze of a face from its 468 landmarks and 10 iris points (screen, as tracking.json has them).</summary>
    public static FaceGaze Estimate(ReadOnlySpan<Vec3> landmarks, ReadOnlySpan<Vec3> irises)
    {
        if (landmarks.Length != MediaPipeFaceIndices.PointCount)
        {
            throw new ArgumentException($"Expected {MediaPipeFaceIndices.PointCount} landmarks, got {landmarks.Length}.", nameof(landmarks));
        }

        if (irises.Length != IrisPointCount)
        {
            throw new ArgumentException($"Expected {IrisPointCount} iris points, got {irises.Length}.", nameof(irises));
        }

        var start = landmarks[RightEye.Outer];
        var end = landmarks[LeftEye.Outer];
        var roll = Math.Atan2(end.Y - start.Y, end.X - start.X);
        var level = (Cos: Math.Cos(-roll), Sin: Math.Sin(-roll));
        var right = Eye(
            Level(landmarks[RightEye.Outer], level), Level(landmarks[RightEye.Inner], level),
            Level(landmarks[RightEye.Upper], level), Level(landmarks[RightEye.Lower], level),
            Level(irises[RightEye.Iris - MediaPipeFaceIndices.PointCount], level));
        var left = Eye(
            Level(landmarks[LeftEye.Inner], level), Level(landmarks[LeftEye.Outer], level),
            Level(landmarks[LeftEye.Upper], level), Level(landmarks[LeftEye.Lower], level),
            Level(irises[LeftEye.Iris - MediaPipeFaceIndices.PointCount], level));
        return new FaceGaze(right, left, roll);
    }

    /// <summary>A point turned by the roll's inverse (x right, y down, as in the image).</summary>
    private static (double X, double Y) Level(Vec3 p, (double Cos, double Sin) r) => ((p.X * r.Cos) - (p.Y * r.Sin), (p.X * r.Sin) + (p.Y * r.Cos));

    /// <summary>One eye, level: <paramref name="a"/> the corner on the subject's right side, <paramref name="b"/> on the left side.</summary>
    private static IrisGaze Eye((double X, double Y) a, (double X, double Y) b, (double X, double Y) upper, (double X, double Y) lower, (double X, double Y) iris)
    {
        var (dx, dy) = (b.X - a.X, b.Y - a.Y);
        var width2 = (dx * dx) + (dy * dy);
        if (!(width2 > 0))
        {
            return new IrisGaze(0, 0, 0);
        }

        var width = Math.Sqrt(width2);
        var t = (((iris.X - a.X) * dx) + ((iris.Y - a.Y) * dy)) / width2;
        var midline = 0.5 * (upper.Y + lower.Y);
        return new IrisGaze((2 * t) - 1, (midline - iris.Y) / width, (lower.Y - upper.Y) / width);
    }

    /// <summary>
    /// ARKit's eyeLook weights of a gaze, in <see cref="EyeLookNames"/> order (left eye Down, In, Out, Up, then the right
    /// eye's), each in [0, 1], measured from <paramref name="rest"/> (default <see cref="GazeRest.Default"/>). Looking to the
    /// subject's left: eyeLookOutLeft and eyeLookInRight.
    /// </summary>
    public static float[] EyeLook(FaceGaze gaze, GazeMapping? mapping = null, GazeRest? rest = null)
    {
        var m = mapping ?? GazeMapping.Default;
        var r = rest ?? GazeRest.Default(m);
        var weights = new float[EyeLookNames.Count];
        Eye(gaze.Left, r.LeftHorizontal, r.LeftVertical, outwardSign: 1, weights.AsSpan(0, 4), m);
        Eye(gaze.Right, r.RightHorizontal, r.RightVertical, outwardSign: -1, weights.AsSpan(4, 4), m);
        return weights;
    }

    /// <summary>Down, In, Out, Up of one eye; <paramref name="outwardSign"/>: +1 when the subject's left is outward (left eye).</summary>
    private static void Eye(IrisGaze eye, double restHorizontal, double restVertical, int outwardSign, Span<float> weights, GazeMapping m)
    {
        var fade = Math.Clamp((eye.Opening - m.ClosedEye) / (m.OpenEye - m.ClosedEye), 0, 1);
        var outward = outwardSign * (eye.Horizontal - restHorizontal) / m.HorizontalFullScale;
        var up = (eye.Vertical - restVertical) / m.VerticalFullScale;
        weights[0] = Weight(-up * fade);
        weights[1] = Weight(-outward * fade);
        weights[2] = Weight(outward * fade);
        weights[3] = Weight(up * fade);
    }

    private static float Weight(double value) => double.IsFinite(value) ? (float)Math.Clamp(value, 0, 1) : 0f;
}
