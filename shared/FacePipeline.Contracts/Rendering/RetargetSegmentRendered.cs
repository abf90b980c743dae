namespace FacePipeline.Contracts;

/// <summary>Event: one segment of a retarget's clips is encoded (<see cref="RenderRetargetSegment"/>).</summary>
public sealed record RetargetSegmentRendered(Guid JobId, int Segment, int FrameCount, string SegmentKey) : IJobMessage;
