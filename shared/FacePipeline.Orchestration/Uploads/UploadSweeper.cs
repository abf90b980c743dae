using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// Runs <see cref="ExpiredUploads.SweepAsync"/> at start-up and every <see cref="UploadOptions.SweepInterval"/>, on the
/// host's <see cref="TimeProvider"/>. Hosted by Ingest (<see cref="UploadsSetup.AddResumableUploads"/>); with several
/// replicas each sweeps, and the upload's lock lets one deletion win (each deletion is logged by <see cref="ExpiredUploads"/>).
/// </summary>
public sealed class UploadSweeper(ExpiredUploads expired, TimeProvider clock, ILogger<UploadSweeper> logger) : PeriodicRounds(clock, logger)
{
    protected override TimeSpan Interval => expired.Options.SweepInterval;

    protected override string RoundName => "Uploads: the sweep of expired uploads";

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => expired.SweepAsync(cancellationToken);
}
