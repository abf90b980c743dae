using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePipeline.Stages;

/// <summary>Reads and writes tracking documents and per-chunk frame records (camelCase JSON).</summary>
public static class TrackingJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Task WriteAsync(Stream stream, TrackingDocument document, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(stream, document, Options, cancellationToken);

    public static async Task<TrackingDocument> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<TrackingDocument>(stream, Options, cancellationToken)
        ?? throw new InvalidDataException("Empty tracking document.");

    public static async Task<IReadOnlyList<FrameRecord>> ReadFramesAsync(Stream stream, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<List<FrameRecord>>(stream, Options, cancellationToken)
        ?? throw new InvalidDataException("Empty frame records.");

    public static byte[] SerializeFrames(IReadOnlyList<FrameRecord> frames) => JsonSerializer.SerializeToUtf8Bytes(frames, Options);
}
