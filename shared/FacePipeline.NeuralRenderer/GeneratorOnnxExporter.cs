using FacePipeline.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Writes a <see cref="UNetGenerator"/> to ONNX (opset 13) with the project's own writer
/// (<see cref="OnnxModelBuilder"/>), from the module's structure and weights: TorchSharp cannot export ONNX.
/// The graph is the generator's forward pass node for node: Mul/Sub (input scaling), Conv, InstanceNormalization,
/// LeakyRelu, Concat, ConvTranspose or Resize (nearest, asymmetric, floor) + Conv, Relu, Tanh, Add/Mul (output
/// scaling), and for <see cref="GeneratorOutput.BlendWithWarp"/> Split, Sigmoid, Slice, Sub, Mul, Add. Input <c>input</c>: N×C×H×W float in [0, 1] (N free); output <c>rgb</c>: N×3×H×W in [0, 1].
/// </summary>
public static class GeneratorOnnxExporter
{
    /// <summary>Name of the graph input.</summary>
    public const string InputName = GeneratorTensors.Input;

    /// <summary>Name of the graph output.</summary>
    public const string OutputName = GeneratorTensors.Output;

    /// <summary>Builds the ONNX model of <paramref name="generator"/> for <paramref name="height"/>×<paramref name="width"/> images.</summary>
    public static OnnxModelBuilder Build(UNetGenerator generator, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var config = generator.Config;
        if (height <= 0 || width <= 0 || height % config.SizeMultiple != 0 || width % config.SizeMultiple != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(height), $"{width}×{height}: sides must be positive multiples of {config.SizeMultiple}.");
        }

        var b = new OnnxModelBuilder("neural_renderer_generator")
        {
            DocString = "FacePipeline neural renderer generator (U-Net); input planes in [0,1]: warped RGB, correspondence xyz, mouth mask, eyes mask; output RGB in [0,1].",
        };
        b.AddMetadata("facepipe.generator.input_channels", config.InputChannels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        b.AddMetadata("facepipe.generator.depth", config.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture));
        b.AddMetadata("facepipe.generator.upsampling", config.Upsampling.ToString());
        b.AddMetadata("facepipe.generator.output", config.Output.ToString());
        b.AddInput(InputName, OnnxElementType.Float, -1, config.InputChannels, height, width);

        var two = b.AddInitializer("const_two", [2f]);
        var one = b.AddInitializer("const_one", [1f]);
        var half = b.AddInitializer("const_half", [0.5f]);
        var x = b.AddNode("Sub", [b.AddNode("Mul", [InputName, two], ["input_x2"]), one], ["x"]);

        var skips = new string[config.Depth];
        var h = x;
        for (var i = 0; i < config.Depth; i++)
        {
            h = Conv(b, $"down{i}", h, generator.Down[i]);
            if (i > 0)
            {
                h = InstanceNorm(b, $"down{i}_norm", h, generator.DownNorm[i - 1]);
            }

            h = b.AddNode("LeakyRelu", [h], [$"down{i}_act"], OnnxAttribute.Float("alpha", (float)UNetGenerator.LeakySlope));
            skips[i] = h;
        }

        for (var k = 0; k < config.Depth; k++)
        {
            var level = config.Depth - 1 - k;
            if (level < config.Depth - 1)
            {
                h = b.AddNode("Concat", [h, skips[level]], [$"up{level}_in"], OnnxAttribute.Int("axis", 1));
            }

            if (config.Upsampling == UpsamplingMode.NearestConvolution)
            {
                var scales = b.AddInitializer($"up{level}_scales", [1f, 1f, 2f, 2f], 4);
                h = b.AddNode(
                    "Resize",
                    [h, "", scales],
                    [$"up{level}_resized"],
                    OnnxAttribute.String("mode", "nearest"),
                    OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"),
                    OnnxAttribute.String("nearest_mode", "floor"));
                h = Conv(b, $"up{level}", h, (Conv2d)generator.Up[k]);
            }
            else
            {
                h = ConvTranspose(b, $"up{level}", h, (ConvTranspose2d)generator.Up[k]);
            }

            h = InstanceNorm(b, $"up{level}_norm", h, generator.UpNorm[k]);
            h = b.AddNode("Relu", [h], [$"up{level}_act"]);
        }

