namespace FacePipeline.Contracts;

/// <summary>Command to the rendering service: finish a track job's outputs: the QC clip (its segments joined), the tracking document and the curves.</summary>
/// <param name="SourceKey">The clip's upload, which the frames are decoded from.</param>
/// <param name="NeutralFrame">The frame the studio names as the actor's neutral face; null: estimated over the clip.</param>
/// <param name="QcSegments">The QC clip's segments, rendered by any number of workers (<see cref="RenderQcSegment"/>): joined without re-encoding; null: the QC clip is encoded here in one piece.</param>
/// <param name="SequenceKey">The clip's 3D face sequence, built with <paramref name="NeutralFrame"/>; null: built here from the chunks.</param>
public sealed record RenderTrackOutputs(
    Guid JobId,
    string SourceName,
    string SourceKey,
    VideoInfo Video,
    IReadOnlyList<TrackChunk> Chunks,
    string TimelineKey,
    string? AudioKey,
    string QcClipKey,
    string TrackingKey,
    string TrackingBinaryKey,
    int? NeutralFrame,
    string? SequenceKey = null,
    IReadOnlyList<RenderedSegment>? QcSegments = null) : IJobMessage;
