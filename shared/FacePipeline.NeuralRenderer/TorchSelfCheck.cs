using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>One computation of the self-check: its largest error against the independent answer, and the bound.</summary>
public sealed record TorchSelfCheckCase(string Name, double MaxError, double Tolerance)
{
    /// <summary>Within the bound (a NaN or infinite error fails).</summary>
    public bool Passed => double.IsFinite(MaxError) && MaxError <= Tolerance;
}

/// <summary>What <see cref="TorchSelfCheck.Run"/> found, with the kernels <see cref="LibTorchNumerics"/> chose.</summary>
public sealed record TorchSelfCheckResult(IReadOnlyList<TorchSelfCheckCase> Cases, string Device, LibTorchNumericsDecision Kernels)
{
    /// <summary>Every case within its bound.</summary>
    public bool Passed => Cases.All(c => c.Passed);

    /// <summary>One sentence for a log line or a health check.</summary>
    public string Summary => Passed
        ? $"libtorch computes as expected on {Device} ({Cases.Count} checks, worst error {Cases.Max(c => c.MaxError):E1}); {Kernels.Reason}"
        : $"libtorch computes wrong numbers on {Device}: " + string.Join("; ", Cases.Where(c => !c.Passed).Select(c => $"{c.Name} is off by {c.MaxError:E2} (bound {c.Tolerance:E0})"))
          + $". {Kernels.Reason} This host must not train: see docs/neural-renderer-numerics.md.";
}

/// <summary>
/// A training host's start-up check that libtorch computes right on this machine (issue 12): small convolutions
/// (forward, weight and input gradients, transposed) against plain double-precision loops, and a small generator against
/// its own ONNX export run on ONNX Runtime (another implementation of every operator), with the kernels
/// <see cref="LibTorchNumerics"/> chose. The shapes are those that broke on oneDNN 3.7.1 (input channels above one SIMD
/// block and not a multiple of it, and large enough for libtorch to pick oneDNN). Inputs come from a fixed seed through
/// <see cref="Random"/> (not libtorch's generator); the whole check takes well under a second on a CPU.
/// </summary>
public static class TorchSelfCheck
{
    /// <summary>Bound of the convolution checks (values of order 1; float32 sums of ≤ 400 products are within 1e-5).</summary>
    public const double ConvolutionTolerance = 1e-3;

    /// <summary>Bound of the generator against ONNX Runtime (as the export test holds it).</summary>
    public const double GeneratorTolerance = 1e-4;

    /// <summary>
    /// Runs every check on <paramref name="device"/> (default: <see cref="TorchDevices.Preferred"/>).
    /// <paramref name="generatorForward"/> replaces the generator's forward pass (tests inject a wrong one).
    /// </summary>
    public static TorchSelfCheckResult Run(Device? device = null, Func<UNetGenerator, Tensor, Tensor>? generatorForward = null)
    {
        var kernels = LibTorchNumerics.Decision;
        device ??= TorchDevices.Preferred();

        // On the CPU the kernel choice has just run these very cases with the kernels it chose: not again.
        var convolutions = device.type == DeviceType.CPU ? (kernels.OneDnn ? kernels.OneDnnCases : kernels.AtenCases) : Convolutions(device);
        var cases = new List<TorchSelfCheckCase>(convolutions)
        {
            Generator(device, generatorForward ?? ((g, x) => g.forward(x))),
        };
        return new TorchSelfCheckResult(cases, device.type.ToString(), kernels);
    }

    /// <summary>
    /// The convolution cases alone (forward, weight and input gradients, transposed), with libtorch as it is set now;
    /// <see cref="LibTorchNumerics"/> runs them to choose its kernels, so they build no network.
    /// </summary>
    public static IReadOnlyList<TorchSelfCheckCase> Convolutions(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return
        [
            Convolution("conv2d 2x20x48x80 to 4 planes, 3x3", device, n: 2, cin: 20, cout: 4, h: 48, w: 80, k: 3, stride: 1, pad: 1, seed: 1),
            Convolution("conv2d 1x24x12x20 to 48 planes, 4x4 stride 2", device, n: 1, cin: 24, cout: 48, h: 12, w: 20, k: 4, stride: 2, pad: 1, seed: 2),
            Gradients("conv2d gradients 2x20x24x40 to 12 planes, 4x4 stride 2", device, n: 2, cin: 20, cout: 12, h: 24, w: 40, k: 4, stride: 2, pad: 1, seed: 3),
            TransposedConvolution("conv_transpose2d 2x20x12x20 to 6 planes, 4x4 stride 2", device, n: 2, cin: 20, cout: 6, h: 12, w: 20, k: 4, stride: 2, pad: 1, seed: 4),
        ];
    }

