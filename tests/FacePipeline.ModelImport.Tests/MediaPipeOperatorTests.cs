using FacePipeline.ModelImport.Conversion;
using FacePipeline.ModelImport.Tflite;
using static FacePipeline.ModelImport.Tests.OperatorTests;

namespace FacePipeline.ModelImport.Tests;

/// <summary>
/// MediaPipe's custom operators, each built as a tiny graph, converted to its ONNX subgraph, run in
/// ONNX Runtime and compared with a closed form or with <see cref="MediaPipeReference"/> (MediaPipe's
/// CPU kernels' formulas, written out directly in C#).
/// </summary>
[Trait("Lane", "Fast")]
public sealed class MediaPipeOperatorTests
{
    private const string L2T = "Landmarks2TransformMatrix";
    private const string Bilinear = "TransformTensorBilinear";
    private const string Transform = "TransformLandmarks";

    // ---- Landmarks2TransformMatrix -----------------------------------------------------------

    [Fact]
    public void Landmarks2TransformMatrix_of_a_level_box_shifts_scales_and_centres()
    {
        // Rotation landmarks 0 → 1 horizontal; the subset spans x 10..30, y 20..60.
        var landmarks = Landmarks((10, 20), (30, 20), (30, 60), (10, 60), (18, 33));
        var options = L2TOptions([0, 1, 2, 3, 4], left: 0, right: 1, size: 16, scale: 1.5f);

        var m = RunMatrix(landmarks, options);

        var (sx, sy) = (1.5f * 20 / 16, 1.5f * 40 / 16);
        AssertMatrix(
        [
            sx, 0, 0, 20 - (8 * sx),
            0, sy, 0, 40 - (8 * sy),
            0, 0, 1, 0,
            0, 0, 0, 1,
        ], m);
    }

    [Theory]
    [InlineData(0.3, 0.0)]
    [InlineData(-2.0, 0.0)]
    [InlineData(2.9, 0.0)]
    [InlineData(0.7, 0.4)]
    public void Landmarks2TransformMatrix_levels_the_rotation_line_like_mediapipe(double angle, double target)
    {
        // The box of the previous test turned by `angle` about (5, -3), plus scattered points.
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        (float, float) Turn(double x, double y) =>
            ((float)(5 + ((x - 5) * cos) - ((y + 3) * sin)), (float)(-3 + ((x - 5) * sin) + ((y + 3) * cos)));
        var landmarks = Landmarks(Turn(10, 20), Turn(30, 20), Turn(30, 60), Turn(10, 60), Turn(18, 33), Turn(25, 70), Turn(12, 41));
        var options = L2TOptions([0, 1, 2, 3, 4, 6], left: 0, right: 1, size: 16, scale: 1.5f) with
        {
            TargetRotationRadians = (float)target,
            OutputHeight = 12,
        };

        var m = RunMatrix(landmarks, options);

        AssertMatrix(MediaPipeReference.Landmarks2TransformMatrix(landmarks, options), m, 2e-4f);
        if (target == 0)
        {
            // The crop's centre lands on the box centre, its x axis along the rotation line.
            var centre = Turn(20, 40);
            Assert.Equal(centre.Item1, (m[0] * 8) + (m[1] * 6) + m[3], 3);
            Assert.Equal(centre.Item2, (m[4] * 8) + (m[5] * 6) + m[7], 3);
            Assert.Equal(Math.Atan2(sin, cos), Math.Atan2(m[4], m[0]), 4);
        }
    }

    [Fact]
    public void Landmarks2TransformMatrix_with_coincident_rotation_landmarks_counts_the_line_as_level()
    {
        // atan2(0, 0) = 0 in MediaPipe's kernel: no rotation, no NaN.
        var landmarks = Landmarks((10, 20), (30, 20), (30, 60), (10, 60));
        var options = L2TOptions([0, 1, 2, 3], left: 2, right: 2, size: 16, scale: 1.5f);

        var m = RunMatrix(landmarks, options);

        AssertMatrix(MediaPipeReference.Landmarks2TransformMatrix(landmarks, options), m);
        Assert.Equal(0, m[1]);
        Assert.Equal(0, m[4]);
    }

