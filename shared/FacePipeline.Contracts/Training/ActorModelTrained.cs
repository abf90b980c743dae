namespace FacePipeline.Contracts;

/// <summary>Event: the model version is trained and exported.</summary>
/// <param name="Validation">The neural renderer on the held-out frames.</param>
/// <param name="WarpBaseline">The warp renderer on the same held-out pairs (what the model must beat).</param>
public sealed record ActorModelTrained(
    Guid JobId,
    Guid ModelId,
    int Steps,
    double TrainingSeconds,
    ValidationFigures Validation,
    ValidationFigures WarpBaseline,
    string GeneratorKey,
    string CheckpointKey,
    string PreviewKey) : IJobMessage;
