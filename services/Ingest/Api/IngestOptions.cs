namespace FacePipeline.Ingest.Api;

/// <summary>Settings of the Ingest API (section "Ingest").</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Largest accepted upload, in bytes (default 4 GiB).</summary>
    public long MaxUploadBytes { get; set; } = 4L << 30;

    /// <summary>Frames per chunk: the unit of parallel work in later stages.</summary>
    public int ChunkSize { get; set; } = 64;

    public int MaxPageSize { get; set; } = 100;
}
