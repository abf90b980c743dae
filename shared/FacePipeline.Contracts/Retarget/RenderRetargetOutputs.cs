namespace FacePipeline.Contracts;

/// <summary>
/// Command to the rendering service: render, encode and review a retarget from its transfer document; with
/// <paramref name="GeneratorKey"/> (an actor's trained neural renderer, ONNX) the face is rendered by it, else by the warp renderer;
/// with <paramref name="QcKey"/> the result is tracked again and its QC report stored there.
/// </summary>
public sealed record RenderRetargetOutputs(
    Guid JobId,
    ClipTrack Source,
    ClipTrack Target,
    RetargetSettings Settings,
    string TransferKey,
    string ResultKey,
    string ReviewKey,
    string? ProResKey,
    string? GeneratorKey = null,
    string? QcKey = null) : IJobMessage;
