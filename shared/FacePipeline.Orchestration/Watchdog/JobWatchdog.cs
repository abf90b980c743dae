using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Watchdog;

/// <summary>
/// Finds running jobs whose current stage made no progress for longer than it should
/// (<see cref="WatchdogOptions.StallLimit"/>) and re-sends the stage's outstanding commands through the outbox: a
/// command or an event lost to an outage (a database down past the coordinator's retries, a message dead-lettered)
/// then costs a delay, not the job. Re-sending is idempotent: the job's rows say what is done, the stages write their
/// results atomically and the coordinator ignores results it has already counted. A stage that stays stalled after
/// <see cref="WatchdogOptions.MaxResends"/> re-sends fails its job as a server fault. Runs in the coordinator's host;
/// with several replicas each scans, and the job row's optimistic concurrency lets one re-send win.
/// </summary>
public sealed class JobWatchdog(JobCoordinator coordinator, IOptions<WatchdogOptions> options, ILogger<JobWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.Interval);
        do
        {
            try
            {
                var resent = await coordinator.ResendStalledJobs(settings, stoppingToken);
                if (resent > 0)
                {
                    logger.LogInformation("Watchdog: re-sent the outstanding work of {Jobs} stalled job(s)", resent);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be the reason jobs stall: the next round tries again.
                logger.LogWarning("Watchdog: the scan for stalled jobs failed ({Error}); trying again in {Interval}", ex.Message, settings.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
