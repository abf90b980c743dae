namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Settings of <see cref="GanTrainer"/>. Both networks use Adam (β1 = 0.5, β2 = 0.999, pix2pix's) with the schedule of
/// <see cref="LearningRateAt"/>: <see cref="LearningRate"/> for <see cref="ConstantSteps"/> steps, then linear decay over
/// <see cref="DecaySteps"/> steps down to <see cref="FinalLearningRateFraction"/>·rate, held there after. The schedule
/// is a function of the step alone, so a resumed run follows it exactly; a wall-time budget does not change it.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Pairs per step.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Initial learning rate of both networks.</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Adam β1.</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Adam β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Steps at the initial rate.</summary>
    public int ConstantSteps { get; init; } = 20_000;

    /// <summary>Steps of linear decay after <see cref="ConstantSteps"/>.</summary>
    public int DecaySteps { get; init; } = 20_000;

    /// <summary>The rate at the end of the decay, as a fraction of the initial rate.</summary>
    public double FinalLearningRateFraction { get; init; } = 0.01;

    /// <summary>Weight of the L1 loss inside the face mask.</summary>
    public double L1Weight { get; init; } = 100;

    /// <summary>Weight of the L1 loss outside the face mask (keeps the crop's surroundings, which the warp leaves real).</summary>
    public double BackgroundL1Weight { get; init; } = 10;

    /// <summary>Weight of the LSGAN generator loss.</summary>
    public double AdversarialWeight { get; init; } = 1;

    /// <summary>Weight of the discriminator feature-matching loss.</summary>
    public double FeatureMatchingWeight { get; init; } = 10;

    /// <summary>
    /// Colour augmentation of training pairs: each pair's warped RGB and real RGB are multiplied by the same per-channel
    /// gain drawn from [1 − j, 1 + j] (clamped to [0, 1] after), so the network cannot memorise the footage's exact
    /// colours. 0: off. Default 0.1 (with 2 px shifts it took a 5-minute GRID run from 2.45 dB below the warp renderer to
    /// 0.91 dB below at the end, 0.05 dB at the best validation step: docs/benchmarks.md).
    /// </summary>
    public double ColourJitter { get; init; } = 0.1;

    /// <summary>
    /// Shift augmentation of training pairs: every plane of a pair (input, target, mask) moves by the same random whole
    /// number of pixels in x and y, at most this many, edges replicated. 0: off. Default 2.
    /// </summary>
    public int MaxShiftPixels { get; init; } = 2;

    /// <summary>Seed of the weight initialisation and of the batch sampling (batch of step s depends on seed and s only).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Progress is reported every this many steps.</summary>
    public int ProgressInterval { get; init; } = 10;

    /// <summary>Validation runs every this many steps (and at the end).</summary>
    public int ValidationInterval { get; init; } = 200;

    /// <summary>The checkpoint callback runs every this many steps (and at the end).</summary>
    public int CheckpointInterval { get; init; } = 500;

    /// <summary>
    /// A loss that exceeds this many times its running level (<see cref="DivergenceGuard"/>) on
    /// <see cref="DivergencePatience"/> steps in a row stops the run as diverged, as a NaN or infinite one does at once.
    /// </summary>
    public double DivergenceFactor { get; init; } = 100;

    /// <summary>Exploding steps in a row that stop the run (<see cref="DivergenceGuard.Patience"/>).</summary>
    public int DivergencePatience { get; init; } = 3;

    /// <summary>Steps of a run (or of a resumed run) before an explosion is judged (<see cref="DivergenceGuard.WarmupSteps"/>).</summary>
    public int DivergenceWarmupSteps { get; init; } = 20;

    /// <summary>The defaults.</summary>
    public static TrainingOptions Default { get; } = new();

    /// <summary>A guard for the loss named <paramref name="what"/> with these settings.</summary>
    public DivergenceGuard DivergenceGuardFor(string what) => new(what, DivergenceFactor, DivergencePatience, DivergenceWarmupSteps);

    /// <summary>The learning rate of step <paramref name="step"/> (0-based).</summary>
    public double LearningRateAt(int step)
    {
        if (step < ConstantSteps || DecaySteps <= 0)
        {
            return step < ConstantSteps ? LearningRate : LearningRate * FinalLearningRateFraction;
        }

        var t = Math.Min(1.0, (step - ConstantSteps) / (double)DecaySteps);
        return LearningRate * (1 - t * (1 - FinalLearningRateFraction));
    }

    internal void Validate()
    {
        if (ColourJitter is < 0 or >= 1 || MaxShiftPixels < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TrainingOptions), this, "Colour jitter in [0, 1), shift ≥ 0.");
        }

        if (BatchSize < 1 || !(LearningRate > 0) || ConstantSteps < 0 || DecaySteps < 0 || FinalLearningRateFraction is < 0 or > 1
            || ProgressInterval < 1 || ValidationInterval < 1 || CheckpointInterval < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TrainingOptions), this, "Batch, rate and intervals must be positive; the final fraction in [0, 1].");
        }

        if (!(DivergenceFactor > 1) || !double.IsFinite(DivergenceFactor) || DivergencePatience < 1 || DivergenceWarmupSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TrainingOptions), this, "The divergence factor must be finite and over 1; patience and warm-up at least 1 step.");
        }
    }
}

