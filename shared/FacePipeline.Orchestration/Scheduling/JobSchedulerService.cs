using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Scheduling;

/// <summary>Runs the scheduler's rounds: when a job is queued or ends (<see cref="SchedulerSignal"/>), and every <see cref="SchedulingOptions.Interval"/>.</summary>
public sealed class JobSchedulerService(JobScheduler scheduler, SchedulerSignal signal, IOptions<SchedulingOptions> options, ILogger<JobSchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await scheduler.StartQueuedJobs(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be down: queued jobs wait, the next round tries again.
                logger.LogWarning("Scheduler: the round failed ({Error}); trying again in {Interval}", ex.Message, options.Value.Interval);
            }

            try
            {
                await signal.WaitAsync(options.Value.Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
