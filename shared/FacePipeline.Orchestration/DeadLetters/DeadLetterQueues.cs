using FacePipeline.Orchestration.Pipelines;
using FacePipeline.ServiceDefaults;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FacePipeline.Orchestration.DeadLetters;

/// <summary>
/// The broker's dead letters: a message whose consumer failed on every retry is moved by MassTransit to the queue's
/// <c>_error</c> twin (e.g. <c>faces-reconstructed_error</c>) with the fault in its headers. This counts them per queue
/// and replays them: each is put back on its queue without the fault headers, so the consumer tries again (the
/// coordinator and the stages ignore what they have already done).
/// </summary>
public sealed class DeadLetterQueues(RabbitMqOptions broker)
{
    /// <summary>The suffix MassTransit gives a queue's dead-letter twin.</summary>
    public const string ErrorSuffix = "_error";

    /// <summary>The header a replayed message carries: when it was replayed.</summary>
    public const string ReplayedHeader = "FacePipeline-Replayed-At";

    /// <summary>
    /// Every queue the services consume from, derived from the job kinds' pipelines: one per step command (its stage's
    /// service), one per completion and progress event (the coordinator), and the coordinator's fault and refusal queues.
    /// </summary>
    public static IReadOnlyList<string> QueuesOf(JobPipelines pipelines)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        return [.. pipelines.Commands.Concat(pipelines.Completions).Concat(pipelines.ProgressEvents)
            .Select(QueueNames.Of)
            .Append(QueueNames.StageFault)
            .Append(QueueNames.StageFailed)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>How many messages wait in each queue's <c>_error</c> twin (queues without one are left out).</summary>
    public async Task<IReadOnlyDictionary<string, uint>> Count(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        var counts = new SortedDictionary<string, uint>(StringComparer.Ordinal);
        await using var connection = await Connect(cancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            foreach (var queue in queues)
            {
                try
                {
                    counts[queue] = (await channel.QueueDeclarePassiveAsync(queue + ErrorSuffix, cancellationToken)).MessageCount;
                }
                catch (OperationInterruptedException missing) when (missing.ShutdownReason?.ReplyCode == 404)
                {
                    await channel.DisposeAsync(); // a passive declare of a missing queue closes the channel
                    channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                }
            }
        }
        finally
        {
            await channel.DisposeAsync();
        }

        return counts;
    }

    /// <summary>
    /// Puts the messages of <paramref name="queue"/>'s <c>_error</c> twin back on <paramref name="queue"/>: at most as
    /// many as were there when it started (a message that fails again is not replayed twice in one go). Each is removed
    /// from the error queue only after the broker confirmed it back on its queue. Returns how many were replayed.
    /// </summary>
    public async Task<int> Replay(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        await using var connection = await Connect(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await channel.QueueDeclarePassiveAsync(queue, cancellationToken); // the queue must exist: a replay into nowhere would lose the messages
        var waiting = (await channel.QueueDeclarePassiveAsync(queue + ErrorSuffix, cancellationToken)).MessageCount;
        var replayed = 0;
        for (; replayed < waiting; replayed++)
        {
            var message = await channel.BasicGetAsync(queue + ErrorSuffix, autoAck: false, cancellationToken);
            if (message is null)
            {
                break;
            }

            var properties = new BasicProperties(message.BasicProperties)
            {
                Headers = WithoutFault(message.BasicProperties.Headers),
            };
            properties.Headers[ReplayedHeader] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, message.Body, cancellationToken); // awaits the broker's confirm
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
        }

        return replayed;
    }

    /// <summary>The headers MassTransit added when it dead-lettered the message (the fault, the reason) removed.</summary>
    private static Dictionary<string, object?> WithoutFault(IDictionary<string, object?>? headers) =>
        (headers ?? new Dictionary<string, object?>())
            .Where(h => !h.Key.StartsWith("MT-Fault-", StringComparison.Ordinal) && h.Key != "MT-Reason")
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);

    private Task<IConnection> Connect(CancellationToken cancellationToken) =>
        new ConnectionFactory
        {
            HostName = broker.Host,
            Port = broker.Port,
            VirtualHost = broker.VirtualHost,
            UserName = broker.Username ?? RabbitMqOptions.GuestUser,
            Password = broker.Password ?? RabbitMqOptions.GuestUser,
            ClientProvidedName = "facepipe-dead-letters",
        }.CreateConnectionAsync(cancellationToken);
}
