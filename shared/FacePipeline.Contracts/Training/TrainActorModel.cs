namespace FacePipeline.Contracts;

/// <summary>
/// Command to the training service: train (or resume training) version <paramref name="Version"/> of an
/// actor's neural renderer on the actor's reconstructed clips, writing a checkpoint under
/// <paramref name="CheckpointKey"/> as it goes and the ONNX generator under <paramref name="GeneratorKey"/> at the end.
/// </summary>
public sealed record TrainActorModel(
    Guid JobId,
    Guid ActorId,
    Guid ModelId,
    int Version,
    IReadOnlyList<ClipTrack> Clips,
    TrainingSettings Settings,
    string CheckpointKey,
    string GeneratorKey,
    string PreviewKey) : IJobMessage;
