namespace FacePipeline.Contracts;

/// <summary>Quality on held-out frames: mean L1, PSNR (dB) and SSIM in the face mask; a figure that is not finite is null.</summary>
public sealed record ValidationFigures(double? L1, double? Psnr, double? Ssim, int Pairs)
{
    /// <summary>The figures, each null when it is not finite (PSNR of identical images is +∞: reported as null).</summary>
    public static ValidationFigures Of(double l1, double psnr, double ssim, int pairs) =>
        new(Figure.Finite(l1), Figure.Finite(psnr), Figure.Finite(ssim), pairs);
}
