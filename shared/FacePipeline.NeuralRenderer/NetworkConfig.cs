using System.Numerics;

namespace FacePipeline.NeuralRenderer;

/// <summary>How the generator's decoder doubles the resolution.</summary>
public enum UpsamplingMode
{
    /// <summary>Transposed convolution, kernel 4, stride 2, padding 1 (pix2pix; ONNX ConvTranspose).</summary>
    TransposedConvolution,

    /// <summary>Nearest-neighbour ×2 then a 3×3 convolution (no checkerboard artefacts; ONNX Resize + Conv).</summary>
    NearestConvolution,
}

/// <summary>What the generator's last layer produces.</summary>
public enum GeneratorOutput
{
    /// <summary>The RGB image itself: (tanh + 1)/2 of 3 planes.</summary>
    Direct,

    /// <summary>
    /// An RGB image and a blend weight α = sigmoid(a) per pixel; the output is warp + α·(rgb − warp), where warp is the
    /// input's warped RGB (planes 0–2). The network can keep the warp renderer's pixels where they are right and
    /// paint only where the warp cannot (mouth interior, eyes, shading).
    /// </summary>
    BlendWithWarp,
}

/// <summary>
/// Shape of the U-Net generator. Input: <see cref="InputChannels"/> planes in [0, 1] (warped RGB first, then the
/// conditioning planes); output: RGB in [0, 1]. Height and width must be multiples of 2^<see cref="Depth"/>.
/// </summary>
public sealed record GeneratorConfig
{
    /// <summary>Input planes: 3 (warped RGB) + conditioning planes.</summary>
    public int InputChannels { get; init; } = ConditioningLayout.Channels;

    /// <summary>Feature planes of the first encoder level; level i has min(base·2^i, <see cref="MaxChannels"/>).</summary>
    public int BaseChannels { get; init; } = 64;

    /// <summary>Upper bound of the feature planes at any level.</summary>
    public int MaxChannels { get; init; } = 512;

    /// <summary>Encoder levels, each halving the resolution (the bottleneck is size / 2^Depth).</summary>
    public int Depth { get; init; } = 6;

    /// <summary>How the decoder upsamples.</summary>
    public UpsamplingMode Upsampling { get; init; } = UpsamplingMode.TransposedConvolution;

    /// <summary>
    /// What the last layer produces. Default <see cref="GeneratorOutput.BlendWithWarp"/> (it needs the warped RGB in planes 0–2):
    /// on GRID self-reenactment it reached 35.3 dB against 32.6 dB for <see cref="GeneratorOutput.Direct"/> with the same
    /// 30 s of CPU training (docs/benchmarks.md).
    /// </summary>
    public GeneratorOutput Output { get; init; } = GeneratorOutput.BlendWithWarp;

    /// <summary>Feature planes of encoder level <paramref name="level"/>.</summary>
    public int ChannelsAt(int level) => Math.Min(BaseChannels << level, MaxChannels);

    /// <summary>Image sides must be multiples of this.</summary>
    public int SizeMultiple => 1 << Depth;

    /// <summary>
    /// The default shape for square crops of <paramref name="cropSize"/> (64, 128, 256…): depth log2(size) − 2,
    /// so the bottleneck is 4×4.
    /// </summary>
    public static GeneratorConfig ForCrop(int cropSize, int inputChannels = ConditioningLayout.Channels, int baseChannels = 64, GeneratorOutput output = GeneratorOutput.BlendWithWarp)
    {
        if (cropSize < 16 || !BitOperations.IsPow2(cropSize))
        {
            throw new ArgumentOutOfRangeException(nameof(cropSize), cropSize, "A power of two, at least 16.");
        }

        return new GeneratorConfig { InputChannels = inputChannels, BaseChannels = baseChannels, Depth = BitOperations.Log2((uint)cropSize) - 2, Output = output };
    }

    internal void Validate()
    {
        if (Output == GeneratorOutput.BlendWithWarp && InputChannels < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(GeneratorConfig), this, "Blending with the warp needs the warped RGB in input planes 0–2.");
        }

        if (InputChannels < 1 || BaseChannels < 1 || MaxChannels < BaseChannels || Depth < 1 || Depth > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(GeneratorConfig), this, "Input and base channels ≥ 1, max ≥ base, depth in [1, 10].");
        }
    }
}

/// <summary>
/// Shape of the conditional PatchGAN discriminator: it sees the generator's input (the condition) beside an RGB
/// image and scores overlapping patches (70×70 receptive field with 3 layers).
/// </summary>
public sealed record DiscriminatorConfig
{
    /// <summary>Planes of the condition (the generator's input).</summary>
    public int ConditionChannels { get; init; } = ConditioningLayout.Channels;

    /// <summary>Feature planes of the first layer (doubled per layer, at most 8×).</summary>
    public int BaseChannels { get; init; } = 64;

    /// <summary>Stride-2 layers (3: the pix2pix 70×70 PatchGAN).</summary>
    public int Layers { get; init; } = 3;

    internal void Validate()
    {
        if (ConditionChannels < 1 || BaseChannels < 1 || Layers < 1 || Layers > 6)
        {
            throw new ArgumentOutOfRangeException(nameof(DiscriminatorConfig), this, "Channels ≥ 1, layers in [1, 6].");
        }
    }
}

/// <summary>Both networks of an actor's renderer and the crop they work on.</summary>
public sealed record NeuralRendererConfig
{
    /// <summary>Side of the square face crop in pixels.</summary>
    public int CropSize { get; init; } = 256;

    /// <summary>The generator.</summary>
    public GeneratorConfig Generator { get; init; } = GeneratorConfig.ForCrop(256);

    /// <summary>The discriminator.</summary>
    public DiscriminatorConfig Discriminator { get; init; } = new();

    /// <summary>Matching generator and discriminator for <paramref name="cropSize"/>.</summary>
    public static NeuralRendererConfig ForCrop(int cropSize, int inputChannels = ConditioningLayout.Channels, int baseChannels = 64, GeneratorOutput output = GeneratorOutput.BlendWithWarp) => new()
    {
        CropSize = cropSize,
        Generator = GeneratorConfig.ForCrop(cropSize, inputChannels, baseChannels, output),
        Discriminator = new DiscriminatorConfig { ConditionChannels = inputChannels, BaseChannels = baseChannels },
    };

    internal void Validate()
    {
        Generator.Validate();
        Discriminator.Validate();
        if (CropSize % Generator.SizeMultiple != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CropSize), CropSize, $"The crop must be a multiple of {Generator.SizeMultiple}.");
        }

        if ((CropSize >> Discriminator.Layers) < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(CropSize), CropSize, $"The discriminator's {Discriminator.Layers} stride-2 layers need crops of at least {3 << Discriminator.Layers} pixels.");
        }

        if (Discriminator.ConditionChannels != Generator.InputChannels)
        {
            throw new ArgumentException("The discriminator's condition must have the generator's input channels.");
        }
    }
}
