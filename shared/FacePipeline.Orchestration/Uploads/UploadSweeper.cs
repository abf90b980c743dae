using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// Runs <see cref="ExpiredUploads.SweepAsync"/> at start-up and every <see cref="UploadOptions.SweepInterval"/>, on the
/// host's <see cref="TimeProvider"/>. Hosted by Ingest (<see cref="UploadsSetup.AddResumableUploads"/>); with several
/// replicas each sweeps, and the upload's lock lets one deletion win.
/// </summary>
public sealed class UploadSweeper(ExpiredUploads expired, TimeProvider clock, ILogger<UploadSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = expired.Options.SweepInterval;
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await expired.SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or the media store may be down: the next round starts over from the upload rows.
                logger.LogWarning("Uploads: the sweep of expired uploads failed ({Error}); trying again in {Interval}", ex.Message, interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
