using System.Globalization;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Training stopped because a loss or a weight became NaN or infinite, or a loss exploded (<see cref="DivergenceGuard"/>,
/// <see cref="GanTrainer.TrainStep"/>). The trainer is not to be checkpointed after this: the last checkpoint written
/// before it is the last good state.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>What <see cref="Detail"/> says of a value that is not finite.</summary>
    public const string NonFinite = "became non-finite (NaN or infinite)";

    /// <summary>Divergence found at <paramref name="step"/> (1-based) in <paramref name="what"/>; <paramref name="lastGoodCheckpoint"/> when known.</summary>
    /// <param name="step">The step whose computation diverged.</param>
    /// <param name="what">What diverged.</param>
    /// <param name="lastGoodCheckpoint">The step of the last checkpoint written before it (0: none), when known.</param>
    /// <param name="detail">How it diverged, after "the {what} ": default <see cref="NonFinite"/>.</param>
    public TrainingDivergedException(int step, string what, int? lastGoodCheckpoint = null, string? detail = null)
        : base(Describe(step, what, detail ?? NonFinite, lastGoodCheckpoint))
    {
        Step = step;
        What = what;
        Detail = detail ?? NonFinite;
        LastGoodCheckpoint = lastGoodCheckpoint;
    }

    /// <summary>The step (1-based) whose computation diverged.</summary>
    public int Step { get; }

    /// <summary>What diverged: "generator loss", "discriminator loss", "generator weights" or "discriminator weights".</summary>
    public string What { get; }

    /// <summary>How: <see cref="NonFinite"/>, or that the loss exploded (<see cref="Exploded"/>).</summary>
    public string Detail { get; }

    /// <summary>The step of the last checkpoint written before the divergence (0: none was written), when the caller knows it.</summary>
    public int? LastGoodCheckpoint { get; }

    /// <summary>The same divergence, with the step of the last good checkpoint the caller kept.</summary>
    public TrainingDivergedException WithLastGoodCheckpoint(int step) => new(Step, What, step, Detail);

    /// <summary>The <see cref="Detail"/> of a loss that exploded: "exploded (value, over F times its running level of L, N steps in a row)".</summary>
    public static string Exploded(double loss, double level, double factor, int steps) =>
        string.Create(CultureInfo.InvariantCulture, $"exploded ({loss:g3}, over {factor:g3} times its running level of {level:g3}, {steps} steps in a row)");

    /// <summary>
    /// The sentence for the studio: what happened (<see cref="Exception.Message"/>) and what to do. Divergence with the default
    /// settings is the training's fault, not the footage's; with settings the studio chose (<paramref name="chosenSettings"/>,
    /// e.g. "batchSize 1"), training again with the defaults is the first thing to try.
    /// </summary>
    /// <param name="chosenSettings">The studio's settings that differ from the defaults and change the training's numbers; empty: the defaults.</param>
    /// <param name="defaultSettings">The defaults of those settings, as the studio would send them (e.g. "batchSize 4, cropSize 128").</param>
    public string ForStudio(IReadOnlyList<string> chosenSettings, string defaultSettings)
    {
        ArgumentNullException.ThrowIfNull(chosenSettings);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultSettings);
        return chosenSettings.Count == 0
            ? $"{Message} This is not caused by your footage or your settings: train the actor again, with a larger batchSize if you can; if it diverges again, report the job id."
            : $"{Message} It ran with settings you chose ({string.Join(", ", chosenSettings)}): train the actor again with the default settings ({defaultSettings}).";
    }

    private static string Describe(int step, string what, string detail, int? checkpoint) =>
        $"Training diverged at step {step}: the {what} {detail}."
        + checkpoint switch
        {
            null => "",
            0 => " No checkpoint had been written; nothing of this model version is kept.",
            var s => $" The last good checkpoint (step {s}) is kept; the model version is not finished.",
        };
}
