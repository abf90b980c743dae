namespace FacePipeline.ServiceDefaults;

/// <summary>
/// RabbitMQ message priorities (every queue is declared with <c>x-max-priority</c> = <see cref="Max"/>): the broker
/// delivers a queue's higher-priority messages first, so an interactive job's chunks overtake queued overnight chunks
/// and wait for at most the chunk each worker is on. Few levels on purpose: RabbitMQ keeps one sub-queue per level.
/// </summary>
public static class BrokerPriority
{
    /// <summary>The queues' <c>x-max-priority</c>.</summary>
    public const byte Max = 2;

    /// <summary>Interactive jobs' commands.</summary>
    public const byte Interactive = 2;

    /// <summary>Overnight jobs' commands.</summary>
    public const byte Overnight = 1;
}