    [Fact]
    public void Landmarks2TransformMatrix_rejects_indices_outside_the_landmarks()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 4, 3);
        g.Output(g.Custom(L2T, 2, L2TOptions([0, 9], 0, 1, 16, 1.5f), "m", [1, 4, 4], x));

        var e = Assert.Throws<UnsupportedOperatorException>(() => TfliteToOnnx.Convert(g.Build()));

        Assert.Contains("indices", e.Message);
    }

    // ---- TransformTensorBilinear -------------------------------------------------------------

    [Fact]
    public void TransformTensorBilinear_with_the_identity_returns_the_input()
    {
        var input = RandomValues(new Random(3), 5 * 4 * 3);

        var result = RunBilinear(input, 5, 4, 3, Identity(), 5, 4, version: 2);

        AssertClose(input, result);
    }

    [Fact]
    public void TransformTensorBilinear_half_pixel_shift_averages_neighbours_and_zeroes_past_the_edge()
    {
        // u + 0.5: the mean of columns u and u + 1; the last column samples at W - 0.5 > W - 1: zero.
        var input = RandomValues(new Random(4), 3 * 4 * 2);
        var m = Identity();
        m[3] = 0.5f;

        var result = RunBilinear(input, 3, 4, 2, m, 3, 4, version: 2);

        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                for (var c = 0; c < 2; c++)
                {
                    var expected = x < 3 ? (input[(((y * 4) + x) * 2) + c] + input[(((y * 4) + x + 1) * 2) + c]) / 2 : 0;
                    Assert.Equal(expected, result[(((y * 4) + x) * 2) + c], 5);
                }
            }
        }
    }

    [Fact]
    public void TransformTensorBilinear_integer_shift_moves_rows_and_fills_zeros()
    {
        // v - 1: row v of the output is row v - 1 of the input; row 0 reads row -1: zero.
        var input = RandomValues(new Random(5), 4 * 3 * 1);
        var m = Identity();
        m[7] = -1;

        var result = RunBilinear(input, 4, 3, 1, m, 4, 3, version: 2);

        var expected = new float[12];
        Array.Copy(input, 0, expected, 3, 9);
        AssertClose(expected, result);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void TransformTensorBilinear_under_rotation_and_scale_matches_mediapipes_formula(int version)
    {
        // A 9x8x3 tensor sampled on a turned, shrunk 6x5 grid that runs partly outside it.
        var input = RandomValues(new Random(6), 9 * 8 * 3);
        var (cos, sin) = (MathF.Cos(0.4f) * 1.3f, MathF.Sin(0.4f) * 1.3f);
        float[] m = [cos, -sin, 0, 1.2f, sin, cos, 0, -0.7f, 0, 0, 1, 0, 0, 0, 0, 1];

        var result = RunBilinear(input, 9, 8, 3, m, 6, 5, version);

        var expected = MediaPipeReference.TransformTensorBilinear(input, 9, 8, 3, m, 6, 5, alignCorners: version == 2);
        AssertClose(expected, result);
        Assert.Contains(expected, v => v == 0);    // some points fall outside
        Assert.Contains(expected, v => v != 0);
    }

    [Fact]
    public void TransformTensorBilinear_after_a_convolution_reads_the_nchw_value_without_a_transpose()
    {
        var input = RandomValues(new Random(7), 4 * 4 * 2);
        float[] m = [0.5f, 0, 0, 0.25f, 0, 0.75f, 0, 0.5f, 0, 0, 1, 0, 0, 0, 0, 1];
        var g = new TestGraph();
        var x = g.Input("x", 1, 4, 4, 2);
        var conv = IdentityConv(g, x, 4, 4, 2);
        var matrix = g.Const("matrix", m, 1, 4, 4);
        g.Output(g.Custom(Bilinear, 2, new TransformTensorBilinearOptions(3, 3, true), "y", [1, 3, 3, 2], conv, matrix));

        var ops = TfliteToOnnx.Convert(g.Build()).NodeOpTypes;
        var result = g.Run(input)["y"];

        Assert.Equal(2, ops.Count(o => o == "Transpose")); // the input's and the output's only
        AssertClose(MediaPipeReference.TransformTensorBilinear(input, 4, 4, 2, m, 3, 3, alignCorners: true), result.Values);
    }

    // ---- TransformLandmarks ------------------------------------------------------------------

    [Fact]
    public void TransformLandmarks_with_the_identity_returns_the_landmarks()
    {
        var landmarks = RandomValues(new Random(8), 7 * 2, 50);

        var result = RunTransform(landmarks, 7, 2, Identity());

        AssertClose(landmarks, result);
    }

    [Fact]
    public void TransformLandmarks_rotates_scales_and_moves_xy_and_keeps_z()
    {
        // 90° turn, scale 2, shift (3, -1): (x, y) → (-2y + 3, 2x - 1).
        float[] m = [0, -2, 0, 3, 2, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0, 1];
        float[] landmarks = [1, 2, 7, -3, 0.5f, -4, 10, 20, 0.25f];

        var result = RunTransform(landmarks, 3, 3, m);

        AssertClose([-1, 1, 7, 2, -7, -4, -37, 19, 0.25f], result);
    }

    [Fact]
    public void TransformLandmarks_matches_mediapipes_formula_with_a_full_matrix()
    {
        // The third column and the last two rows are ignored by MediaPipe's kernel.
        var random = new Random(9);
        var m = RandomValues(random, 16, 3);
        var landmarks = RandomValues(random, 6 * 2, 40);

        AssertClose(MediaPipeReference.TransformLandmarks(landmarks, 6, 2, m), RunTransform(landmarks, 6, 2, m));
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static float[] Landmarks(params (float X, float Y)[] points) =>
        points.SelectMany((p, i) => new[] { p.X, p.Y, i * 0.5f }).ToArray();

    private static Landmarks2TransformMatrixOptions L2TOptions(int[] subset, int left, int right, int size, float scale) =>
        new(subset, left, right, 0f, size, size, scale, scale);

    private static float[] Identity() => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

    private static float[] RunMatrix(float[] landmarks, Landmarks2TransformMatrixOptions options)
    {
        var g = new TestGraph();
        var n = landmarks.Length / 3;
        var x = g.Input("landmarks", 1, n, 3);
        g.Output(g.Custom(L2T, 2, options, "matrix", [1, 4, 4], x));
        var result = g.Run(landmarks)["matrix"];
        Assert.Equal([1, 4, 4], result.Shape);
        return result.Values;
    }

    private static float[] RunBilinear(float[] input, int h, int w, int c, float[] m, int oh, int ow, int version)
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, h, w, c);
        var matrix = g.Input("matrix", 1, 4, 4);
        g.Output(g.Custom(Bilinear, version, new TransformTensorBilinearOptions(oh, ow, AlignCorners: version == 2), "y", [1, oh, ow, c], x, matrix));
        var result = g.Run(input, m)["y"];
        Assert.Equal([1, oh, ow, c], result.Shape);
        return result.Values;
    }

    private static float[] RunTransform(float[] landmarks, int n, int d, float[] m)
    {
        var g = new TestGraph();
        var x = g.Input("landmarks", 1, n, d);
        var matrix = g.Input("matrix", 1, 4, 4);
        g.Output(g.Custom(Transform, 2, null, "y", [1, n, d], x, matrix));
        var result = g.Run(landmarks, m)["y"];
        Assert.Equal([1, n, d], result.Shape);
        return result.Values;
    }

    private static float[] RandomValues(Random random, int count, float scale = 1f) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();

    private static void AssertMatrix(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(16, actual.Length);
        for (var i = 0; i < 16; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]} (all: {string.Join(", ", actual)})");
        }
    }
}

