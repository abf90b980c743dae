namespace FacePipeline.Contracts;

/// <summary>A point in a frame's pixels (the upright frame, origin top left).</summary>
public sealed record FramePoint(float X, float Y);
