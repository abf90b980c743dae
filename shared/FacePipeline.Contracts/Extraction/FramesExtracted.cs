namespace FacePipeline.Contracts;

/// <summary>
/// Event: the clip is probed, validated and measured: its video facts, its exact per-frame timeline, its audio, and the
/// runs of frames (chunks) later stages decode from the upload. No frames are stored.
/// </summary>
/// <param name="ExactPlanes">Whether the clip's frames decode as 4:2:0 planes that convert to RGB exactly as ffmpeg converts them (8-bit, limited-range BT.601/BT.709, even height): a track job then runs its single-decode pass.</param>
public sealed record FramesExtracted(
    Guid JobId,
    string Clip,
    VideoInfo Video,
    IReadOnlyList<FrameChunk> Chunks,
    string TimelineKey,
    string? AudioKey,
    bool ExactPlanes = false) : IJobMessage;
