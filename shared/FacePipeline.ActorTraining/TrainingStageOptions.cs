using System.ComponentModel.DataAnnotations;

namespace FacePipeline.ActorTraining;

/// <summary>
/// Settings of the training stage that are the service's, not the studio's: the configuration section <c>Training</c>
/// (<c>Training__MaxFrames</c>, ...). The Training service binds them with their checks at start-up: a value out of
/// range stops the service with the setting's name.
/// </summary>
public sealed record TrainingStageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Training";

    /// <summary>Frames of the actor's footage kept in memory for training and validation, spread over the clips.</summary>
    [Range(2, 20_000, ErrorMessage = "Training:MaxFrames must be between {1} and {2} (frames of footage kept in memory per training).")]
    public int MaxFrames { get; init; } = 400;

    /// <summary>Source frames drawn per training target frame (self-reenactment pairs).</summary>
    [Range(1, 64, ErrorMessage = "Training:SourcesPerTarget must be between {1} and {2}.")]
    public int SourcesPerTarget { get; init; } = 4;

    /// <summary>Progress is reported every this many steps.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Training:ProgressInterval must be between {1} and {2} steps.")]
    public int ProgressInterval { get; init; } = 10;

    /// <summary>Validation on the held-out pairs every this many steps.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Training:ValidationInterval must be between {1} and {2} steps.")]
    public int ValidationInterval { get; init; } = 100;

    /// <summary>A checkpoint goes to the media store every this many steps (and at the end, and when stopped).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Training:CheckpointInterval must be between {1} and {2} steps.")]
    public int CheckpointInterval { get; init; } = 50;

    /// <summary>Held-out pairs shown in the preview picture.</summary>
    [Range(1, 64, ErrorMessage = "Training:PreviewRows must be between {1} and {2}.")]
    public int PreviewRows { get; init; } = 4;

    /// <summary>The defaults.</summary>
    public static TrainingStageOptions Default { get; } = new();
}
