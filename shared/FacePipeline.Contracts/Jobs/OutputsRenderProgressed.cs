namespace FacePipeline.Contracts;

/// <summary>
/// Event: a render (a track job's or a retarget's outputs) has written <paramref name="FramesRendered"/> frames (sent
/// about once a second while it renders). Advisory: the completion event carries the result.
/// </summary>
/// <param name="Segment">
/// The segment the frames are counted in (a segmented render: each segment counts its own frames, and the stage shows
/// their sum); null: the whole render.
/// </param>
public sealed record OutputsRenderProgressed(Guid JobId, int FramesRendered, int? Segment = null) : IJobMessage;
