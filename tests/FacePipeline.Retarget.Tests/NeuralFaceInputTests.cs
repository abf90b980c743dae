using FacePipeline.Geometry;
using static FacePipeline.Retarget.Tests.FaceImages;

namespace FacePipeline.Retarget.Tests;

public class NeuralFaceInputTests
{
    private const int W = 400;
    private const int H = 400;
    private const int S = 128;

    private static readonly Lazy<NeuralFaceInput> Shared = new(() => new NeuralFaceInput(TestMesh.Canonical, S));

    private static Point2[] Neutral => Project(TestMesh.Neutral, 12, 200, 190);

    private static Point2[] MouthOpen => Project(JawDrop(TestMesh.Neutral, 1.2), 12, 200, 190);

    private static float[] Build(byte[] frame, Point2[] tracked, Point2[] destination, out FaceCrop crop) =>
        Build(frame, tracked, destination, out crop, out _);

    private static float[] Build(byte[] frame, Point2[] tracked, Point2[] destination, out FaceCrop crop, out float[] faceMask)
    {
        var input = new float[NeuralFaceInput.Channels * S * S];
        faceMask = new float[S * S];
        crop = Shared.Value.Build(frame, W, H, tracked, destination, input, faceMask);
        return input;
    }

    private static Span<float> Plane(float[] input, int channel) => input.AsSpan(channel * S * S, S * S);

    private static int Count(Span<float> plane)
    {
        var n = 0;
        foreach (var v in plane)
        {
            n += v > 0.5f ? 1 : 0;
        }

        return n;
    }

    /// <summary>Shoelace area of a closed loop of mesh points mapped into the crop.</summary>
    private static double Area(FaceCrop crop, Point2[] mesh, IReadOnlyList<int> loop)
    {
        double twice = 0;
        for (var k = 0; k < loop.Count; k++)
        {
            var (a, b) = (crop.ToCrop(mesh[loop[k]]), crop.ToCrop(mesh[loop[(k + 1) % loop.Count]]));
            twice += (a.X * b.Y) - (b.X * a.Y);
        }

        return Math.Abs(twice) / 2;
    }

    [Fact]
    public void Without_motion_the_warped_planes_are_the_real_crop_of_the_frame()
    {
        var frame = Textured(W, H);
        var input = Build(frame, Neutral, Neutral, out var crop);
        var target = new float[3 * S * S];
        Shared.Value.Target(frame, W, H, crop, target);

        var worst = 0f;
        for (var i = 0; i < target.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(input[i] - target[i]));
        }

