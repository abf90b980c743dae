namespace FacePipeline.Morphable;

/// <summary>
/// Apple ARKit's 52 face blendshapes (<c>ARFaceAnchor.BlendShapeLocation</c>) and their mapping
/// onto ICT-FaceKit's expression shapes.
/// <para>
/// ICT names its shapes after ARKit with a side suffix: ICT <c>xxx_L</c> is ARKit <c>xxxLeft</c>,
/// <c>xxx_R</c> is <c>xxxRight</c>, an unsuffixed ICT name is the same ARKit name (<c>jawOpen</c>).
/// Left and right are the subject's own, as in ARKit (ICT's <c>eyeBlink_L</c> closes the eye at
/// +x, the face's left). The two sets differ in three places:
/// </para>
/// <list type="bullet">
/// <item>ARKit <c>browInnerUp</c> is one shape; ICT splits it into <c>browInnerUp_L</c> + <c>browInnerUp_R</c>.</item>
/// <item>ARKit <c>cheekPuff</c> is one shape; ICT splits it into <c>cheekPuff_L</c> + <c>cheekPuff_R</c>.</item>
/// <item>ARKit <c>tongueOut</c> has no ICT shape (ICT's tongue has no expression); it maps to nothing.</item>
/// </list>
/// <para>
/// Hence ICT's 53 = 52 − 1 (tongueOut) + 2 (the splits). ICT's extra shapes <c>cheekRaiser_L/R</c>
/// and <c>PupilDilate_L/R</c> have no ARKit counterpart.
/// </para>
/// </summary>
public static class ArkitBlendshapes
{
    /// <summary>The 52 ARKit blendshape names in Apple's documented order (eyeBlinkLeft … tongueOut).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft", "eyeWideLeft",
        "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
        "jawForward", "jawLeft", "jawRight", "jawOpen",
        "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
        "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
        "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
        "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
        "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
        "mouthUpperUpLeft", "mouthUpperUpRight",
        "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
        "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
        "noseSneerLeft", "noseSneerRight",
        "tongueOut",
    ];

    /// <summary>ICT expression shapes with no ARKit counterpart.</summary>
    public static IReadOnlyList<string> IctExtras { get; } = ["cheekRaiser_L", "cheekRaiser_R", "PupilDilate_L", "PupilDilate_R"];

    private static readonly Dictionary<string, int> IndexByName =
        Names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);

    /// <summary>The position of an ARKit name in <see cref="Names"/>, or -1.</summary>
    public static int IndexOf(string arkitName) => IndexByName.GetValueOrDefault(arkitName, -1);

    /// <summary>
    /// The ARKit name of an ICT expression shape (<c>eyeBlink_L</c> → <c>eyeBlinkLeft</c>,
    /// <c>browInnerUp_L</c> → <c>browInnerUp</c>, <c>jawOpen</c> → <c>jawOpen</c>), or null for
    /// ICT's extras (<c>cheekRaiser_L/R</c>, <c>PupilDilate_L/R</c>).
    /// </summary>
    public static string? ToArkit(string ictName)
    {
        var candidate = ictName.EndsWith("_L", StringComparison.Ordinal) ? ictName[..^2] + "Left"
            : ictName.EndsWith("_R", StringComparison.Ordinal) ? ictName[..^2] + "Right"
            : ictName;
        if (IndexByName.ContainsKey(candidate))
        {
            return candidate;
        }

        // The two shapes ARKit keeps whole and ICT splits per side.
        var unsided = ictName.Length > 2 && (ictName.EndsWith("_L", StringComparison.Ordinal) || ictName.EndsWith("_R", StringComparison.Ordinal))
            ? ictName[..^2]
            : ictName;
        return unsided is "browInnerUp" or "cheekPuff" ? unsided : null;
    }

    /// <summary>The ICT shapes an ARKit blendshape drives (each at the ARKit weight): one for most, two for browInnerUp and cheekPuff, none for tongueOut.</summary>
    public static IReadOnlyList<string> ToIct(string arkitName) => arkitName switch
    {
        "browInnerUp" => ["browInnerUp_L", "browInnerUp_R"],
        "cheekPuff" => ["cheekPuff_L", "cheekPuff_R"],
        "tongueOut" => [],
        // jawLeft, mouthRight, … are whole shapes in both sets: the name is not a side suffix.
        "jawLeft" or "jawRight" or "mouthLeft" or "mouthRight" => [arkitName],
        _ when arkitName.EndsWith("Left", StringComparison.Ordinal) && IndexByName.ContainsKey(arkitName) => [arkitName[..^4] + "_L"],
        _ when arkitName.EndsWith("Right", StringComparison.Ordinal) && IndexByName.ContainsKey(arkitName) => [arkitName[..^5] + "_R"],
        _ when IndexByName.ContainsKey(arkitName) => [arkitName],
        _ => throw new ArgumentException($"'{arkitName}' is not an ARKit blendshape name.", nameof(arkitName)),
    };
}
