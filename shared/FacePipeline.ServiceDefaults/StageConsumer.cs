using FacePipeline.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// What every stage's consumer does around its stage, in one place: time the work and count its units in the stage
/// metrics, run the stage, log what it did and what the process holds after it (<see cref="ProcessMemory"/>), publish its event. The failure taxonomy lives here too:
/// <list type="bullet">
/// <item>the studio's to fix (<see cref="JobInputException"/>): the job fails at once with the exception's code and
///   sentence (<see cref="StageFailed"/>);</item>
/// <item>anything else is the server's: it propagates to MassTransit's retry (transient faults heal), then the
///   coordinator's fault consumer fails the job as <see cref="FailureCodes.Internal"/> with the message's id as the
///   correlation id, which this log line and the consume's trace carry.</item>
/// </list>
/// </summary>
/// <typeparam name="TCommand">The stage's command.</typeparam>
/// <typeparam name="TEvent">The event it publishes when done.</typeparam>
public abstract class StageConsumer<TCommand, TEvent>(ILogger logger) : IConsumer<TCommand>
    where TCommand : class, IJobMessage
    where TEvent : class, IJobMessage
{
    /// <summary>The stage's name (<see cref="StageNames"/>).</summary>
    protected abstract string Stage { get; }

    /// <summary>Runs the stage on the command; null: nothing to report (e.g. the studio cancelled the job meanwhile).</summary>
    protected abstract Task<TEvent?> Run(ConsumeContext<TCommand> context);

    /// <summary>The units of work (frames, steps) the event says were done, for the stage metrics.</summary>
    protected abstract int UnitsDone(TCommand command, TEvent done);

    /// <summary>One information line on what was done.</summary>
    protected abstract void LogDone(ILogger log, TCommand command, TEvent done, double seconds);

    public async Task Consume(ConsumeContext<TCommand> context)
    {
        var command = context.Message;
        var work = StageWork.Start(Stage);
        TEvent? done;
        try
        {
            done = await Run(context);
        }
        catch (JobInputException refused)
        {
            logger.LogWarning("Job {JobId}: the {Stage} stage failed the job ({Code}): {Reason}", command.JobId, Stage, refused.Code, refused.Message);
            await context.Publish(new StageFailed(command.JobId, Stage, refused.Message, refused.Code));
            return;
        }
        catch (Exception fault) when (fault is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            logger.LogError(
                fault,
                "Job {JobId}: server fault in the {Stage} stage (correlation id {CorrelationId}, attempt {Attempt})",
                command.JobId, Stage, context.MessageId?.ToString("N"), context.GetRetryAttempt() + 1);
            throw;
        }

        if (done is null)
        {
            return;
        }

        LogDone(logger, command, done, work.Complete(UnitsDone(command, done)));
        var memory = ProcessMemory.Now();
        logger.LogInformation(
            "Job {JobId}: {Stage} process memory after the work: resident {ResidentMiB:F1} MiB (peak {PeakMiB:F1}), GC heap {GcHeapMiB:F1} MiB, GC committed {GcCommittedMiB:F1} MiB",
            command.JobId, Stage, memory.ResidentMiB, memory.PeakResidentMiB, memory.GcHeapMiB, memory.GcCommittedMiB);
        await context.Publish(done);
    }
}
