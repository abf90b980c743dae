using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration.Retention;

/// <summary>
/// Runs <see cref="MediaRetention.SweepAsync"/> at start-up and every <see cref="RetentionOptions.SweepInterval"/>, on the
/// host's <see cref="TimeProvider"/>. Hosted by Ingest (<see cref="OrchestrationSetup.AddJobOrchestration"/>); with several
/// replicas each sweeps, and the job row's stamps let one deletion win (the others find nothing left).
/// </summary>
public sealed class RetentionSweeper(MediaRetention retention, TimeProvider clock, ILogger<RetentionSweeper> logger) : PeriodicRounds(clock, logger)
{
    protected override TimeSpan Interval => retention.Options.SweepInterval;

    protected override string RoundName => "Retention: the sweep";

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        var round = await retention.SweepAsync(cancellationToken);
        if (round.Events > 0)
        {
            Logger.LogInformation("Retention: {Events} event(s) older than {EventRetention} deleted, with their webhook deliveries", round.Events, retention.Options.Events);
        }

        if (round.Removed.Files > 0)
        {
            Logger.LogInformation(
                "Retention: working data of {WorkingDataJobs} ended job(s), inputs and outputs of {ExpiredJobs} expired job(s), late writes under {LateWrites} deleted job(s) or actor(s): {Files} file(s), {Bytes} bytes deleted",
                round.WorkingDataJobs, round.ExpiredJobs, round.LateWrites, round.Removed.Files, round.Removed.Bytes);
        }
    }
}
