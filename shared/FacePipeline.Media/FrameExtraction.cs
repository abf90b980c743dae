namespace FacePipeline.Media;

/// <summary>How <see cref="FrameExtractor"/> cuts a clip into raw RGB24 chunk files.</summary>
public sealed record FrameExtractionOptions
{
    /// <summary>Frames per chunk file (the last chunk may be shorter).</summary>
    public int ChunkSize { get; init; } = 64;

    public MediaLimits Limits { get; init; } = MediaLimits.Default;

    /// <summary>Copy the first audio stream to audio.mka (stream copy; FLAC if the codec cannot live in Matroska).</summary>
    public bool ExtractAudio { get; init; } = true;
}

/// <summary>One chunk file: <see cref="FrameCount"/> frames of W*H*3 bytes, top-down RGB24, no header.</summary>
/// <param name="Index">0-based chunk number.</param>
/// <param name="FirstFrame">Index in the clip of the chunk's first frame.</param>
/// <param name="FrameCount">Frames in this chunk.</param>
/// <param name="FileName">File name relative to the output directory, e.g. "chunk-00000.rgb24".</param>
public sealed record FrameChunk(int Index, long FirstFrame, int FrameCount, string FileName);

/// <summary>What <see cref="FrameExtractor.ExtractAsync"/> wrote.</summary>
/// <param name="OutputDirectory">Directory holding the chunk, audio and timeline files.</param>
/// <param name="Width">Display width of every frame (rotation applied).</param>
/// <param name="Height">Display height of every frame (rotation applied).</param>
/// <param name="FrameRate">Exact nominal frame rate from the probe.</param>
/// <param name="FrameCount">Frames decoded and written.</param>
/// <param name="Duration">Container duration from the probe.</param>
/// <param name="Chunks">The chunk files, in order.</param>
/// <param name="HasAudio">True when <paramref name="AudioFileName"/> was written.</param>
/// <param name="AudioFileName">"audio.mka", or null when the clip has no audio (or audio was not requested).</param>
/// <param name="TimelineFileName">"timeline.json": per-frame presentation times; see <see cref="FrameTimeline"/>.</param>
/// <param name="Probe">The probe the extraction was based on.</param>
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
    VideoProbe Probe)
{
    /// <summary>Bytes per frame: Width * Height * 3.</summary>
    public int FrameSizeBytes => checked(Width * Height * 3);

    public string PathOf(FrameChunk chunk) => Path.Combine(OutputDirectory, chunk.FileName);

    public string? AudioPath => AudioFileName is null ? null : Path.Combine(OutputDirectory, AudioFileName);

    public string TimelinePath => Path.Combine(OutputDirectory, TimelineFileName);
}