/// <summary>
/// When a <see cref="GanTrainer.Train"/> call stops: when the trainer's step reaches <see cref="MaxSteps"/> (a total
/// counted from step 0, so a resumed job with the same budget ends where the uninterrupted one would), or when the
/// call has run <see cref="MaxDuration"/>, whichever comes first. At least one must be set.
/// </summary>
/// <param name="MaxSteps">Total steps (including those before a resume).</param>
/// <param name="MaxDuration">Wall time of this call.</param>
public sealed record TrainingBudget(int? MaxSteps = null, TimeSpan? MaxDuration = null)
{
    /// <summary>A step budget.</summary>
    public static TrainingBudget Steps(int steps) => new(steps);

    /// <summary>A wall-time budget.</summary>
    public static TrainingBudget Time(TimeSpan duration) => new(null, duration);
}

/// <summary>The losses of one training step.</summary>
/// <param name="Generator">The generator's total (weighted sum).</param>
/// <param name="Discriminator">The discriminator's LSGAN loss.</param>
/// <param name="L1">L1 inside the face mask (RGB in [0, 1]).</param>
/// <param name="BackgroundL1">L1 outside the face mask.</param>
/// <param name="Adversarial">The generator's LSGAN loss.</param>
/// <param name="FeatureMatching">Discriminator feature matching.</param>
public sealed record TrainingLosses(double Generator, double Discriminator, double L1, double BackgroundL1, double Adversarial, double FeatureMatching);

/// <summary>The generator on held-out pairs, inside the face mask.</summary>
/// <param name="L1">Mean absolute error (RGB in [0, 1]).</param>
/// <param name="Psnr">PSNR in dB.</param>
/// <param name="Ssim">SSIM.</param>
/// <param name="Pairs">Pairs evaluated.</param>
public sealed record ValidationMetrics(double L1, double Psnr, double Ssim, int Pairs);

/// <summary>A progress report.</summary>
/// <param name="Step">Steps done so far (total).</param>
/// <param name="MaxSteps">The step budget, if any.</param>
/// <param name="Losses">The last step's losses.</param>
/// <param name="Validation">Validation at this step, when it ran.</param>
/// <param name="LearningRate">The rate of the last step.</param>
/// <param name="Elapsed">Wall time of this <see cref="GanTrainer.Train"/> call.</param>
public sealed record TrainingProgress(int Step, int? MaxSteps, TrainingLosses? Losses, ValidationMetrics? Validation, double LearningRate, TimeSpan Elapsed);

/// <summary>Why <see cref="GanTrainer.Train"/> returned.</summary>
public enum TrainingStopReason
{
    /// <summary>The step budget is reached.</summary>
    StepBudget,

    /// <summary>The wall-time budget is used up.</summary>
    TimeBudget,
}

/// <summary>What a <see cref="GanTrainer.Train"/> call did.</summary>
/// <param name="Step">Steps done (total).</param>
/// <param name="StepsThisCall">Steps done by this call.</param>
/// <param name="Reason">Why it stopped.</param>
/// <param name="LastLosses">The last step's losses (null when no step ran).</param>
/// <param name="Validation">The final validation (null without a validation source).</param>
/// <param name="Elapsed">Wall time of the call.</param>
/// <param name="BestValidation">The validation with the highest PSNR seen by this call (null without a validation source).</param>
/// <param name="BestStep">The step of <paramref name="BestValidation"/>.</param>
public sealed record TrainingResult(
    int Step, int StepsThisCall, TrainingStopReason Reason, TrainingLosses? LastLosses, ValidationMetrics? Validation, TimeSpan Elapsed,
    ValidationMetrics? BestValidation = null, int BestStep = 0);
