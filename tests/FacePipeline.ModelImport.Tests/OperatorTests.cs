using FacePipeline.ModelImport.Conversion;
using FacePipeline.ModelImport.Tflite;

namespace FacePipeline.ModelImport.Tests;

/// <summary>
/// Each TFLite operator, built as a tiny graph in memory, converted, run in ONNX Runtime and
/// compared with a hand-computed or closed-form answer (TFLite semantics: NHWC, SAME padding
/// with the odd pixel at the end, fused activations).
/// </summary>
[Trait("Lane", "Fast")]
public sealed class OperatorTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Conv2D_same_stride2_puts_the_extra_padding_at_the_end()
    {
        // 4x4 input 1..16, 3x3 kernel of ones, stride 2: output 2x2, total padding 1 per axis,
        // all of it after the last row/column (TensorFlow SAME). Padding first would give 14 at [0,0].
        var g = new TestGraph();
        var x = g.Input("x", 1, 4, 4, 1);
        var w = g.HalfConst("w", Enumerable.Repeat(1f, 9).ToArray(), 1, 3, 3, 1);
        var y = g.Op("CONV_2D", new Conv2DOptions(TflitePadding.Same, 2, 2), "y", [1, 2, 2, 1], x, w);
        g.Output(y);

        var result = g.Run(Seq(16, start: 1));

        Assert.Equal([1, 2, 2, 1], result["y"].Shape);
        AssertClose([54, 45, 72, 54], result["y"].Values);
    }

    [Fact]
    public void Conv2D_multichannel_with_bias_and_fused_relu6_matches_a_direct_nhwc_convolution()
    {
        var random = new Random(1);
        var input = RandomValues(random, 1 * 5 * 6 * 3, 2f);
        var kernel = RandomValues(random, 4 * 3 * 3 * 3, 1f);
        var bias = RandomValues(random, 4, 1f);
        var g = new TestGraph();
        var x = g.Input("x", 1, 5, 6, 3);
        var w = g.Const("w", kernel, 4, 3, 3, 3);
        var b = g.Const("b", bias, 4);
        var y = g.Op("CONV_2D", new Conv2DOptions(TflitePadding.Same, 2, 2, TfliteActivation.Relu6), "y", [1, 3, 3, 4], x, w, b);
        g.Output(y);

        var expected = Reference.Conv(input, 5, 6, 3, kernel, 4, 3, 3, bias, 2, depthwise: false)
            .Select(v => Math.Clamp(v, 0f, 6f)).ToArray();
        var result = g.Run(input);

        Assert.Equal([1, 3, 3, 4], result["y"].Shape);
        AssertClose(expected, result["y"].Values);
        Assert.Contains(expected, v => v is > 0 and < 6); // the clamp is exercised on both sides
    }

    [Fact]
    public void Depthwise_conv_same_keeps_channels_apart()
    {
        // Channel 0: 3x3 ones (+0.5), channel 1: centre tap 2 (-1). Input 3x3x2.
        var input = new float[18];
        for (var i = 0; i < 9; i++)
        {
            input[2 * i] = i + 1;       // channel 0: 1..9
            input[(2 * i) + 1] = -(i + 1); // channel 1: -1..-9
        }

        var kernel = new float[18]; // [1, 3, 3, 2]
        for (var t = 0; t < 9; t++)
        {
            kernel[2 * t] = 1;
        }

        kernel[(2 * 4) + 1] = 2;
        var g = new TestGraph();
        var x = g.Input("x", 1, 3, 3, 2);
        var w = g.HalfConst("w", kernel, 1, 3, 3, 2);
        var b = g.Const("b", [0.5f, -1f], 2);
        var y = g.Op("DEPTHWISE_CONV_2D", new DepthwiseConv2DOptions(TflitePadding.Same, 1, 1, 1), "y", [1, 3, 3, 2], x, w, b);
        g.Output(y);

        var result = g.Run(input)["y"].Values;

        // Channel 0 = sum of the 3x3 neighbourhood (zeros outside) + 0.5.
        float[] sums = [12, 21, 16, 27, 45, 33, 24, 39, 28];
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(sums[i] + 0.5f, result[2 * i], Tolerance);
            Assert.Equal((2 * -(i + 1)) - 1f, result[(2 * i) + 1], Tolerance);
        }
    }

    [Fact]
    public void Depthwise_conv_stride2_matches_a_direct_convolution()
    {
        var random = new Random(2);
        var input = RandomValues(random, 1 * 4 * 4 * 3, 1f);
        var kernel = RandomValues(random, 3 * 3 * 3, 1f);
        var g = new TestGraph();
        var x = g.Input("x", 1, 4, 4, 3);
        var w = g.Const("w", kernel, 1, 3, 3, 3);
        var y = g.Op("DEPTHWISE_CONV_2D", new DepthwiseConv2DOptions(TflitePadding.Same, 2, 2, 1, TfliteActivation.Relu), "y", [1, 2, 2, 3], x, w);
        g.Output(y);

        var expected = Reference.Conv(input, 4, 4, 3, kernel, 3, 3, 3, new float[3], 2, depthwise: true).Select(v => Math.Max(v, 0)).ToArray();
        AssertClose(expected, g.Run(input)["y"].Values);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Prelu_applies_a_slope_per_channel(bool afterConv)
    {
        float[] alpha = [0.1f, 0.2f, 0.3f];
        var input = new float[] { -1, 2, -3, 4, -5, 6, -7, -8, 9, 10, -11, -12 }; // 1x2x2x3
        var g = new TestGraph();
        var x = g.Input("x", 1, 2, 2, 3);
        var source = afterConv ? IdentityConv(g, x, 2, 2, 3) : x;
        var a = g.HalfConst("alpha", alpha, 1, 1, 3);
        var y = g.Op("PRELU", null, "y", [1, 2, 2, 3], source, a);
        g.Output(y);

        var expected = input.Select((v, i) => v >= 0 ? v : (float)(Half)alpha[i % 3] * v).ToArray();
        AssertClose(expected, g.Run(input)["y"].Values);
    }

    [Fact]
    public void Max_pool_same_pads_at_the_end_and_ignores_the_padding()
    {
        // 3x3 input -1..-9, 2x2 window, stride 2: windows {-1,-2,-4,-5}, {-3,-6}, {-7,-8}, {-9}.
        // Zero padding would wrongly give 0 for the three edge windows.
        var g = new TestGraph();
        var x = g.Input("x", 1, 3, 3, 1);
        var y = g.Op("MAX_POOL_2D", new Pool2DOptions(TflitePadding.Same, 2, 2, 2, 2), "y", [1, 2, 2, 1], x);
        g.Output(y);

        AssertClose([-1, -3, -7, -9], g.Run(Seq(9, start: 1).Select(v => -v).ToArray())["y"].Values);
    }

    [Fact]
    public void Pad_on_an_nchw_value_pads_the_right_nhwc_axes()
    {
        // 1x2x2x1 → paddings [[0,0],[1,0],[0,1],[0,2]] → 1x3x3x3: a zero row on top, a zero column
        // on the right, two zero channels after the original one (BlazeFace's channel padding).
        var g = new TestGraph();
        var x = g.Input("x", 1, 2, 2, 1);
        var conv = IdentityConv(g, x, 2, 2, 1);
        var pads = g.Const("paddings", new[] { 0, 0, 1, 0, 0, 1, 0, 2 }, 4, 2);
        var y = g.Op("PAD", null, "y", [1, 3, 3, 3], conv, pads);
        g.Output(y);

        var result = g.Run([1, 2, 3, 4])["y"];

        Assert.Equal([1, 3, 3, 3], result.Shape);
        var expected = new float[27];
        expected[((1 * 3) + 0) * 3] = 1;
        expected[((1 * 3) + 1) * 3] = 2;
        expected[((2 * 3) + 0) * 3] = 3;
        expected[((2 * 3) + 1) * 3] = 4;
        AssertClose(expected, result.Values);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void Concatenation_along_channels_mixes_layouts_correctly(int axis)
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 2, 2, 2);
        var conv = IdentityConv(g, x, 2, 2, 2); // NCHW inside
        var y = g.Op("CONCATENATION", new ConcatenationOptions(axis), "y", [1, 2, 2, 4], conv, x);
        g.Output(y);

        var input = Seq(8, start: 1);
        var expected = new float[16];
        for (var p = 0; p < 4; p++)
        {
            expected[(4 * p) + 0] = input[2 * p];
            expected[(4 * p) + 1] = input[(2 * p) + 1];
            expected[(4 * p) + 2] = input[2 * p];
            expected[(4 * p) + 3] = input[(2 * p) + 1];
        }

        AssertClose(expected, g.Run(input)["y"].Values);
    }

    [Fact]
    public void Reshape_flattens_in_nhwc_order()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 2, 2, 3);
        var conv = IdentityConv(g, x, 2, 2, 3);
        var shape = g.Const("shape", new[] { 1, 12 }, 2);
        var y = g.Op("RESHAPE", new ReshapeOptions([1, 12]), "y", [1, 12], conv, shape);
        g.Output(y);

        var input = Seq(12, start: 1);
        var result = g.Run(input)["y"];
        Assert.Equal([1, 12], result.Shape);
        AssertClose(input, result.Values);
    }

    [Fact]
    public void Add_with_fused_relu_over_a_constant_and_over_two_layouts()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 1, 2, 2);
        var conv = IdentityConv(g, x, 1, 2, 2);
        var c = g.Const("c", [10f, -10f], 2);
        var withConst = g.Op("ADD", new ActivationOptions(TfliteActivation.Relu), "with_const", [1, 1, 2, 2], conv, c);
        var mixed = g.Op("ADD", new ActivationOptions(TfliteActivation.Relu), "mixed", [1, 1, 2, 2], conv, x);
        g.Output(withConst);
        g.Output(mixed);

        var result = g.Run([1, 2, -3, 20]);

        AssertClose([11, 0, 7, 10], result["with_const"].Values);
        AssertClose([2, 4, 0, 40], result["mixed"].Values);
    }

    [Fact]
    public void A_conv_chain_transposes_only_at_the_input_and_the_output()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 4, 4, 2);
        var a = IdentityConv(g, x, 4, 4, 2);
        var r = g.Op("RELU", null, "r", [1, 4, 4, 2], a);
        var p = g.Op("MAX_POOL_2D", new Pool2DOptions(TflitePadding.Valid, 2, 2, 2, 2), "p", [1, 2, 2, 2], r);
        var s = g.Op("ADD", new ActivationOptions(TfliteActivation.None), "s", [1, 2, 2, 2], p, p);
        g.Output(s);

        var ops = TfliteToOnnx.Convert(g.Build()).NodeOpTypes;

        Assert.Equal(2, ops.Count(o => o == "Transpose"));
        Assert.Equal(["Transpose", "Conv", "Relu", "MaxPool", "Add", "Transpose"], ops);
    }

    [Fact]
    public void Unsupported_builtin_operator_fails_with_its_name()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 4);
        g.Output(g.Op("TOPK_V2", null, "top", [1, 2], x));

        var e = Assert.Throws<UnsupportedOperatorException>(() => TfliteToOnnx.Convert(g.Build()));

        Assert.Equal("TOPK_V2", e.OpName);
        Assert.Contains("TOPK_V2", e.Message);
        Assert.Contains("top", e.Message);
    }

    [Fact]
    public void Unsupported_custom_operator_fails_with_its_custom_name()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 4);
        g.Custom("MaxPoolingWithArgmax2D", "m", x);

        var e = Assert.Throws<UnsupportedOperatorException>(() => TfliteToOnnx.Convert(g.Build()));

        Assert.Equal("CUSTOM(MaxPoolingWithArgmax2D)", e.OpName);
        Assert.Contains("MaxPoolingWithArgmax2D", e.Message);
    }

    [Fact]
    public void A_known_custom_operator_of_an_unknown_version_fails_with_its_name_and_version()
    {
        var g = new TestGraph();
        var x = g.Input("x", 1, 5, 2);
        var m = g.Input("m", 1, 4, 4);
        g.Output(g.Custom("TransformLandmarks", 1, null, "y", [1, 5, 2], x, m));

        var e = Assert.Throws<UnsupportedOperatorException>(() => TfliteToOnnx.Convert(g.Build()));

        Assert.Equal("CUSTOM(TransformLandmarks)", e.OpName);
        Assert.Contains("version 1", e.Message);
    }

    [Theory]
    [InlineData("STRIDED_SLICE", true)]
    [InlineData("CUSTOM(Landmarks2TransformMatrix)", true)]
    [InlineData("CUSTOM(TransformTensorBilinear)", true)]
    [InlineData("CUSTOM(TransformLandmarks)", true)]
    [InlineData("CUSTOM(MaxPoolingWithArgmax2D)", false)]
    [InlineData("TOPK_V2", false)]
    public void Supported_operators_are_listed_by_display_name(string displayName, bool supported) =>
        Assert.Equal(supported, TfliteToOnnx.IsSupported(displayName));

    [Fact]
    public void Strided_slice_applies_begin_and_end_masks_and_strides()
    {
        // x 2x5 = [[0..4], [5..9]]; axis 0 begin masked (from 0) to 2, axis 1 from 4 backwards
        // by 2, end masked (through element 0): [[4, 2, 0], [9, 7, 5]].
        var g = new TestGraph();
        var x = g.Input("x", 2, 5);
        var begin = g.Const("begin", new[] { 1, 4 }, 2);
        var end = g.Const("end", new[] { 2, 1 }, 2);
        var strides = g.Const("strides", new[] { 1, -2 }, 2);
        g.Output(g.Op("STRIDED_SLICE", new StridedSliceOptions(BeginMask: 1, EndMask: 2, 0, 0, 0, false), "y", [2, 3], x, begin, end, strides));

        var result = g.Run(Seq(10))["y"];

        Assert.Equal([2, 3], result.Shape);
        AssertClose([4, 2, 0, 9, 7, 5], result.Values);
    }

    [Fact]
    public void Strided_slice_shrinks_the_masked_axes()
    {
        // x 1x3x4: take the last row (begin -1, shrink axis 1) and columns 1..2 → shape [1, 2].
        var g = new TestGraph();
        var x = g.Input("x", 1, 3, 4);
        var begin = g.Const("begin", new[] { 0, -1, 1 }, 3);
        var end = g.Const("end", new[] { 1, 0, 3 }, 3);
        var strides = g.Const("strides", new[] { 1, 1, 1 }, 3);
        g.Output(g.Op("STRIDED_SLICE", new StridedSliceOptions(0, 0, 0, 0, ShrinkAxisMask: 2, false), "y", [1, 2], x, begin, end, strides));

        var result = g.Run(Seq(12))["y"];

        Assert.Equal([1, 2], result.Shape);
        AssertClose([9, 10], result.Values);
    }

    [Fact]
    public void Strided_slice_of_an_nchw_value_slices_the_nhwc_axes()
    {
        // 1x2x2x3 after a convolution (NCHW inside): keep channels 1..2 of row 1 → 1x1x2x2.
        var g = new TestGraph();
        var x = g.Input("x", 1, 2, 2, 3);
        var conv = IdentityConv(g, x, 2, 2, 3);
        var begin = g.Const("begin", new[] { 0, 1, 0, 1 }, 4);
        var end = g.Const("end", new[] { 1, 2, 2, 3 }, 4);
        var strides = g.Const("strides", new[] { 1, 1, 1, 1 }, 4);
        g.Output(g.Op("STRIDED_SLICE", new StridedSliceOptions(0, 0, 0, 0, 0, false), "y", [1, 1, 2, 2], conv, begin, end, strides));

        var result = g.Run(Seq(12))["y"];

        Assert.Equal([1, 1, 2, 2], result.Shape);
        AssertClose([7, 8, 10, 11], result.Values);
    }

    [Theory]
    [InlineData(4, 3, 2, 1, 0, 1)]
    [InlineData(128, 5, 1, 1, 2, 2)]
    [InlineData(3, 2, 2, 1, 0, 1)]
    [InlineData(128, 3, 2, 1, 0, 1)]
    [InlineData(5, 3, 1, 2, 2, 2)]
    [InlineData(8, 1, 2, 1, 0, 0)]
    public void Same_padding_matches_tensorflow(int input, int kernel, int stride, int dilation, int begin, int end) =>
        Assert.Equal((begin, end), TfliteToOnnx.SamePadding(input, kernel, stride, dilation));

    [Theory]
    [InlineData(0, "ADD")]
    [InlineData(3, "CONV_2D")]
    [InlineData(32, "CUSTOM")]
    [InlineData(45, "STRIDED_SLICE")]
    [InlineData(54, "PRELU")]
    [InlineData(87, "LOGICAL_NOT")]
    [InlineData(126, "BATCH_MATMUL")]
    [InlineData(145, "BROADCAST_ARGS")]
    [InlineData(400, "BUILTIN_400")]
    public void Builtin_operator_names_follow_the_schema(int code, string name) =>
        Assert.Equal(name, TfliteReader.BuiltinName(code));

    /// <summary>A 1x1 convolution with an identity kernel: the value comes out unchanged but in NCHW inside the ONNX graph.</summary>
    internal static int IdentityConv(TestGraph g, int x, int h, int w, int c)
    {
        var kernel = new float[c * c];
        for (var i = 0; i < c; i++)
        {
            kernel[(i * c) + i] = 1;
        }

        var k = g.Const($"identity_{x}", kernel, c, 1, 1, c);
        return g.Op("CONV_2D", new Conv2DOptions(TflitePadding.Valid, 1, 1), $"conv_{x}", [1, h, w, c], x, k);
    }

    internal static float[] Seq(int count, int start = 0) => Enumerable.Range(start, count).Select(v => (float)v).ToArray();

    private static float[] RandomValues(Random random, int count, float scale) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();

    internal static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>Direct NHWC convolution with TensorFlow's SAME padding, written from the definition.</summary>
    private static class Reference
    {
        public static float[] Conv(float[] x, int h, int w, int c, float[] kernel, int outC, int kh, int kw, float[] bias, int stride, bool depthwise)
        {
            var oh = (h + stride - 1) / stride;
            var ow = (w + stride - 1) / stride;
            var padTop = Math.Max(((oh - 1) * stride) + kh - h, 0) / 2;
            var padLeft = Math.Max(((ow - 1) * stride) + kw - w, 0) / 2;
            var y = new float[oh * ow * outC];
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    for (var o = 0; o < outC; o++)
                    {
                        double sum = bias[o];
                        for (var ky = 0; ky < kh; ky++)
                        {
                            for (var kx = 0; kx < kw; kx++)
                            {
                                var iy = (oy * stride) + ky - padTop;
                                var ix = (ox * stride) + kx - padLeft;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                {
                                    continue;
                                }

                                if (depthwise)
                                {
                                    // kernel [1, KH, KW, C], channel multiplier 1
                                    sum += x[(((iy * w) + ix) * c) + o] * kernel[(((ky * kw) + kx) * outC) + o];
                                }
                                else
                                {
                                    for (var ic = 0; ic < c; ic++)
                                    {
                                        // kernel [O, KH, KW, I]
                                        sum += x[(((iy * w) + ix) * c) + ic] * kernel[(((((o * kh) + ky) * kw) + kx) * c) + ic];
                                    }
                                }
                            }
                        }

                        y[(((oy * ow) + ox) * outC) + o] = (float)sum;
                    }
                }
            }

            return y;
        }
    }
}
