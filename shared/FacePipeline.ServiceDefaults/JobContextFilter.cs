using System.Diagnostics;
using FacePipeline.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// Around every consumed message: a log scope (<see cref="LogScope"/>: <c>JobId</c>, <c>MessageType</c>, <c>CorrelationId</c>)
/// and trace tags carrying the job id and the correlation id (the message's id: a server fault on this message fails its
/// job with it, so the studio's report leads to these lines), and the message's queue lag (time from send to consume) in
/// the metrics. A message of a job this instance heard end (<see cref="EndedJobs"/>: failed or cancelled) is dropped
/// here, acknowledged with a log line, its consumer never run; the notices of the end (<see cref="JobEnded"/>,
/// <see cref="JobCancelled"/>) always go through, whichever order the broker delivers them in.
/// </summary>
public sealed class JobContextFilter<T>(ILogger<JobContextFilter<T>> logger, EndedJobs endedJobs) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.SentTime is { } sent)
        {
            Telemetry.QueueLagSeconds.Record(
                Math.Max(0, (DateTime.UtcNow - sent).TotalSeconds),
                new KeyValuePair<string, object?>("message", typeof(T).Name));
        }

        if (context.Message is not IJobMessage job)
        {
            await next.Send(context);
            return;
        }

        var correlationId = context.MessageId?.ToString("N") ?? string.Empty;
        Activity.Current?.SetTag("facepipe.job_id", job.JobId);
        Activity.Current?.SetTag("facepipeline.correlation_id", correlationId);
        // A LogScope, not a dictionary: the simple console format prints a scope's ToString (a dictionary's is its type name).
        using (LogScope.Begin(logger, ("JobId", job.JobId), ("MessageType", typeof(T).Name), ("CorrelationId", correlationId)))
        {
            // The notices of the end itself are never dropped: JobEnded is what fills EndedJobs, and JobCancelled is what
            // stops the work in hand (a training) — heard after JobEnded, dropping it would leave that work running.
            if (job is not (JobEnded or JobCancelled) && endedJobs.Contains(job.JobId))
            {
                logger.LogInformation("{MessageType} of job {JobId} dropped: the job has ended (failed or cancelled)", typeof(T).Name, job.JobId);
                return;
            }

            await next.Send(context);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("jobContext");
}

/// <summary>Where the services put <see cref="JobContextFilter{T}"/>: around every consumer of the bus.</summary>
public static class JobContext
{
    /// <summary>The job context (log scope, trace tags, queue lag) around every consumed message of <paramref name="bus"/>.</summary>
    public static void UseJobContext(this IBusFactoryConfigurator bus, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.UseConsumeFilter(typeof(JobContextFilter<>), context);
    }
}
