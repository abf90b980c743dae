namespace FacePipeline.Contracts;

/// <summary>Command to the reconstruction service: track the faces through one chunk and record their 468 landmarks.</summary>
/// <param name="SourceKey">The clip's upload, which the chunk's frames are decoded from.</param>
/// <param name="MaxFaces">Faces tracked at most (the largest first, or the nearest to <paramref name="FacePoint"/>).</param>
/// <param name="FacePoint">Follow the face nearest this point (frame pixels) instead of the largest; null: the largest.</param>
/// <param name="Pass">A track job's single-decode pass: the chunk is also drawn and encoded as its QC segment, the tracker taking up the chunk before it; null: the chunk is tracked on its own.</param>
public sealed record ReconstructFaces(
    Guid JobId,
    string Clip,
    string SourceKey,
    FrameChunk Chunk,
    int Width,
    int Height,
    string TimelineKey,
    string FacesKey,
    int MaxFaces,
    FramePoint? FacePoint = null,
    TrackPass? Pass = null) : IJobMessage;
