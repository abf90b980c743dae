namespace FacePipeline.Contracts;

/// <summary>One reconstructed clip of a job: its video facts, frames and face records, by reference.</summary>
/// <param name="SourceKey">The clip's upload in the media store: its frames are decoded from it (no frames are stored).</param>
/// <param name="SequenceKey">
/// The clip's 3D face sequence (<see cref="BuildFaceSequence"/>), built once by the reconstruction service; null only for
/// a clip whose sequence was never built (a tool running the stages by hand): the stage then builds it from the chunks.
/// </param>
public sealed record ClipTrack(string Clip, string FileName, string SourceKey, VideoInfo Video, IReadOnlyList<TrackChunk> Chunks, string TimelineKey, string? AudioKey, string? SequenceKey = null);
