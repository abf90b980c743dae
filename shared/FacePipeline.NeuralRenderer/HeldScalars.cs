using TorchSharp;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// The numbers the renderer's tensor arithmetic uses, as TorchSharp scalars held for the life of the process.
/// <para>
/// Written inline (<c>x * 2</c>, <c>x.clamp_min(1e-6)</c>, <c>F.leaky_relu(x, 0.2)</c>), a number becomes a temporary
/// <see cref="Scalar"/> whose native handle TorchSharp 0.107 passes to libtorch without keeping the managed object alive
/// across the call: a garbage collection during the call can run the scalar's finalizer, which frees it while libtorch
/// reads it. CI saw it once as "Unknown scalar type" in a training test (2026-12-07); with a thread collecting in a loop,
/// <c>x * 2 - 1</c> on a 4-element tensor crashed the process within seconds
/// (<c>ScalarLifetimeTests</c>). So the renderer never passes a temporary: constants come from here, and a number computed
/// at run time is a <c>using var</c> scalar that lives until its statement's end (the <c>using</c> disposes it after the call).
/// </para>
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar One = 1;
    public static readonly Scalar Two = 2;
    public static readonly Scalar Three = 3;
    public static readonly Scalar Ten = 10;
    public static readonly Scalar Hundred = 100;
    public static readonly Scalar Half = 0.5;

    /// <summary>The encoder's LeakyReLU slope (<see cref="UNetGenerator.LeakySlope"/>, also the discriminator's).</summary>
    public static readonly Scalar LeakySlope = UNetGenerator.LeakySlope;

    /// <summary>The smallest mask weight a masked mean divides by.</summary>
    public static readonly Scalar MaskEpsilon = 1e-6;

    /// <summary>The smallest mean squared error PSNR takes (identical images: 100 dB, the cap).</summary>
    public static readonly Scalar MseEpsilon = 1e-10;
}
