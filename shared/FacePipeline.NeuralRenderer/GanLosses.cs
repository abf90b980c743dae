using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>The losses of the renderer's GAN (all return scalar tensors).</summary>
public static class GanLosses
{
    /// <summary>
    /// Mean absolute error over the pixels where <paramref name="mask"/> (N×1×H×W, weights in [0, 1]) is set,
    /// averaged over the RGB planes: Σ m·|a − b| / (3·Σ m). An empty mask gives 0.
    /// </summary>
    public static Tensor MaskedL1(Tensor a, Tensor b, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(mask);
        var weighted = (a - b).abs() * mask;
        using var planes = a.shape[1].ToScalar();
        return weighted.sum() / (mask.sum() * planes).clamp_min(HeldScalars.MaskEpsilon);
    }

    /// <summary>LSGAN discriminator loss: ½·(mean (D(real) − 1)² + mean D(fake)²).</summary>
    public static Tensor LsganDiscriminator(Tensor realScores, Tensor fakeScores)
    {
        ArgumentNullException.ThrowIfNull(realScores);
        ArgumentNullException.ThrowIfNull(fakeScores);
        return HeldScalars.Half * ((realScores - HeldScalars.One).square().mean() + fakeScores.square().mean());
    }

    /// <summary>LSGAN generator loss: mean (D(fake) − 1)².</summary>
    public static Tensor LsganGenerator(Tensor fakeScores)
    {
        ArgumentNullException.ThrowIfNull(fakeScores);
        return (fakeScores - HeldScalars.One).square().mean();
    }

    /// <summary>
    /// Discriminator feature matching (pix2pixHD): mean over the hidden layers (every activation but the last, the
    /// scores) of the L1 distance between the discriminator's activations on the generated and on the real image.
    /// The real activations are taken as constants.
    /// </summary>
    public static Tensor FeatureMatching(IReadOnlyList<Tensor> fakeFeatures, IReadOnlyList<Tensor> realFeatures)
    {
        ArgumentNullException.ThrowIfNull(fakeFeatures);
        ArgumentNullException.ThrowIfNull(realFeatures);
        var layers = fakeFeatures.Count - 1;
        if (layers < 1 || realFeatures.Count != fakeFeatures.Count)
        {
            throw new ArgumentException("Both feature lists must have the same length, at least 2.");
        }

        Tensor? total = null;
        for (var i = 0; i < layers; i++)
        {
            var term = (fakeFeatures[i] - realFeatures[i].detach()).abs().mean();
            total = total is null ? term : total + term;
        }

        using var count = layers.ToScalar();
        return total! / count;
    }
}
