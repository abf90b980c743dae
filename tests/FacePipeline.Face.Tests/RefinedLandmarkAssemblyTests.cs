namespace FacePipeline.Face.Tests;

/// <summary>MediaPipe's refinement of the 468 mesh points by the lips, eyes and irises, on synthetic outputs.</summary>
[Trait("Lane", "Fast")]
public sealed class RefinedLandmarkAssemblyTests
{
    [Fact]
    public void The_lips_and_eyes_refine_distinct_mesh_points()
    {
        int[] all = [.. RefinedLandmarkAssembly.Lips, .. RefinedLandmarkAssembly.LeftEye, .. RefinedLandmarkAssembly.RightEye];

        Assert.Equal((80, 71, 71), (RefinedLandmarkAssembly.Lips.Length, RefinedLandmarkAssembly.LeftEye.Length, RefinedLandmarkAssembly.RightEye.Length));
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.All(all, i => Assert.InRange(i, 0, RefinedLandmarkAssembly.MeshCount - 1));
        // Each eye list starts at its corners: the mesh's eye contour 33…133 (subject's right) and 263…362.
        Assert.Equal((33, 133), (RefinedLandmarkAssembly.LeftEye[0], RefinedLandmarkAssembly.LeftEye[8]));
        Assert.Equal((263, 362), (RefinedLandmarkAssembly.RightEye[0], RefinedLandmarkAssembly.RightEye[8]));
    }

    [Fact]
    public void Refined_points_overwrite_x_and_y_keep_the_mesh_z_and_irises_are_appended_with_the_eye_contour_depth()
    {
        // Mesh point i = (i, 1000 + i, -i); refined heads = (-1 - k, -2 - k) per point k; irises (500 + k, 600 + k).
        var mesh = Enumerable.Range(0, 468).SelectMany(i => new float[] { i, 1000 + i, -i }).ToArray();
        static float[] Head(int count, float offset = 0) =>
            Enumerable.Range(0, count).SelectMany(k => new[] { offset - 1 - k, offset - 2 - k }).ToArray();
        var refined = new float[478 * 3];

        RefinedLandmarkAssembly.Assemble(mesh, Head(80), Head(71, -100), Head(71, -200), Head(5, 600), Head(5, 700), refined);

        Assert.Equal([5, 1005, -5], refined[15..18]);                    // mesh point 5 is not refined
        var lip = RefinedLandmarkAssembly.Lips[3];                       // 181
        Assert.Equal([-4, -5, -lip], refined[(3 * lip)..((3 * lip) + 3)]);
        var eye = RefinedLandmarkAssembly.RightEye[70];                  // 417
        Assert.Equal([-271, -272, -eye], refined[(3 * eye)..((3 * eye) + 3)]);
        var leftDepth = -RefinedLandmarkAssembly.LeftEye[..16].ToArray().Average();
        var rightDepth = -RefinedLandmarkAssembly.RightEye[..16].ToArray().Average();
        for (var k = 0; k < 5; k++)
        {
            Assert.Equal([599 - k, 598 - k], refined[(3 * (468 + k))..((3 * (468 + k)) + 2)]);
            Assert.Equal([699 - k, 698 - k], refined[(3 * (473 + k))..((3 * (473 + k)) + 2)]);
            Assert.Equal(leftDepth, refined[(3 * (468 + k)) + 2], 4);
            Assert.Equal(rightDepth, refined[(3 * (473 + k)) + 2], 4);
        }
    }

    [Fact]
    public void Short_buffers_are_refused()
    {
        var ok = new float[478 * 3];

        Assert.Throws<ArgumentException>(() =>
            RefinedLandmarkAssembly.Assemble(new float[467 * 3], new float[160], new float[142], new float[142], new float[10], new float[10], ok));
        Assert.Throws<ArgumentException>(() =>
            RefinedLandmarkAssembly.Assemble(new float[468 * 3], new float[160], new float[142], new float[142], new float[10], new float[10], new float[468 * 3]));
    }
}
