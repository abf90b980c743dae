namespace FacePipeline.Contracts;

/// <summary>One reconstructed clip of a job: its video facts, frames and face records, by reference.</summary>
public sealed record ClipTrack(string Clip, string FileName, VideoInfo Video, IReadOnlyList<TrackChunk> Chunks, string TimelineKey, string? AudioKey);