/// <summary>
/// MediaPipe's CPU kernels (mediapipe/util/tflite/operations: landmarks_to_transform_matrix.cc v2,
/// transform_tensor_bilinear.cc, transform_landmarks.cc v2) written out directly in float, step by
/// step as the kernels compute: the reference the ONNX subgraphs are held to.
/// </summary>
internal static class MediaPipeReference
{
    public static float[] Landmarks2TransformMatrix(float[] landmarks, Landmarks2TransformMatrixOptions o)
    {
        (float X, float Y) Point(int i) => (landmarks[3 * i], landmarks[(3 * i) + 1]);

        var (left, right) = (Point(o.LeftRotationIdx), Point(o.RightRotationIdx));
        var r = o.TargetRotationRadians - MathF.Atan2(right.Y - left.Y, right.X - left.X);
        var (c, s) = (MathF.Cos(r), MathF.Sin(r));

        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var i in o.SubsetIdxs)
        {
            var (x, y) = Point(i);
            var (rx, ry) = ((c * x) - (s * y), (s * x) + (c * y));
            (minX, maxX, minY, maxY) = (MathF.Min(minX, rx), MathF.Max(maxX, rx), MathF.Min(minY, ry), MathF.Max(maxY, ry));
        }

        var (midX, midY) = ((minX + maxX) / 2, (minY + maxY) / 2);
        var (cx, cy) = ((c * midX) + (s * midY), (-s * midX) + (c * midY)); // rotated back by -r
        var sx = o.ScaleX * (maxX - minX) / o.OutputWidth;
        var sy = o.ScaleY * (maxY - minY) / o.OutputHeight;
        var (shiftX, shiftY) = (-o.OutputWidth / 2f, -o.OutputHeight / 2f);

