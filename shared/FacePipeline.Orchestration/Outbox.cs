using System.Text.Json;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>Writes messages into the outbox table of the current unit of work; they leave only if it commits.</summary>
public static class Outbox
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Enqueue<T>(JobsDbContext db, T message, DateTimeOffset now)
        where T : class =>
        db.Outbox.Add(new OutboxMessage
        {
            MessageId = Guid.NewGuid(),
            MessageType = typeof(T).FullName!,
            Body = JsonSerializer.Serialize(message, Json),
            CreatedAt = now,
            TraceParent = System.Diagnostics.Activity.Current?.Id,
        });

    /// <summary>Traces of the outbox dispatcher, continuing the trace that enqueued each message.</summary>
    public static readonly System.Diagnostics.ActivitySource Activities = new("FacePipeline.Outbox");

    /// <summary>The contract type of an outbox row (contracts only: an unknown type is a bug, not data).</summary>
    public static Type ResolveType(string messageType) =>
        typeof(Contracts.ExtractFrames).Assembly.GetType(messageType, throwOnError: false)
        ?? throw new InvalidOperationException($"Outbox message type '{messageType}' is not a FacePipeline contract.");

    public static object Deserialize(OutboxMessage row) =>
        JsonSerializer.Deserialize(row.Body, ResolveType(row.MessageType), Json)
        ?? throw new InvalidOperationException($"Outbox message {row.Id} has an empty body.");
}
