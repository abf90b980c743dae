namespace FacePipeline.Contracts;

/// <summary>One run of consecutive frames, stored as raw RGB24 under <see cref="FramesKey"/>.</summary>
public sealed record FrameChunk(int Index, int FirstFrame, int FrameCount, string FramesKey);
