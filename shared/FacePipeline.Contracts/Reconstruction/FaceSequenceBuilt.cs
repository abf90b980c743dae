namespace FacePipeline.Contracts;

/// <summary>Event: the clip's 3D face sequence is stored under <see cref="SequenceKey"/>.</summary>
/// <param name="FramesWithFaces">Frames of the clip on which a face was reconstructed.</param>
public sealed record FaceSequenceBuilt(Guid JobId, string Clip, string SequenceKey, int FrameCount, int FramesWithFaces) : IJobMessage;