        h = b.AddNode("Concat", [h, x], ["out_in"], OnnxAttribute.Int("axis", 1));
        h = Conv(b, "out", h, generator.Output);
        if (config.Output == GeneratorOutput.Direct)
        {
            h = b.AddNode("Tanh", [h], ["out_tanh"]);
            h = b.AddNode("Add", [h, one], ["out_plus1"]);
            b.AddNode("Mul", [h, half], [OutputName]);
        }
        else
        {
            // Opset 13: Split takes the sizes as an input; Slice takes starts, ends, axes as inputs.
            var sizes = b.AddInitializer("out_split_sizes", [3L, 1L], 2);
            b.AddNode("Split", ["out", sizes], ["out_rgb_logits", "out_alpha_logits"], OnnxAttribute.Int("axis", 1));
            h = b.AddNode("Tanh", ["out_rgb_logits"], ["out_tanh"]);
            h = b.AddNode("Add", [h, one], ["out_plus1"]);
            var rgb = b.AddNode("Mul", [h, half], ["out_rgb"]);
            var alpha = b.AddNode("Sigmoid", ["out_alpha_logits"], ["out_alpha"]);
            var warp = b.AddNode(
                "Slice",
                [InputName, b.AddInitializer("warp_starts", [0L], 1), b.AddInitializer("warp_ends", [3L], 1), b.AddInitializer("warp_axes", [1L], 1)],
                ["warp"]);
            var delta = b.AddNode("Mul", [alpha, b.AddNode("Sub", [rgb, warp], ["out_minus_warp"])], ["out_delta"]);
            b.AddNode("Add", [warp, delta], [OutputName]);
        }

        b.AddOutput(OutputName, OnnxElementType.Float, -1, 3, height, width);
        return b;
    }

    /// <summary>The ONNX model's bytes.</summary>
    public static byte[] Export(UNetGenerator generator, int height, int width) => Build(generator, height, width).ToBytes();

    /// <summary>Writes the ONNX model to <paramref name="destination"/>.</summary>
    public static void Export(UNetGenerator generator, int height, int width, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(Export(generator, height, width));
    }

    private static string Conv(OnnxModelBuilder b, string name, string input, Conv2d conv)
    {
        RequirePlain(conv.dilation, conv.groups, name);
        var w = b.AddInitializer($"{name}_w", Floats(conv.weight!, out var shape), shape);
        var bias = b.AddInitializer($"{name}_b", Floats(conv.bias!, out var bshape), bshape);
        var p = conv.padding ?? throw new NotSupportedException($"{name}: symbolic padding is not exported.");
        return b.AddNode(
            "Conv",
            [input, w, bias],
            [name],
            OnnxAttribute.Ints("kernel_shape", conv.kernel_size),
            OnnxAttribute.Ints("strides", conv.stride),
            OnnxAttribute.Ints("pads", p[0], p[1], p[0], p[1]));
    }

    private static string ConvTranspose(OnnxModelBuilder b, string name, string input, ConvTranspose2d conv)
    {
        RequirePlain(conv.dilation, conv.groups, name);
        var w = b.AddInitializer($"{name}_w", Floats(conv.weight!, out var shape), shape);
        var bias = b.AddInitializer($"{name}_b", Floats(conv.bias!, out var bshape), bshape);
        var p = conv.padding ?? throw new NotSupportedException($"{name}: symbolic padding is not exported.");
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", conv.kernel_size),
            OnnxAttribute.Ints("strides", conv.stride),
            OnnxAttribute.Ints("pads", p[0], p[1], p[0], p[1]),
        };
        if (conv.output_padding is { } op && op.Any(v => v != 0))
        {
            attributes.Add(OnnxAttribute.Ints("output_padding", op));
        }

        return b.AddNode("ConvTranspose", [input, w, bias], [name], [.. attributes]);
    }

    private static string InstanceNorm(OnnxModelBuilder b, string name, string input, InstanceNorm2d norm)
    {
        if (norm.track_running_stats)
        {
            throw new NotSupportedException($"{name}: InstanceNorm with running statistics is not exported.");
        }

        var n = (int)norm.num_features;
        var scale = norm.affine ? Floats(norm.weight!, out _) : Enumerable.Repeat(1f, n).ToArray();
        var bias = norm.affine ? Floats(norm.bias!, out _) : new float[n];
        return b.AddNode(
            "InstanceNormalization",
            [input, b.AddInitializer($"{name}_scale", scale, n), b.AddInitializer($"{name}_bias", bias, n)],
            [name],
            OnnxAttribute.Float("epsilon", (float)norm.eps));
    }

    private static void RequirePlain(long[] dilation, long groups, string name)
    {
        if (groups != 1 || dilation.Any(d => d != 1))
        {
            throw new NotSupportedException($"{name}: grouped or dilated convolutions are not exported.");
        }
    }

    private static float[] Floats(Tensor t, out long[] shape)
    {
        using var scope = torch.NewDisposeScope();
        shape = t.shape;
        return t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }
}
