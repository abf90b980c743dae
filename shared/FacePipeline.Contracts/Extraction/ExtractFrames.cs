namespace FacePipeline.Contracts;

/// <summary>Command to the frame-extraction service: probe, validate and split a clip into chunks.</summary>
public sealed record ExtractFrames(Guid JobId, string Clip, string InputKey, int ChunkSize) : IJobMessage;
