namespace FacePipeline.Contracts;

/// <summary>Losses of one training step; a figure that is not finite (NaN, ±∞) is null, never a serialisation fault.</summary>
public sealed record TrainingLossFigures(double? Generator, double? Discriminator, double? L1, double? Adversarial, double? FeatureMatching)
{
    /// <summary>The figures, each null when it is not finite.</summary>
    public static TrainingLossFigures Of(double generator, double discriminator, double l1, double adversarial, double featureMatching) =>
        new(Figure.Finite(generator), Figure.Finite(discriminator), Figure.Finite(l1), Figure.Finite(adversarial), Figure.Finite(featureMatching));
}
