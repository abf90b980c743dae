namespace FacePipeline.Contracts;

/// <summary>Command to the frame-extraction service: probe, validate and split a clip into chunks.</summary>
/// <param name="ChunkSize">Frames per chunk (the last may be shorter).</param>
/// <param name="PassChunkSize">
/// Frames per chunk when the clip decodes as exact 4:2:0 planes (<see cref="FramesExtracted.ExactPlanes"/>) and its job
/// runs it as a single-decode pass (a track job): its chunks then run one after another, each restarting its decoder and
/// x264 and waiting for the coordinator, so they are longer; null: <paramref name="ChunkSize"/> whatever the clip.
/// </param>
public sealed record ExtractFrames(Guid JobId, string Clip, string InputKey, int ChunkSize, int? PassChunkSize = null) : IJobMessage;
