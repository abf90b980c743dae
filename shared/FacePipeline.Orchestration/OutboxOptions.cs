using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration;

/// <summary>
/// Settings of the outbox dispatcher, bound from the configuration section <c>Outbox</c> (e.g. <c>Outbox__PublishedRetention=2.00:00:00</c>)
/// and validated at start-up: a host with an invalid value does not start.
/// </summary>
/// <remarks>
/// Quarantined rows (a type that no longer resolves, a body that does not deserialise or serialise) are kept for ever on
/// purpose: each one is a message that never left, i.e. a bug to look at, and the row is the only copy of it. They do not
/// slow the dispatcher (the pending index leaves them out). After a fix, re-drive one with
/// <c>UPDATE outbox SET "QuarantinedAt" = NULL, "Error" = NULL WHERE "Id" = …</c>, or delete it by hand.
/// </remarks>
public sealed class OutboxOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Outbox";

    /// <summary>
    /// How long a published row is kept (for inspection: what was sent, when, in which trace) before the dispatcher
    /// deletes it. Default 1 day; at least 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Outbox:PublishedRetention must be between {1} and {2} (a duration such as 1.00:00:00 for one day).")]
    public TimeSpan PublishedRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How often the dispatcher looks for published rows past <see cref="PublishedRetention"/>. Default 5 minutes; between
    /// 1 second and 1 day. A clean-up that finds a full <see cref="CleanupBatchSize"/> runs again right after the next
    /// dispatch instead, so a backlog drains without long transactions.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Outbox:CleanupInterval must be between {1} and {2}.")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most published rows one clean-up statement deletes. Default 1000; 1 to 100000.</summary>
    [Range(1, 100_000, ErrorMessage = "Outbox:CleanupBatchSize must be between {1} and {2}.")]
    public int CleanupBatchSize { get; set; } = 1000;

    /// <summary>The most rows one dispatch claims and publishes in one transaction. Default 100; 1 to 10000.</summary>
    [Range(1, 10_000, ErrorMessage = "Outbox:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// How long an idle dispatcher waits before looking again, unless a transaction in this process wakes it first
    /// (rows enqueued by other processes are found within this delay). Default 500 ms; 10 ms to 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Outbox:IdlePoll must be between {1} and {2}.")]
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromMilliseconds(500);
}
