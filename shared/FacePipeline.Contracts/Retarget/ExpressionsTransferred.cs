namespace FacePipeline.Contracts;

/// <summary>Event: the transfer document is stored.</summary>
/// <param name="OutputFrames">Frames of the result.</param>
/// <param name="HeldFrames">Output frames where the source's face was lost too long and the neutral was held.</param>
public sealed record ExpressionsTransferred(Guid JobId, string TransferKey, int OutputFrames, int HeldFrames) : IJobMessage;
