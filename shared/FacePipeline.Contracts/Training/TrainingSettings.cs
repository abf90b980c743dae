namespace FacePipeline.Contracts;

/// <summary>A studio's choices for training an actor's neural renderer.</summary>
/// <param name="CropSize">Side of the face crop the renderer works on (64 to 512, a multiple of 32).</param>
/// <param name="MaxSteps">Training steps at most.</param>
/// <param name="MaxMinutes">Wall-time budget; null: steps only. Training stops at whichever comes first.</param>
/// <param name="BatchSize">Pairs per step.</param>
/// <param name="ValidationFraction">Share of each clip's frames held out (the last ones), never trained on.</param>
public sealed record TrainingSettings(
    int CropSize = 128,
    int MaxSteps = 2000,
    double? MaxMinutes = null,
    int BatchSize = 4,
    double ValidationFraction = 0.15)
{
    public static TrainingSettings Default { get; } = new();

    /// <summary>The defaults of the settings that change the training's numbers, as a studio sends them: "cropSize 128, batchSize 4".</summary>
    public static string DefaultNumerics => $"cropSize {Default.CropSize}, batchSize {Default.BatchSize}";

    /// <summary>
    /// The settings that change the training's numbers (<see cref="CropSize"/>, <see cref="BatchSize"/>) where they differ
    /// from the defaults, as a studio sends them ("batchSize 1"); empty: the defaults.
    /// </summary>
    public IReadOnlyList<string> ChosenNumerics()
    {
        var chosen = new List<string>();
        if (CropSize != Default.CropSize)
        {
            chosen.Add($"cropSize {CropSize}");
        }

        if (BatchSize != Default.BatchSize)
        {
            chosen.Add($"batchSize {BatchSize}");
        }

        return chosen;
    }

    /// <summary>What is wrong with these settings, in sentences a person can act on (empty: nothing).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (CropSize is < 64 or > 512 || CropSize % 32 != 0)
        {
            problems.Add($"cropSize must be a multiple of 32 from 64 to 512 (got {CropSize}).");
        }

        if (MaxSteps is < 1 or > 1_000_000)
        {
            problems.Add($"maxSteps must be from 1 to 1000000 (got {MaxSteps}).");
        }

        if (MaxMinutes is { } minutes && !(minutes > 0 && minutes <= 7 * 24 * 60))
        {
            problems.Add($"maxMinutes must be more than 0 and at most a week (got {minutes}).");
        }

        if (BatchSize is < 1 or > 64)
        {
            problems.Add($"batchSize must be from 1 to 64 (got {BatchSize}).");
        }

        if (ValidationFraction is <= 0 or >= 0.5)
        {
            problems.Add($"validationFraction must be more than 0 and under 0.5 (got {ValidationFraction}).");
        }

        return problems;
    }
}
