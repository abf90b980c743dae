using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Conditional PatchGAN (pix2pix): scores every overlapping patch of an RGB image as real or generated, given the
/// generator's input. Layers: Conv 4×4 stride 2 (no norm) → LeakyReLU(0.2); then <see cref="DiscriminatorConfig.Layers"/>−1
/// stride-2 and one stride-1 Conv 4×4 → InstanceNorm → LeakyReLU(0.2), planes doubling up to 8× base; then a stride-1
/// Conv 4×4 to one plane of raw scores (no sigmoid: LSGAN). <see cref="forward"/> returns every layer's activation
/// (for feature matching) with the scores last.
/// </summary>
public sealed class PatchDiscriminator : nn.Module<Tensor, Tensor, Tensor[]>
{
    private readonly ModuleList<Conv2d> convs;
    private readonly ModuleList<InstanceNorm2d> norms;

    /// <summary>Builds the network with PyTorch's default initialisation.</summary>
    public PatchDiscriminator(DiscriminatorConfig config)
        : base(nameof(PatchDiscriminator))
    {
        LibTorchNumerics.Apply(); // libtorch's CPU kernels checked before the first network: see LibTorchNumerics
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        convs = nn.ModuleList<Conv2d>();
        norms = nn.ModuleList<InstanceNorm2d>();
        var nd = config.BaseChannels;
        var inC = config.ConditionChannels + 3;
        for (var i = 0; i <= config.Layers; i++)
        {
            var outC = nd * Math.Min(1 << i, 8);
            var stride = i < config.Layers ? 2 : 1;
            convs.Add(nn.Conv2d(inC, outC, kernel_size: 4, stride: stride, padding: 1));
            if (i > 0)
            {
                norms.Add(nn.InstanceNorm2d(outC, eps: 1e-5, affine: true, track_running_stats: false));
            }

            inC = outC;
        }

        convs.Add(nn.Conv2d(inC, 1, kernel_size: 4, stride: 1, padding: 1));
        RegisterComponents();
    }

    /// <summary>The shape.</summary>
    public DiscriminatorConfig Config { get; }

    /// <summary>
    /// <paramref name="condition"/>: N×C×H×W in [0, 1]; <paramref name="image"/>: N×3×H×W in [0, 1]. Returns the
    /// activations of each hidden layer, then the N×1×h×w patch scores.
    /// </summary>
    public override Tensor[] forward(Tensor condition, Tensor image)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(image);
        var h = torch.cat([condition, image], 1) * HeldScalars.Two - HeldScalars.One;
        var outputs = new Tensor[convs.Count];
        for (var i = 0; i < convs.Count; i++)
        {
            h = convs[i].forward(h);
            if (i < convs.Count - 1)
            {
                if (i > 0)
                {
                    h = norms[i - 1].forward(h);
                }

                h = h.leaky_relu(HeldScalars.LeakySlope);
            }

            outputs[i] = h;
        }

        return outputs;
    }
}
