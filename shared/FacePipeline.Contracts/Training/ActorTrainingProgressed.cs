namespace FacePipeline.Contracts;

/// <summary>Event: training has reached <paramref name="Step"/> (sent every few steps; validation figures when they were measured).</summary>
public sealed record ActorTrainingProgressed(
    Guid JobId,
    Guid ModelId,
    int Step,
    int MaxSteps,
    TrainingLossFigures? Losses,
    ValidationFigures? Validation,
    double ElapsedSeconds) : IJobMessage;
