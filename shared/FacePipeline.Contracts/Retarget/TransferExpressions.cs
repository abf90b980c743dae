namespace FacePipeline.Contracts;

/// <summary>
/// Command to the expression-transfer service: carry the source's per-frame expression onto the
/// target's face, on the output's timeline (the source's length at the target's frame rate), and
/// write the transfer document under <paramref name="TransferKey"/>.
/// </summary>
public sealed record TransferExpressions(
    Guid JobId,
    ClipTrack Source,
    ClipTrack Target,
    RetargetSettings Settings,
    string TransferKey) : IJobMessage;
