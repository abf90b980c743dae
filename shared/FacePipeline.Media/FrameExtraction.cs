namespace FacePipeline.Media;

/// <summary>How <see cref="FrameExtractor"/> measures a clip and cuts it into chunks.</summary>
public sealed record FrameExtractionOptions
{
    /// <summary>Frames per chunk (the last chunk may be shorter).</summary>
    public int ChunkSize { get; init; } = 64;

    /// <summary>Frames per chunk for a clip that decodes as exact 4:2:0 planes (<see cref="FrameTimeline.PlanesMatrix"/>), when its job runs it as a single-decode pass; null: <see cref="ChunkSize"/> whatever the clip.</summary>
    public int? PassChunkSize { get; init; }

    public MediaLimits Limits { get; init; } = MediaLimits.Default;

    /// <summary>Copy the first audio stream to audio.mka (stream copy; FLAC if the codec cannot live in Matroska).</summary>
    public bool ExtractAudio { get; init; } = true;
}

/// <summary>One chunk: a run of <see cref="FrameCount"/> frames, decoded from the clip by whoever needs them (<see cref="FrameRangeReader"/>).</summary>
/// <param name="Index">0-based chunk number.</param>
/// <param name="FirstFrame">Index in the clip of the chunk's first frame.</param>
/// <param name="FrameCount">Frames in this chunk.</param>
public sealed record FrameChunk(int Index, long FirstFrame, int FrameCount);

/// <summary>What <see cref="FrameExtractor.ExtractAsync"/> wrote.</summary>
/// <param name="OutputDirectory">Directory holding the audio and timeline files.</param>
/// <param name="Width">Display width of every frame (rotation applied).</param>
/// <param name="Height">Display height of every frame (rotation applied).</param>
/// <param name="FrameRate">Exact nominal frame rate from the probe.</param>
/// <param name="FrameCount">Frames decoded.</param>
/// <param name="Duration">Container duration from the probe.</param>
/// <param name="Chunks">The chunks, in order.</param>
/// <param name="HasAudio">True when <paramref name="AudioFileName"/> was written.</param>
/// <param name="AudioFileName">"audio.mka", or null when the clip has no audio (or audio was not requested).</param>
/// <param name="TimelineFileName">"timeline.json": per-frame presentation times; see <see cref="FrameTimeline"/>.</param>
/// <param name="Probe">The probe the extraction was based on.</param>
/// <param name="SourcePath">The clip's full path: the frames are decoded from it.</param>
public sealed record FrameExtractionResult(
    string OutputDirectory,
    int Width,
    int Height,
    Rational FrameRate,
    long FrameCount,
    TimeSpan Duration,
    IReadOnlyList<FrameChunk> Chunks,
    bool HasAudio,
    string? AudioFileName,
    string TimelineFileName,
    VideoProbe Probe,
    string SourcePath,
    string? PlanesMatrix = null)
{
    /// <summary>Bytes per frame: Width * Height * 3.</summary>
    public int FrameSizeBytes => checked(Width * Height * 3);

    public string? AudioPath => AudioFileName is null ? null : Path.Combine(OutputDirectory, AudioFileName);

    public string TimelinePath => Path.Combine(OutputDirectory, TimelineFileName);

    /// <summary>Every frame of the clip, in order, decoded from <see cref="SourcePath"/> (one buffer, valid until the next frame).</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllFramesAsync(CancellationToken cancellationToken = default) =>
        FrameRangeReader.ReadAllAsync(SourcePath, FrameTimeline.Load(TimelinePath), Width, Height, 0, checked((int)FrameCount), cancellationToken: cancellationToken);
}
