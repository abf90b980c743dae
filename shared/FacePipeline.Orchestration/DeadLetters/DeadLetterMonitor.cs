using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.ServiceDefaults;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.DeadLetters;

/// <summary>Settings of the dead-letter monitor (section <c>DeadLetters</c>).</summary>
public sealed class DeadLetterOptions
{
    public const string Section = "DeadLetters";

    /// <summary>How often the error queues are counted. Default 1 minute; 1 s to 1 hour.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "DeadLetters:CheckInterval must be between {1} and {2}.")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Makes dead letters visible: counts every service queue's <c>_error</c> twin (<see cref="DeadLetterQueues"/>) each
/// <see cref="DeadLetterOptions.CheckInterval"/>, exports the gauge <c>facepipe.queue.dead_letters</c> (tag
/// <c>queue</c>) and logs a warning, with the command that replays them, whenever a queue's count grows.
/// </summary>
public sealed class DeadLetterMonitor(
    DeadLetterQueues deadLetters,
    JobPipelines pipelines,
    IOptions<DeadLetterOptions> options,
    ILogger<DeadLetterMonitor> logger) : BackgroundService
{
    private static readonly Meter Meter = new("FacePipeline");
    private static readonly ConcurrentDictionary<string, long> Counts = new(StringComparer.Ordinal);

    static DeadLetterMonitor() =>
        Meter.CreateObservableGauge(
            "facepipe.queue.dead_letters",
            () => Counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("queue", c.Key))),
            "messages",
            "Messages waiting in a queue's _error twin: consumes that failed on every retry (replay: scripts/dead-letters.sh replay <queue>).");

    /// <summary>The last counts, by queue (what the gauge exports).</summary>
    public static IReadOnlyDictionary<string, long> LastCounts => Counts;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queues = DeadLetterQueues.QueuesOf(pipelines);
        using var timer = new PeriodicTimer(options.Value.CheckInterval);
        do
        {
            try
            {
                await Check(queues, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Dead letters: the error queues could not be counted ({Error}); trying again in {Interval}", ex.Message, options.Value.CheckInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Counts the error queues once; logs the queues whose count grew.</summary>
    public async Task Check(IReadOnlyList<string> queues, CancellationToken cancellationToken)
    {
        foreach (var (queue, count) in await deadLetters.Count(queues, cancellationToken))
        {
            var before = Counts.TryGetValue(queue, out var previous) ? previous : 0;
            Counts[queue] = count;
            if (count > before)
            {
                logger.LogWarning(
                    "Dead letters: {Count} message(s) in {Queue}{Suffix} ({New} new): consumes that failed on every retry. See why in the messages' MT-Fault headers, fix the cause, then replay them: scripts/dead-letters.sh replay {Queue} (docs/operations.md)",
                    count, queue, DeadLetterQueues.ErrorSuffix, count - before, queue);
            }
        }
    }
}
