using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>
/// Named points of MediaPipe's 468-point face mesh (the numbering of MediaPipe's published
/// <c>face_mesh_connections</c> contours and its canonical face model), the 68-point iBUG / Multi-PIE
/// correspondence the ICT alignment uses, and the measurements the blink and jaw checks read.
/// <para>
/// Sides are the subject's own, as in MediaPipe's names: the "right eye" (33, 133, 159, 145) is the
/// subject's right eye, on the image's left, at −x in the canonical frame.
/// </para>
/// </summary>
public static class MediaPipeFaceIndices
{
    /// <summary>Points in MediaPipe's face mesh (without the refined irises).</summary>
    public const int PointCount = 468;

    /// <summary>
    /// For each of the 68 iBUG / Multi-PIE landmarks (ICT's <c>idx_to_landmark_verts</c> order), the
    /// MediaPipe point at the same place. Chosen from MediaPipe's contours:
    /// <list type="bullet">
    /// <item>0–16 jaw line (subject's right ear → chin 152 → left ear): the face-oval contour
    /// 127 234 93 132 172 150 149 148 | 152 | 377 378 379 397 361 323 454 356, picked so the arc-length
    /// fractions along the oval match the iBUG spacing (the oval has 11 steps from 127 to 152, iBUG 8);
    /// mirror pairs (132↔361, 150↔379 …) keep it symmetric. Contour landmarks follow the silhouette,
    /// not a fixed point of the face, so the alignment gives them a low weight.</item>
    /// <item>17–21 right brow outer → inner, upper edge: 70 63 105 66 107; 22–26 left brow inner → outer: 336 296 334 293 300.</item>
    /// <item>27–30 nose bridge → tip: 168 197 5 4; 31–35 nostrils right → left: 98 97 2 326 327 (2 is the subnasale).</item>
    /// <item>36–41 right eye: outer corner 33, upper lid 160 158, inner corner 133, lower lid 153 144;
    /// 42–47 left eye: inner corner 362, upper lid 385 387, outer corner 263, lower lid 373 380
    /// (upper and lower lids at one and two thirds of MediaPipe's seven-point lid contours).</item>
    /// <item>48–59 outer lips: corner 61, 40 37 0 267 270, corner 291, then lower 321 314 17 84 91.</item>
    /// <item>60–67 inner lips: corner 78, 81 13 311, corner 308, then lower 402 14 178.</item>
    /// </list>
    /// </summary>
    public static IReadOnlyList<int> Ibug68 { get; } =
    [
        127, 234, 93, 132, 172, 150, 149, 148, 152, 377, 378, 379, 397, 361, 323, 454, 356,
        70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
        168, 197, 5, 4, 98, 97, 2, 326, 327,
        33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
        61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,
        78, 81, 13, 311, 308, 402, 14, 178,
    ];

    /// <summary>The iBUG jaw-line (face contour) landmarks, 0–16: silhouette points, weighted low.</summary>
    public static bool IsJawContour(int ibugIndex) => ibugIndex is >= 0 and <= 16;

    /// <summary>MediaPipe's inner upper lip contour (<c>lipsUpperInner</c>), right corner 78 → left corner 308.</summary>
    public static IReadOnlyList<int> InnerLipUpper { get; } = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];

    /// <summary>MediaPipe's inner lower lip contour (<c>lipsLowerInner</c>), right corner 78 → left corner 308, aligned with <see cref="InnerLipUpper"/>.</summary>
    public static IReadOnlyList<int> InnerLipLower { get; } = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];

    /// <summary>
    /// MediaPipe's eye contours (<c>rightEyeUpper0/Lower0</c>, <c>leftEyeUpper0/Lower0</c>): the 16 points around each
    /// eye's opening, subject's right eye first.
    /// </summary>
    public static IReadOnlyList<int> EyeContours { get; } =
    [
        33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173,
        263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398,
    ];

    /// <summary>Upper/lower lid pairs of the subject's right eye (upper lid 160 159 158 over lower lid 144 145 153).</summary>
    public static IReadOnlyList<(int Upper, int Lower)> RightEyeLids { get; } = [(160, 144), (159, 145), (158, 153)];

    /// <summary>Upper/lower lid pairs of the subject's left eye (upper lid 387 386 385 over lower lid 373 374 380).</summary>
    public static IReadOnlyList<(int Upper, int Lower)> LeftEyeLids { get; } = [(387, 373), (386, 374), (385, 380)];

    /// <summary>Upper/lower inner-lip pairs at the middle of the mouth (82/87, 13/14, 312/317).</summary>
    public static IReadOnlyList<(int Upper, int Lower)> InnerLipPairs { get; } = [(82, 87), (13, 14), (312, 317)];

    /// <summary>Outer corner of the subject's right eye.</summary>
    public const int RightEyeOuterCorner = 33;

    /// <summary>Outer corner of the subject's left eye.</summary>
    public const int LeftEyeOuterCorner = 263;

    /// <summary>Eye opening: the mean distance between the upper and lower lid at three places across the eye (same units as the points).</summary>
    public static double EyeOpening(ReadOnlySpan<Vec3> points, bool leftEye) =>
        MeanPairDistance(points, leftEye ? LeftEyeLids : RightEyeLids);

    /// <summary>Inner-lip gap: the mean distance between the inner upper and lower lip at the middle of the mouth.</summary>
    public static double InnerLipGap(ReadOnlySpan<Vec3> points) => MeanPairDistance(points, InnerLipPairs);

    /// <summary>Inter-ocular distance: between the outer eye corners (33, 263), the 300-W normalisation.</summary>
    public static double InterOcularDistance(ReadOnlySpan<Vec3> points) =>
        (points[LeftEyeOuterCorner] - points[RightEyeOuterCorner]).Length;

    private static double MeanPairDistance(ReadOnlySpan<Vec3> points, IReadOnlyList<(int Upper, int Lower)> pairs)
    {
        if (points.Length < PointCount)
        {
            throw new ArgumentException($"Expected {PointCount} points, got {points.Length}.", nameof(points));
        }

        double sum = 0;
        foreach (var (upper, lower) in pairs)
        {
            sum += (points[upper] - points[lower]).Length;
        }

        return sum / pairs.Count;
    }
}
