namespace FacePipeline.Contracts;

/// <summary>
/// Event: a render (a track job's or a retarget's outputs) has written <paramref name="FramesRendered"/> frames (sent
/// about once a second while it renders). Advisory: the completion event carries the result.
/// </summary>
public sealed record OutputsRenderProgressed(Guid JobId, int FramesRendered) : IJobMessage;
