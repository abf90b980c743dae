namespace FacePipeline.Contracts;

/// <summary>
/// Command to the rendering service: draw the tracked mesh on frames <see cref="FirstFrame"/> .. + <see cref="FrameCount"/> − 1
/// of a track job's clip (decoded from <see cref="SourceKey"/>) and encode them as one segment of the QC clip at
/// <see cref="SegmentKey"/>. Any number of Rendering workers render a clip's segments at once; the job's
/// <see cref="RenderTrackOutputs"/> then joins them.
/// </summary>
/// <param name="SequenceKey">The clip's 3D face sequence: the mesh drawn on each frame.</param>
public sealed record RenderQcSegment(
    Guid JobId,
    int Segment,
    int FirstFrame,
    int FrameCount,
    string SourceKey,
    VideoInfo Video,
    string TimelineKey,
    string SequenceKey,
    string SegmentKey) : IJobMessage;