    private static TorchSelfCheckCase Convolution(string name, Device device, int n, int cin, int cout, int h, int w, int k, int stride, int pad, int seed)
    {
        var rng = new Random(seed);
        var x = Uniform(rng, n * cin * h * w);
        var weight = Uniform(rng, cout * cin * k * k);
        var bias = Uniform(rng, cout);
        var expected = ReferenceConvolution(x, weight, bias, n, cin, cout, h, w, k, stride, pad);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var y = nn.functional.conv2d(
            Tensor(x, [n, cin, h, w], device), Tensor(weight, [cout, cin, k, k], device), Tensor(bias, [cout], device),
            strides: [stride, stride], padding: [pad, pad]);
        return new TorchSelfCheckCase(name, MaxError(y, expected), ConvolutionTolerance);
    }

    /// <summary>d/dW and d/dx of Σ y·g, y = conv(x, W), against loops over every (output position, kernel tap); the worse of the two.</summary>
    private static TorchSelfCheckCase Gradients(string name, Device device, int n, int cin, int cout, int h, int w, int k, int stride, int pad, int seed)
    {
        var rng = new Random(seed);
        var x = Uniform(rng, n * cin * h * w);
        var weight = Uniform(rng, cout * cin * k * k);
        var (oh, ow) = ((h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1);
        var upstream = Uniform(rng, n * cout * oh * ow);
        var weightGradient = new double[weight.Length];
        var inputGradient = new double[x.Length];
        for (var b = 0; b < n; b++)
        for (var o = 0; o < cout; o++)
        for (var i = 0; i < oh; i++)
        for (var j = 0; j < ow; j++)
        {
            double g = upstream[((b * cout + o) * oh + i) * ow + j];
            for (var c = 0; c < cin; c++)
            for (var ky = 0; ky < k; ky++)
            {
                var iy = i * stride - pad + ky;
                if (iy < 0 || iy >= h)
                {
                    continue;
                }

                for (var kx = 0; kx < k; kx++)
                {
                    var ix = j * stride - pad + kx;
                    if (ix >= 0 && ix < w)
                    {
                        var xi = ((b * cin + c) * h + iy) * w + ix;
                        var wi = ((o * cin + c) * k + ky) * k + kx;
                        weightGradient[wi] += g * x[xi];
                        inputGradient[xi] += g * weight[wi];
                    }
                }
            }
        }

        using var scope = torch.NewDisposeScope();
        var inputs = Tensor(x, [n, cin, h, w], device).requires_grad_(true);
        var weights = Tensor(weight, [cout, cin, k, k], device).requires_grad_(true);
        var y = nn.functional.conv2d(inputs, weights, strides: [stride, stride], padding: [pad, pad]);
        (y * Tensor(upstream, [n, cout, oh, ow], device)).sum().backward();
        var worst = Math.Max(MaxError(weights.grad!, weightGradient), MaxError(inputs.grad!, inputGradient));
        return new TorchSelfCheckCase(name, worst, ConvolutionTolerance);
    }

    private static TorchSelfCheckCase TransposedConvolution(string name, Device device, int n, int cin, int cout, int h, int w, int k, int stride, int pad, int seed)
    {
        var rng = new Random(seed);
        var x = Uniform(rng, n * cin * h * w);
        var weight = Uniform(rng, cin * cout * k * k); // [in, out, k, k]
        var bias = Uniform(rng, cout);
        var (oh, ow) = ((h - 1) * stride - 2 * pad + k, (w - 1) * stride - 2 * pad + k);
        var expected = new double[n * cout * oh * ow];
        for (var b = 0; b < n; b++)
        for (var o = 0; o < cout; o++)
        for (var p = 0; p < oh * ow; p++)
        {
            expected[(b * cout + o) * oh * ow + p] = bias[o];
        }

        for (var b = 0; b < n; b++)
        for (var c = 0; c < cin; c++)
        for (var i = 0; i < h; i++)
        for (var j = 0; j < w; j++)
        {
            double v = x[((b * cin + c) * h + i) * w + j];
            for (var o = 0; o < cout; o++)
            for (var ky = 0; ky < k; ky++)
            {
                var oy = i * stride - pad + ky;
                if (oy < 0 || oy >= oh)
                {
                    continue;
                }

                for (var kx = 0; kx < k; kx++)
                {
                    var ox = j * stride - pad + kx;
                    if (ox >= 0 && ox < ow)
                    {
                        expected[((b * cout + o) * oh + oy) * ow + ox] += v * weight[((c * cout + o) * k + ky) * k + kx];
                    }
                }
            }
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var y = nn.functional.conv_transpose2d(
            Tensor(x, [n, cin, h, w], device), Tensor(weight, [cin, cout, k, k], device), Tensor(bias, [cout], device),
            strides: [stride, stride], padding: [pad, pad]);
        return new TorchSelfCheckCase(name, MaxError(y, expected), ConvolutionTolerance);
    }

    private static TorchSelfCheckCase Generator(Device device, Func<UNetGenerator, Tensor, Tensor> forward)
    {
        const int n = 2, height = 48, width = 80;
        var config = new GeneratorConfig
        {
            InputChannels = ConditioningLayout.Channels,
            BaseChannels = 12,
            MaxChannels = 48,
            Depth = 3,
            Upsampling = UpsamplingMode.TransposedConvolution,
            Output = GeneratorOutput.BlendWithWarp,
        };
        using var generator = new UNetGenerator(config);
        WeightInit.Apply(generator, seed: 12);
        generator.eval();
        var onnx = GeneratorOnnxExporter.Export(generator, height, width);
        generator.to(device);
        var input = Uniform(new Random(5), n * ConditioningLayout.Channels * height * width);

        var expected = new float[n * 3 * height * width];
        using (var session = new GeneratorSession(onnx, maxBatch: n, preferCuda: false))
        {
            session.Run(input, n, expected);
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var y = forward(generator, Tensor(input, [n, ConditioningLayout.Channels, height, width], device));
        return new TorchSelfCheckCase(
            $"generator {n}x{ConditioningLayout.Channels}x{height}x{width} (depth 3, 12 planes) against ONNX Runtime",
            MaxError(y, Array.ConvertAll(expected, v => (double)v)),
            GeneratorTolerance);
    }

    private static double[] ReferenceConvolution(float[] x, float[] weight, float[] bias, int n, int cin, int cout, int h, int w, int k, int stride, int pad)
    {
        var (oh, ow) = ((h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1);
        var y = new double[n * cout * oh * ow];
        for (var b = 0; b < n; b++)
        for (var o = 0; o < cout; o++)
        for (var i = 0; i < oh; i++)
        for (var j = 0; j < ow; j++)
        {
            double sum = bias[o];
            for (var c = 0; c < cin; c++)
            for (var ky = 0; ky < k; ky++)
            {
                var iy = i * stride - pad + ky;
                if (iy < 0 || iy >= h)
                {
                    continue;
                }

                for (var kx = 0; kx < k; kx++)
                {
                    var ix = j * stride - pad + kx;
                    if (ix >= 0 && ix < w)
                    {
                        sum += (double)x[((b * cin + c) * h + iy) * w + ix] * weight[((o * cin + c) * k + ky) * k + kx];
                    }
                }
            }

            y[((b * cout + o) * oh + i) * ow + j] = sum;
        }

        return y;
    }

    private static float[] Uniform(Random rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5);
        }

        return values;
    }

    private static Tensor Tensor(float[] values, long[] shape, Device device) => torch.tensor(values, shape).to(device);

    /// <summary>Largest |actual − expected|; NaN when any value is not finite or the sizes differ.</summary>
    private static double MaxError(Tensor actual, double[] expected)
    {
        var values = actual.detach().cpu().contiguous().data<float>().ToArray();
        if (values.Length != expected.Length)
        {
            return double.NaN;
        }

        double worst = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var error = Math.Abs(values[i] - expected[i]);
            if (!double.IsFinite(error))
            {
                return double.NaN;
            }

            worst = Math.Max(worst, error);
        }

        return worst;
    }
}