        // shift(centre) · rotate(-r) · scale(sx, sy) · shift(-size / 2), multiplied out.
        var (a00, a01, a10, a11) = (c * sx, s * sy, -s * sx, c * sy);
        return
        [
            a00, a01, 0, (a00 * shiftX) + (a01 * shiftY) + cx,
            a10, a11, 0, (a10 * shiftX) + (a11 * shiftY) + cy,
            0, 0, 1, 0,
            0, 0, 0, 1,
        ];
    }

    public static float[] TransformTensorBilinear(float[] input, int h, int w, int channels, float[] m, int oh, int ow, bool alignCorners)
    {
        var (x0, x1, x3) = (m[0], m[1], m[3]);
        var (y0, y1, y3) = (m[4], m[5], m[7]);
        if (alignCorners)
        {
            x3 += (x0 * 0.5f) + (x1 * 0.5f) - 0.5f;
            y3 += (y0 * 0.5f) + (y1 * 0.5f) - 0.5f;
        }

        float Read(int y, int x, int c) => y < 0 || x < 0 || y >= h || x >= w ? 0 : input[(((y * w) + x) * channels) + c];

        var output = new float[oh * ow * channels];
        for (var v = 0; v < oh; v++)
        {
            for (var u = 0; u < ow; u++)
            {
                var tx = (x0 * u) + (x1 * v) + x3;
                var ty = (y0 * u) + (y1 * v) + y3;
                if (tx < 0 || tx > w - 1 || ty < 0 || ty > h - 1)
                {
                    continue;
                }

                var (fx, fy) = ((int)MathF.Floor(tx), (int)MathF.Floor(ty));
                var (right, lower) = (tx - fx, ty - fy);
                for (var c = 0; c < channels; c++)
                {
                    var upper = ((1 - right) * Read(fy, fx, c)) + (right * Read(fy, fx + 1, c));
                    var bottom = ((1 - right) * Read(fy + 1, fx, c)) + (right * Read(fy + 1, fx + 1, c));
                    output[(((v * ow) + u) * channels) + c] = (lower * bottom) + ((1 - lower) * upper);
                }
            }
        }

        return output;
    }

    public static float[] TransformLandmarks(float[] landmarks, int n, int d, float[] m)
    {
        var output = (float[])landmarks.Clone();
        for (var i = 0; i < n; i++)
        {
            var (x, y) = (landmarks[d * i], landmarks[(d * i) + 1]);
            output[d * i] = (m[0] * x) + (m[1] * y) + m[3];
            output[(d * i) + 1] = (m[4] * x) + (m[5] * y) + m[7];
        }

        return output;
    }
}
