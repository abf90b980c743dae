namespace FacePipeline.Contracts;

/// <summary>
/// Event: the clip is probed, validated and measured: its video facts, its exact per-frame timeline, its audio, and the
/// runs of frames (chunks) later stages decode from the upload. No frames are stored.
/// </summary>
public sealed record FramesExtracted(
    Guid JobId,
    string Clip,
    VideoInfo Video,
    IReadOnlyList<FrameChunk> Chunks,
    string TimelineKey,
    string? AudioKey) : IJobMessage;
