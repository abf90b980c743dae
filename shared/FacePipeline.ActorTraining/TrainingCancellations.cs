using System.Collections.Concurrent;
using FacePipeline.Contracts;
using MassTransit;

namespace FacePipeline.ActorTraining;

/// <summary>
/// The training runs in hand on this instance, by job, so that a studio's cancel (<see cref="JobCancelled"/>, which every
/// instance receives) stops the one that runs it. Thread-safe.
/// </summary>
public sealed class TrainingCancellations
{
    private readonly ConcurrentDictionary<Guid, Run> runs = new();

    /// <summary>Registers a run of <paramref name="jobId"/>; its token fires on <paramref name="stopping"/> (the host stops) or a cancel of the job.</summary>
    public Run Register(Guid jobId, CancellationToken stopping)
    {
        var run = new Run(this, jobId, CancellationTokenSource.CreateLinkedTokenSource(stopping));
        runs[jobId] = run;
        return run;
    }

    /// <summary>Cancels the job's run on this instance, if any; true when there was one.</summary>
    public bool Cancel(Guid jobId)
    {
        if (!runs.TryGetValue(jobId, out var run))
        {
            return false;
        }

        run.CancelledByStudio = true;
        run.Source.Cancel();
        return true;
    }

    /// <summary>One registered run.</summary>
    public sealed class Run(TrainingCancellations owner, Guid jobId, CancellationTokenSource source) : IDisposable
    {
        internal CancellationTokenSource Source { get; } = source;

        /// <summary>Fires when the job is cancelled or the host stops.</summary>
        public CancellationToken Token => Source.Token;

        /// <summary>True when the studio cancelled the job (not a host shutdown).</summary>
        public bool CancelledByStudio { get; internal set; }

        /// <summary>Unregisters the run.</summary>
        public void Dispose()
        {
            ((ICollection<KeyValuePair<Guid, Run>>)owner.runs).Remove(new KeyValuePair<Guid, Run>(jobId, this));
            Source.Dispose();
        }
    }
}

/// <summary>Stops this instance's training of a job the studio cancelled (an instance endpoint: every instance gets every cancel).</summary>
public sealed class JobCancelledConsumer(TrainingCancellations cancellations) : IConsumer<JobCancelled>
{
    /// <inheritdoc/>
    public Task Consume(ConsumeContext<JobCancelled> context)
    {
        cancellations.Cancel(context.Message.JobId);
        return Task.CompletedTask;
    }
}
