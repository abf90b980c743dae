using FacePipeline.Contracts;

namespace FacePipeline.Orchestration;

/// <summary>What an actor model's metrics column holds: the latest losses, the latest validation and, once trained, the warp renderer's baseline.</summary>
public sealed record ModelMetrics(TrainingLossFigures? Losses, ValidationFigures? Validation, ValidationFigures? WarpBaseline);