        Assert.InRange(worst, 0, 1.01f / 255f); // a second bilinear pass through the identity warp rounds once more
    }

    [Fact]
    public void The_masks_cover_the_face_the_open_mouth_and_each_eye()
    {
        var open = MouthOpen;
        var input = Build(Textured(W, H), open, open, out var crop, out var faceMask);

        var face = Count(faceMask);
        var oval = Area(crop, open, FaceRegions.FaceOval);
        Assert.InRange(face, oval * 0.97, oval * 1.03);

        var mouth = Count(Plane(input, NeuralFaceInput.MouthMask));
        var lips = Area(crop, open, FaceRegions.InnerLipLoop);
        Assert.True(lips > 100, $"the jaw drop opens the mouth: {lips:F0} px²");
        Assert.InRange(mouth, lips * 0.85, lips * 1.2);

        var eyes = Plane(input, NeuralFaceInput.EyesMask).ToArray();
        var eyeArea = Area(crop, open, FaceRegions.LeftEyeLoop) + Area(crop, open, FaceRegions.RightEyeLoop);
        Assert.InRange(Count(eyes), eyeArea * 0.8, eyeArea * 1.3);
        var (leftEye, rightEye) = (crop.ToCrop(open[386]), crop.ToCrop(open[159]));
        Assert.Equal(1f, eyes[((int)Math.Round((leftEye.Y + crop.ToCrop(open[374]).Y) / 2) * S) + (int)Math.Round(leftEye.X)]);
        Assert.Equal(1f, eyes[((int)Math.Round((rightEye.Y + crop.ToCrop(open[145]).Y) / 2) * S) + (int)Math.Round(rightEye.X)]);
        Assert.Equal(0f, eyes[((int)Math.Round(leftEye.Y) * S) + (S / 2)]); // between the eyes
        Assert.All(Enumerable.Range(0, S * S), i => Assert.True(faceMask[i] >= eyes[i] && faceMask[i] >= Plane(input, NeuralFaceInput.MouthMask)[i]));
    }

    [Fact]
    public void The_correspondence_map_at_a_vertex_is_its_canonical_coordinate_scaled_to_the_canonical_extent()
    {
        var mesh = Neutral;
        var input = Build(Textured(W, H), mesh, mesh, out var crop);
        var vertices = TestMesh.Canonical.Vertices.ToArray();
        var (lo, hi) = (
            new Vec3(vertices.Min(v => v.X), vertices.Min(v => v.Y), vertices.Min(v => v.Z)),
            new Vec3(vertices.Max(v => v.X), vertices.Max(v => v.Y), vertices.Max(v => v.Z)));

        foreach (var vertex in new[] { 1, 4, 13, 152, 33, 263, 10 })
        {
            var p = crop.ToCrop(mesh[vertex]);
            var (x, y) = ((int)Math.Round(p.X), (int)Math.Round(p.Y));
            var i = (y * S) + x;
            var expected = new[]
            {
                (vertices[vertex].X - lo.X) / (hi.X - lo.X),
                (vertices[vertex].Y - lo.Y) / (hi.Y - lo.Y),
                (vertices[vertex].Z - lo.Z) / (hi.Z - lo.Z),
            };
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(expected[c], Plane(input, NeuralFaceInput.Correspondence + c)[i], 0.03); // within a pixel of the vertex
            }
        }

        Assert.Equal(0f, Plane(input, NeuralFaceInput.Correspondence)[0]); // the crop's corner is outside the face
    }

    [Fact]
    public void The_same_motion_anywhere_in_the_frame_gives_the_same_input()
    {
        var frame = Filled(W, H, Skin);
        Paint(frame, W, H, FaceRegions.OuterLipLoop.Select(i => Neutral[i]).ToArray(), (120, 40, 40));
        var moved = Translate(Neutral, 37, -21);
        var movedFrame = Filled(W, H, Skin);
        Paint(movedFrame, W, H, FaceRegions.OuterLipLoop.Select(i => moved[i]).ToArray(), (120, 40, 40));

        var a = Build(frame, Neutral, MouthOpen, out _);
        var b = Build(movedFrame, moved, Translate(MouthOpen, 37, -21), out _);

        var differing = 0;
        for (var i = 0; i < a.Length; i++)
        {
            differing += Math.Abs(a[i] - b[i]) > 2 / 255f ? 1 : 0;
        }

        Assert.True(differing < a.Length / 200, $"{differing} of {a.Length} values differ");
    }

    [Fact]
    public void Planes_and_rgb_round_trip()
    {
        var rgb = Textured(16, 16);
        var planes = new float[rgb.Length];
        NeuralFaceInput.ToPlanes(rgb, planes);
        Assert.All(planes, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(rgb[3 * 5] / 255f, planes[5]);
        Assert.Equal(rgb[(3 * 5) + 2] / 255f, planes[(2 * 256) + 5]);

        var back = new byte[rgb.Length];
        NeuralFaceInput.FromPlanes(planes, back);
        Assert.Equal(rgb, back);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        var frame = Textured(W, H);
        Assert.Throws<ArgumentException>(() => Shared.Value.Build(frame, W, H, Neutral, Neutral, new float[10], new float[S * S]));
        Assert.Throws<ArgumentException>(() => Shared.Value.Build(frame, W, H, Neutral, Neutral, new float[NeuralFaceInput.Channels * S * S], new float[3]));
        Assert.Throws<ArgumentException>(() => Shared.Value.Build(frame, W, H, Neutral[..400], Neutral, new float[NeuralFaceInput.Channels * S * S], new float[S * S]));
        Assert.Throws<ArgumentException>(() => Shared.Value.Target(frame, W, H, FaceCrop.Of(Neutral, 64), new float[3 * S * S]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NeuralFaceInput(TestMesh.Canonical, 4));
    }
}
