using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Ingest.Api;

/// <summary>Settings of the Ingest API (section <c>Ingest</c>), checked at start-up: a value out of range stops the service.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>The largest upload limit that may be set: 1 TiB.</summary>
    public const long LargestUploadLimit = 1L << 40;

    /// <summary>Largest accepted upload, in bytes (default 4 GiB).</summary>
    [Range(1L, LargestUploadLimit, ErrorMessage = "Ingest:MaxUploadBytes must be between {1} and {2} bytes (environment variable Ingest__MaxUploadBytes).")]
    public long MaxUploadBytes { get; set; } = 4L << 30;

    /// <summary>
    /// Frames per chunk: the unit of parallel work in reconstruction. Each chunk is decoded from the upload by its own
    /// ffmpeg run from the key frame before it, so small chunks pay that start again and again: at 480p a chunk of 64
    /// frames tracks at 1.85 × the time per frame of a 1,024-frame chunk, 512 frames at 1.12 ×
    /// (<c>facepipe-bench chunk-size</c>, docs/benchmarks.md). 512 frames keep 18 chunks in a 9,000-frame take for workers to share.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Ingest:ChunkSize must be between {1} and {2} frames (environment variable Ingest__ChunkSize).")]
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>The default of <see cref="ChunkSize"/>.</summary>
    public const int DefaultChunkSize = 512;

    /// <summary>The most jobs one page of GET /v1/jobs lists.</summary>
    [Range(1, 1_000, ErrorMessage = "Ingest:MaxPageSize must be between {1} and {2} (environment variable Ingest__MaxPageSize).")]
    public int MaxPageSize { get; set; } = 100;
}
