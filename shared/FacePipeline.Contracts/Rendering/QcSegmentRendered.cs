namespace FacePipeline.Contracts;

/// <summary>Event: one segment of a track job's QC clip is encoded (<see cref="RenderQcSegment"/>).</summary>
public sealed record QcSegmentRendered(Guid JobId, int Segment, int FrameCount, string SegmentKey) : IJobMessage;
