namespace FacePipeline.Contracts;

/// <summary>Command to the rendering service: draw the QC clip and write the tracking document.</summary>
/// <param name="NeutralFrame">The frame the studio names as the actor's neutral face; null: estimated over the clip.</param>
/// <param name="SequenceKey">The clip's 3D face sequence, built with <paramref name="NeutralFrame"/>; null: built here from the chunks.</param>
public sealed record RenderTrackOutputs(
    Guid JobId,
    string SourceName,
    VideoInfo Video,
    IReadOnlyList<TrackChunk> Chunks,
    string TimelineKey,
    string? AudioKey,
    string QcClipKey,
    string TrackingKey,
    string TrackingBinaryKey,
    int? NeutralFrame,
    string? SequenceKey = null) : IJobMessage;
