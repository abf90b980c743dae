namespace FacePipeline.Contracts;

/// <summary>Event: the chunk's per-frame face records are stored under <see cref="FacesKey"/>.</summary>
public sealed record FacesReconstructed(
    Guid JobId,
    string Clip,
    int ChunkIndex,
    int FrameCount,
    int FramesWithFaces,
    string FacesKey) : IJobMessage;
