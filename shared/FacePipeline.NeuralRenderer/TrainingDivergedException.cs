namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Training stopped because a loss or a weight became NaN or infinite (<see cref="GanTrainer.TrainStep"/>). The trainer is
/// not to be checkpointed after this: the last checkpoint written before it is the last good state.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Divergence found at <paramref name="step"/> (1-based) in <paramref name="what"/>; <paramref name="lastGoodCheckpoint"/> when known.</summary>
    public TrainingDivergedException(int step, string what, int? lastGoodCheckpoint = null)
        : base(Describe(step, what, lastGoodCheckpoint))
    {
        Step = step;
        What = what;
        LastGoodCheckpoint = lastGoodCheckpoint;
    }

    /// <summary>The step (1-based) whose computation went non-finite.</summary>
    public int Step { get; }

    /// <summary>What went non-finite: "generator loss", "discriminator loss", "generator weights" or "discriminator weights".</summary>
    public string What { get; }

    /// <summary>The step of the last checkpoint written before the divergence (0: none was written), when the caller knows it.</summary>
    public int? LastGoodCheckpoint { get; }

    /// <summary>The same divergence, with the step of the last good checkpoint the caller kept.</summary>
    public TrainingDivergedException WithLastGoodCheckpoint(int step) => new(Step, What, step);

    private static string Describe(int step, string what, int? checkpoint) =>
        $"Training diverged at step {step}: the {what} became non-finite (NaN or infinite)."
        + checkpoint switch
        {
            null => "",
            0 => " No checkpoint had been written; nothing of this model version is kept.",
            var s => $" The last good checkpoint (step {s}) is kept; the model version is not finished.",
        };
}
