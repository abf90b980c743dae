namespace FacePipeline.Contracts;

/// <summary>A chunk's frames and the face records found on them.</summary>
public sealed record TrackChunk(FrameChunk Frames, string FacesKey);
