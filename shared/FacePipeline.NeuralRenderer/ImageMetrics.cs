using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FacePipeline.NeuralRenderer;

/// <summary>Image quality in a mask, for RGB batches in [0, 1] (N×3×H×W) and masks N×1×H×W.</summary>
public static class ImageMetrics
{
    // SSIM's stabilising constants, held (HeldScalars says why).
    private static readonly Scalar C1 = 0.01 * 0.01;
    private static readonly Scalar C2 = 0.03 * 0.03;

    /// <summary>
    /// PSNR in dB over the masked pixels: 10·log10(1 / MSE), MSE = Σ m·(a − b)² / (3·Σ m), per image, then averaged
    /// over the batch. Identical images give +∞ capped at 100 dB.
    /// </summary>
    public static double MaskedPsnr(Tensor a, Tensor b, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var mse = ((a - b).square() * mask).sum([1, 2, 3]) / (mask.sum([1, 2, 3]) * HeldScalars.Three).clamp_min(HeldScalars.MaskEpsilon);
        var psnr = (HeldScalars.Ten * torch.log10(HeldScalars.One / mse.clamp_min(HeldScalars.MseEpsilon))).clamp_max(HeldScalars.Hundred);
        return psnr.mean().item<float>();
    }

    /// <summary>
    /// SSIM (Wang et al. 2004: Gaussian window 11×11, σ = 1.5, C1 = 0.01², C2 = 0.03², per RGB plane, zero padding)
    /// averaged over the planes and over the masked pixels of each image, then over the batch.
    /// </summary>
    public static double MaskedSsim(Tensor a, Tensor b, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var window = GaussianWindow(11, 1.5, a.shape[1], a.device);
        Tensor Blur(Tensor t) => F.conv2d(t, window, padding: [5, 5], groups: a.shape[1]);
        var muA = Blur(a);
        var muB = Blur(b);
        var sigmaA = Blur(a * a) - muA * muA;
        var sigmaB = Blur(b * b) - muB * muB;
        var sigmaAb = Blur(a * b) - muA * muB;
        var map = (HeldScalars.Two * muA * muB + C1) * (HeldScalars.Two * sigmaAb + C2) / ((muA * muA + muB * muB + C1) * (sigmaA + sigmaB + C2));
        var perImage = (map.mean([1], keepdim: true) * mask).sum([1, 2, 3]) / mask.sum([1, 2, 3]).clamp_min(HeldScalars.MaskEpsilon);
        return perImage.mean().item<float>();
    }

    private static Tensor GaussianWindow(int size, double sigma, long channels, Device device)
    {
        var g = new float[size];
        var sum = 0.0;
        for (var i = 0; i < size; i++)
        {
            var d = i - (size - 1) / 2.0;
            g[i] = (float)Math.Exp(-d * d / (2 * sigma * sigma));
            sum += g[i];
        }

        var w = new float[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                w[y * size + x] = (float)(g[y] * g[x] / (sum * sum));
            }
        }

        return torch.tensor(w, [1, 1, size, size]).expand(channels, 1, size, size).contiguous().to(device);
    }
}
