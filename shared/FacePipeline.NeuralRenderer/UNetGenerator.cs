using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// The image-to-image generator: a U-Net (pix2pix) with one more skip at full resolution.
/// <list type="number">
/// <item>x ∈ [0, 1] is mapped to [−1, 1] (2x − 1).</item>
/// <item>Encoder level i (0…Depth−1): Conv 4×4 stride 2 pad 1 → InstanceNorm (not at level 0) → LeakyReLU(0.2); its output
///   d_i (half the resolution of its input, <see cref="GeneratorConfig.ChannelsAt"/>(i) planes) is kept as a skip.</item>
/// <item>Decoder level i (Depth−1…0) reads d_{Depth−1} at the bottom, else concat(u_{i+1}, d_i); doubles the resolution
///   (ConvTranspose 4×4 stride 2 pad 1, or nearest ×2 + Conv 3×3 pad 1) → InstanceNorm → ReLU, giving
///   ChannelsAt(i−1) planes (ChannelsAt(0) at level 0).</item>
/// <item>Output: concat(u_0, 2x − 1) → Conv 3×3 pad 1 → 3 planes → tanh → (t + 1)/2, RGB in [0, 1]. The full-resolution
///   skip hands the warped pixels straight to the last layer. With <see cref="GeneratorOutput.BlendWithWarp"/> the
///   convolution has a 4th plane a and the output is warp + sigmoid(a)·(rgb − warp), warp = input planes 0–2.</item>
/// </list>
/// InstanceNorm is affine and keeps no running statistics, so training and inference compute the same function.
/// <see cref="GeneratorOnnxExporter"/> writes exactly this graph.
/// </summary>
public sealed class UNetGenerator : nn.Module<Tensor, Tensor>
{
    /// <summary>InstanceNorm's epsilon (PyTorch's default).</summary>
    public const double NormEpsilon = 1e-5;

    /// <summary>LeakyReLU slope of the encoder.</summary>
    public const double LeakySlope = 0.2;

    private readonly ModuleList<Conv2d> down;
    private readonly ModuleList<InstanceNorm2d> downNorm;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> up;
    private readonly ModuleList<InstanceNorm2d> upNorm;
    private readonly Conv2d output;

    /// <summary>Builds the network with PyTorch's default initialisation from libtorch's global generator (<see cref="GanTrainer"/> re-initialises from its own seed).</summary>
    public UNetGenerator(GeneratorConfig config)
        : base(nameof(UNetGenerator))
    {
        LibTorchNumerics.Apply(); // libtorch's CPU kernels checked before the first network: see LibTorchNumerics
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var depth = config.Depth;
        down = nn.ModuleList<Conv2d>();
        downNorm = nn.ModuleList<InstanceNorm2d>();
        for (var i = 0; i < depth; i++)
        {
            var inC = i == 0 ? config.InputChannels : config.ChannelsAt(i - 1);
            down.Add(nn.Conv2d(inC, config.ChannelsAt(i), kernel_size: 4, stride: 2, padding: 1));
            if (i > 0)
            {
                downNorm.Add(nn.InstanceNorm2d(config.ChannelsAt(i), eps: NormEpsilon, affine: true, track_running_stats: false));
            }
        }

        up = nn.ModuleList<nn.Module<Tensor, Tensor>>();
        upNorm = nn.ModuleList<InstanceNorm2d>();
        for (var i = depth - 1; i >= 0; i--)
        {
            var (inC, outC) = UpChannels(config, i);
            up.Add(config.Upsampling == UpsamplingMode.TransposedConvolution
                ? nn.ConvTranspose2d(inC, outC, kernel_size: 4, stride: 2, padding: 1)
                : nn.Conv2d(inC, outC, kernel_size: 3, stride: 1, padding: 1));
            upNorm.Add(nn.InstanceNorm2d(outC, eps: NormEpsilon, affine: true, track_running_stats: false));
        }

        output = nn.Conv2d(config.ChannelsAt(0) + config.InputChannels, OutputPlanes(config), kernel_size: 3, stride: 1, padding: 1);
        RegisterComponents();
    }

    /// <summary>The shape.</summary>
    public GeneratorConfig Config { get; }

    internal IList<Conv2d> Down => down;

    internal IList<InstanceNorm2d> DownNorm => downNorm;

    /// <summary>Decoder layers from the bottom (level Depth−1) to the top (level 0).</summary>
    internal IList<nn.Module<Tensor, Tensor>> Up => up;

    internal IList<InstanceNorm2d> UpNorm => upNorm;

    internal Conv2d Output => output;

    /// <summary>Planes of the last convolution: RGB, plus the blend weight with <see cref="GeneratorOutput.BlendWithWarp"/>.</summary>
    internal static int OutputPlanes(GeneratorConfig config) => config.Output == GeneratorOutput.BlendWithWarp ? 4 : 3;

    /// <summary>Input and output planes of decoder level <paramref name="level"/>.</summary>
    internal static (int In, int Out) UpChannels(GeneratorConfig config, int level) =>
        (level == config.Depth - 1 ? config.ChannelsAt(level) : 2 * config.ChannelsAt(level),
         level == 0 ? config.ChannelsAt(0) : config.ChannelsAt(level - 1));

    /// <summary>N×InputChannels×H×W in [0, 1] → N×3×H×W RGB in [0, 1].</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var depth = Config.Depth;
        if (input.dim() != 4 || input.shape[1] != Config.InputChannels || input.shape[2] % Config.SizeMultiple != 0 || input.shape[3] % Config.SizeMultiple != 0)
        {
            throw new ArgumentException(
                $"Expected N×{Config.InputChannels}×H×W with H and W multiples of {Config.SizeMultiple}; got [{string.Join(",", input.shape)}].",
                nameof(input));
        }

        var x = input * HeldScalars.Two - HeldScalars.One;
        var skips = new Tensor[depth];
        var h = x;
        for (var i = 0; i < depth; i++)
        {
            h = down[i].forward(h);
            if (i > 0)
            {
                h = downNorm[i - 1].forward(h);
            }

            h = h.leaky_relu(HeldScalars.LeakySlope);
            skips[i] = h;
        }

        for (var k = 0; k < depth; k++)
        {
            var level = depth - 1 - k;
            if (level < depth - 1)
            {
                h = torch.cat([h, skips[level]], 1);
            }

            if (Config.Upsampling == UpsamplingMode.NearestConvolution)
            {
                h = F.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
            }

            h = up[k].forward(h);
            h = upNorm[k].forward(h);
            h = F.relu(h);
        }

        h = output.forward(torch.cat([h, x], 1));
        if (Config.Output == GeneratorOutput.Direct)
        {
            return (torch.tanh(h) + HeldScalars.One) * HeldScalars.Half;
        }

        var rgb = (torch.tanh(h[.., ..3]) + HeldScalars.One) * HeldScalars.Half;
        var alpha = torch.sigmoid(h[.., 3..4]);
        var warp = input[.., ..3];
        return warp + alpha * (rgb - warp);
    }
}
