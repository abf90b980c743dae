using System.Text.Json;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>Writes messages into the outbox table of the current unit of work; they leave only if it commits.</summary>
public static class Outbox
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="priority">The broker priority (<see cref="ServiceDefaults.BrokerPriority"/>; 0: none, for messages of no job).</param>
    public static void Enqueue<T>(JobsDbContext db, T message, DateTimeOffset now, byte priority = 0)
        where T : class =>
        db.Outbox.Add(new OutboxMessage
        {
            MessageId = Guid.NewGuid(),
            MessageType = typeof(T).FullName!,
            Body = JsonSerializer.Serialize(message, Json),
            CreatedAt = now,
            TraceParent = System.Diagnostics.Activity.Current?.Id,
            Priority = priority,
        });

    /// <summary>The broker priority of a job's commands: interactive work overtakes overnight work.</summary>
    public static byte PriorityOf(Job job) =>
        job.PriorityClass == JobPriorityClass.Interactive ? ServiceDefaults.BrokerPriority.Interactive : ServiceDefaults.BrokerPriority.Overnight;

    /// <summary>Traces of the outbox dispatcher, continuing the trace that enqueued each message.</summary>
    public static readonly System.Diagnostics.ActivitySource Activities = new("FacePipeline.Outbox");

    /// <summary>
    /// The contract type of an outbox row: a FacePipeline contract, or a message of a step the declared job kinds name
    /// (an unknown type is a bug, not data). Throws if it does not resolve; the dispatcher then quarantines the row.
    /// </summary>
    public static Type ResolveType(string messageType, JobPipelines? pipelines = null) =>
        typeof(Contracts.ExtractFrames).Assembly.GetType(messageType, throwOnError: false)
        ?? pipelines?.MessageType(messageType)
        ?? throw new InvalidOperationException($"Outbox message type '{messageType}' is not a FacePipeline contract.");

    /// <summary>The message an outbox row holds. Throws if its type does not resolve or its body does not fit the type.</summary>
    public static object Deserialize(OutboxMessage row, JobPipelines? pipelines = null) =>
        JsonSerializer.Deserialize(row.Body, ResolveType(row.MessageType, pipelines), Json)
        ?? throw new InvalidOperationException($"Outbox message {row.Id} has an empty body.");
}
