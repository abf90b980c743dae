namespace FacePipeline.Face;

/// <summary>
/// How MediaPipe combines the outputs of <c>face_landmark_with_attention</c> into 478 points
/// (its <c>tensors_to_face_landmarks_with_attention</c> graph, LandmarksRefinementCalculator):
/// the 468 mesh points first (x, y, z); then the refined lips and eyes overwrite x and y of
/// fixed mesh points (their z stays the mesh's); then the two irises become points 468–477,
/// each iris's z the average mesh z of its eye's 16 contour points.
/// <para>
/// "Left" and "right" are the model's (image) sides: its left eye and left iris are the subject's
/// right (mesh points 33…133, irises 468–472), its right ones the subject's left (263…362, 473–477).
/// Coordinates are those of the 192x192 crop; the assembly is the same in any linear unit.
/// </para>
/// </summary>
public static class RefinedLandmarkAssembly
{
    public const int MeshCount = 468;
    public const int RefinedCount = 478;
    public const int IrisCount = 5;

    /// <summary>Mesh point of each of the 80 refined lip points (outer, inner, semi-outer, semi-inner; lower then upper).</summary>
    public static ReadOnlySpan<int> Lips =>
    [
        61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
        185, 40, 39, 37, 0, 267, 269, 270, 409,
        78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
        191, 80, 81, 82, 13, 312, 311, 310, 415,
        76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306,
        184, 74, 73, 72, 11, 302, 303, 304, 408,
        62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292,
        183, 42, 41, 38, 12, 268, 271, 272, 407,
    ];

    /// <summary>Mesh point of each of the 71 refined points of the model's left eye (the subject's right): contour, halos, eyebrow.</summary>
    public static ReadOnlySpan<int> LeftEye =>
    [
        33, 7, 163, 144, 145, 153, 154, 155, 133,
        246, 161, 160, 159, 158, 157, 173,
        130, 25, 110, 24, 23, 22, 26, 112, 243,
        247, 30, 29, 27, 28, 56, 190,
        226, 31, 228, 229, 230, 231, 232, 233, 244,
        113, 225, 224, 223, 222, 221, 189,
        35, 124, 46, 53, 52, 65,
        143, 111, 117, 118, 119, 120, 121, 128, 245,
        156, 70, 63, 105, 66, 107, 55, 193,
    ];

    /// <summary>Mesh point of each of the 71 refined points of the model's right eye (the subject's left).</summary>
    public static ReadOnlySpan<int> RightEye =>
    [
        263, 249, 390, 373, 374, 380, 381, 382, 362,
        466, 388, 387, 386, 385, 384, 398,
        359, 255, 339, 254, 253, 252, 256, 341, 463,
        467, 260, 259, 257, 258, 286, 414,
        446, 261, 448, 449, 450, 451, 452, 453, 464,
        342, 445, 444, 443, 442, 441, 413,
        265, 353, 276, 283, 282, 295,
        372, 340, 346, 347, 348, 349, 350, 357, 465,
        383, 300, 293, 334, 296, 336, 285, 417,
    ];

    /// <summary>First index of the model's left iris (the subject's right): centre, then its right, top, left and bottom edge.</summary>
    public const int LeftIrisStart = 468;

    /// <summary>First index of the model's right iris (the subject's left).</summary>
    public const int RightIrisStart = 473;

    /// <summary>The mesh points whose mean z each iris takes: the first 16 points of its eye (lower and upper contour).</summary>
    public const int IrisDepthSourceCount = 16;

    /// <summary>
    /// Writes the 478 refined points, [x, y, z] each, into <paramref name="refined"/>.
    /// <paramref name="mesh"/> holds 468 x [x, y, z]; the lips, eyes and irises [x, y] each.
    /// </summary>
    public static void Assemble(
        ReadOnlySpan<float> mesh,
        ReadOnlySpan<float> lips,
        ReadOnlySpan<float> leftEye,
        ReadOnlySpan<float> rightEye,
        ReadOnlySpan<float> leftIris,
        ReadOnlySpan<float> rightIris,
        Span<float> refined)
    {
        Check(mesh, MeshCount * 3, nameof(mesh));
        Check(lips, Lips.Length * 2, nameof(lips));
        Check(leftEye, LeftEye.Length * 2, nameof(leftEye));
        Check(rightEye, RightEye.Length * 2, nameof(rightEye));
        Check(leftIris, IrisCount * 2, nameof(leftIris));
        Check(rightIris, IrisCount * 2, nameof(rightIris));
        if (refined.Length < RefinedCount * 3)
        {
            throw new ArgumentException($"Room for {RefinedCount * 3} values needed, {refined.Length} given.", nameof(refined));
        }

        mesh[..(MeshCount * 3)].CopyTo(refined);
        OverwriteXy(lips, Lips, refined);
        OverwriteXy(leftEye, LeftEye, refined);
        OverwriteXy(rightEye, RightEye, refined);
        Iris(leftIris, LeftIrisStart, LeftEye[..IrisDepthSourceCount], refined);
        Iris(rightIris, RightIrisStart, RightEye[..IrisDepthSourceCount], refined);
    }

    private static void OverwriteXy(ReadOnlySpan<float> points, ReadOnlySpan<int> indices, Span<float> refined)
    {
        for (var i = 0; i < indices.Length; i++)
        {
            refined[3 * indices[i]] = points[2 * i];
            refined[(3 * indices[i]) + 1] = points[(2 * i) + 1];
        }
    }

    private static void Iris(ReadOnlySpan<float> iris, int start, ReadOnlySpan<int> depthSources, Span<float> refined)
    {
        // MediaPipe sums in double, then stores the mean as float.
        double sum = 0;
        foreach (var index in depthSources)
        {
            sum += refined[(3 * index) + 2];
        }

        var z = (float)(sum / depthSources.Length);
        for (var i = 0; i < IrisCount; i++)
        {
            var o = 3 * (start + i);
            refined[o] = iris[2 * i];
            refined[o + 1] = iris[(2 * i) + 1];
            refined[o + 2] = z;
        }
    }

    private static void Check(ReadOnlySpan<float> values, int expected, string name)
    {
        if (values.Length < expected)
        {
            throw new ArgumentException($"{expected} values needed, {values.Length} given.", name);
        }
    }
}
