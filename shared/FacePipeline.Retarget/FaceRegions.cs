using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// The landmark index sets (MediaPipe face-mesh numbering, 468 points) that the retarget controls
/// act on. The named contours are MediaPipe's published annotations (lips, eye rings 0–2, brows,
/// face silhouette); <see cref="FromCanonical(CanonicalFaceMesh)"/> adds the chin below the lower lip.
/// The <c>…Loop</c> and <see cref="FaceOval"/> lists are the same contours as closed loops, in order
/// (consecutive points, and the last and the first, are edges of the canonical triangles).
/// </summary>
public sealed class FaceRegions
{
    /// <summary>Outer and inner lip contours (40 points).</summary>
    public static IReadOnlyList<int> Lips { get; } =
    [
        61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291,
        146, 91, 181, 84, 17, 314, 405, 321, 375,
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308,
        95, 88, 178, 87, 14, 317, 402, 318, 324,
    ];

    /// <summary>The lower half of the face silhouette, ear to ear under the chin (16 points).</summary>
    public static IReadOnlyList<int> JawLine { get; } =
        [361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58];

    /// <summary>Both eyes: lid margins (ring 0) and the two lid rings around them (rings 1, 2).</summary>
    public static IReadOnlyList<int> EyesAndLids { get; } =
    [
        // Right eye (subject's right), rings 0, 1, 2: upper then lower.
        246, 161, 160, 159, 158, 157, 173, 33, 7, 163, 144, 145, 153, 154, 155, 133,
        247, 30, 29, 27, 28, 56, 190, 130, 25, 110, 24, 23, 22, 26, 112, 243,
        113, 225, 224, 223, 222, 221, 189, 226, 31, 228, 229, 230, 231, 232, 233, 244,
        // Left eye.
        466, 388, 387, 386, 385, 384, 398, 263, 249, 390, 373, 374, 380, 381, 382, 362,
        467, 260, 259, 257, 258, 286, 414, 359, 255, 339, 254, 253, 252, 256, 341, 463,
        342, 445, 444, 443, 442, 441, 413, 446, 261, 448, 449, 450, 451, 452, 453, 464,
    ];

    /// <summary>Both brows, upper and lower contours (28 points).</summary>
    public static IReadOnlyList<int> BrowContours { get; } =
    [
        156, 70, 63, 105, 66, 107, 55, 193, 35, 124, 46, 53, 52, 65,
        383, 300, 293, 334, 296, 336, 285, 417, 265, 353, 276, 283, 282, 295,
    ];

    /// <summary>
    /// The face silhouette as a closed loop (MediaPipe FACE_OVAL, 36 points, from the top of the forehead
    /// over the subject's left temple, under the chin and back): the border of the canonical triangles.
    /// </summary>
    public static IReadOnlyList<int> FaceOval { get; } =
    [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];

    /// <summary>The inner lip contour as a closed loop (20 points): upper lip corner to corner, then the lower lip back.</summary>
    public static IReadOnlyList<int> InnerLipLoop { get; } =
        [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95];

    /// <summary>The outer lip contour as a closed loop (20 points): upper lip corner to corner, then the lower lip back.</summary>
    public static IReadOnlyList<int> OuterLipLoop { get; } =
        [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146];

    /// <summary>The lid margin (ring 0) of the subject's right eye as a closed loop (16 points), upper lid first.</summary>
    public static IReadOnlyList<int> RightEyeLoop { get; } =
        [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7];

    /// <summary>Ring 1 around the subject's right eye as a closed loop (16 points), upper first.</summary>
    public static IReadOnlyList<int> RightEyeOuterLoop { get; } =
        [130, 247, 30, 29, 27, 28, 56, 190, 243, 112, 26, 22, 23, 24, 110, 25];

    /// <summary>The lid margin (ring 0) of the subject's left eye as a closed loop (16 points), upper lid first.</summary>
    public static IReadOnlyList<int> LeftEyeLoop { get; } =
        [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249];

    /// <summary>Ring 1 around the subject's left eye as a closed loop (16 points), upper first.</summary>
    public static IReadOnlyList<int> LeftEyeOuterLoop { get; } =
        [359, 467, 260, 259, 257, 258, 286, 414, 463, 341, 256, 252, 253, 254, 339, 255];

    /// <summary>Creates regions from explicit sets (must be disjoint).</summary>
    public FaceRegions(IEnumerable<int> mouthJaw, IEnumerable<int> eyesLids, IEnumerable<int> brows)
    {
        MouthJaw = Sorted(mouthJaw);
        EyesLids = Sorted(eyesLids);
        Brows = Sorted(brows);
        var all = MouthJaw.Concat(EyesLids).Concat(Brows).ToList();
        if (all.Count != all.Distinct().Count())
        {
            throw new ArgumentException("Face regions overlap.");
        }
    }

    /// <summary>Mouth and jaw: <see cref="Lips"/>, <see cref="JawLine"/> and (from the canonical mesh) the chin.</summary>
    public IReadOnlyList<int> MouthJaw { get; }

    /// <summary>Eyes and lids: <see cref="EyesAndLids"/>.</summary>
    public IReadOnlyList<int> EyesLids { get; }

    /// <summary>Brows: <see cref="BrowContours"/>.</summary>
    public IReadOnlyList<int> Brows { get; }

    /// <summary>
    /// The default regions for the 468-point topology: mouth+jaw = lips ∪ jaw line ∪ every vertex of
    /// <paramref name="neutral"/> (canonical frame, +Y up) below the lower lip's outer midpoint (17);
    /// eyes+lids = <see cref="EyesAndLids"/>; brows = <see cref="BrowContours"/>.
    /// </summary>
    public static FaceRegions FromCanonical(ReadOnlySpan<Vec3> neutral)
    {
        if (neutral.Length < 468)
        {
            throw new ArgumentException($"Expected the 468-point face mesh, got {neutral.Length} points.");
        }

        var mouth = new HashSet<int>(Lips);
        mouth.UnionWith(JawLine);
        var chinTop = neutral[17].Y;
        var excluded = new HashSet<int>(EyesAndLids.Concat(BrowContours));
        for (var i = 0; i < 468; i++)
        {
            if (neutral[i].Y < chinTop && !excluded.Contains(i))
            {
                mouth.Add(i);
            }
        }

        return new FaceRegions(mouth, EyesAndLids, BrowContours);
    }

    /// <summary>The default regions from MediaPipe's canonical mesh.</summary>
    public static FaceRegions FromCanonical(CanonicalFaceMesh mesh) => FromCanonical(mesh.Vertices);

    private static int[] Sorted(IEnumerable<int> set) => set.Distinct().Order().ToArray();
}
