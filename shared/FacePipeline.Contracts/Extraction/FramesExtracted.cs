namespace FacePipeline.Contracts;

/// <summary>Event: the clip's frames are in the media store, in chunks.</summary>
public sealed record FramesExtracted(
    Guid JobId,
    string Clip,
    VideoInfo Video,
    IReadOnlyList<FrameChunk> Chunks,
    string TimelineKey,
    string? AudioKey) : IJobMessage;
