using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePipeline.Stages;

/// <summary>Reads and writes tracking documents and per-chunk frame records (camelCase JSON).</summary>
public static class TrackingJson
{
    /// <summary>Bytes the streamed writers hold before they hand them to the stream.</summary>
    public const int FlushBytes = 1 << 16;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes a document held in memory (the same bytes as <see cref="WriteAsync(Stream, string, string, TrackedVideo, TrackingModels, IEnumerable{FrameRecord}, CancellationToken)"/>).</summary>
    public static Task WriteAsync(Stream stream, TrackingDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        return WriteAsync(stream, document.Schema, document.Source, document.Video, document.Models, document.Frames, cancellationToken);
    }

    /// <summary>
    /// Writes a tracking document frame by frame (issue 16: memory flat in length): the bytes of the
    /// <see cref="TrackingDocument"/> serialised in one piece, with the frames taken from <paramref name="frames"/> as they
    /// come and handed to the stream every <see cref="FlushBytes"/>.
    /// </summary>
    public static async Task WriteAsync(
        Stream stream, string schema, string source, TrackedVideo video, TrackingModels models, IEnumerable<FrameRecord> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(frames);
        await using var json = new Utf8JsonWriter(stream, WriterOptions(Options));
        json.WriteStartObject();
        json.WritePropertyName(Name(nameof(TrackingDocument.Schema)));
        JsonSerializer.Serialize(json, schema, Options);
        json.WritePropertyName(Name(nameof(TrackingDocument.Source)));
        JsonSerializer.Serialize(json, source, Options);
        json.WritePropertyName(Name(nameof(TrackingDocument.Video)));
        JsonSerializer.Serialize(json, video, Options);
        json.WritePropertyName(Name(nameof(TrackingDocument.Models)));
        JsonSerializer.Serialize(json, models, Options);
        json.WritePropertyName(Name(nameof(TrackingDocument.Frames)));
        json.WriteStartArray();
        foreach (var frame in frames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            JsonSerializer.Serialize(json, frame, Options);
            if (json.BytesPending >= FlushBytes)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    public static async Task<TrackingDocument> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<TrackingDocument>(stream, Options, cancellationToken)
        ?? throw new InvalidDataException("Empty tracking document.");

    public static async Task<IReadOnlyList<FrameRecord>> ReadFramesAsync(Stream stream, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<List<FrameRecord>>(stream, Options, cancellationToken)
        ?? throw new InvalidDataException("Empty frame records.");

    public static byte[] SerializeFrames(IReadOnlyList<FrameRecord> frames) => JsonSerializer.SerializeToUtf8Bytes(frames, Options);

    /// <summary>The writer options <see cref="JsonSerializer"/> itself writes with for <paramref name="options"/>.</summary>
    internal static JsonWriterOptions WriterOptions(JsonSerializerOptions options) => new()
    {
        Encoder = options.Encoder,
        Indented = options.WriteIndented,
        IndentCharacter = options.IndentCharacter,
        IndentSize = options.IndentSize,
        NewLine = options.NewLine,
        MaxDepth = options.MaxDepth,
    };

    private static string Name(string property) => Options.PropertyNamingPolicy?.ConvertName(property) ?? property;
}
