using FacePipeline.Contracts;
using FacePipeline.Orchestration.Events;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Orchestration.Watchdog;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration;

/// <summary>
/// Owns job state, and runs every job kind the same way from its pipeline (<see cref="JobPipelines"/>): a step's event
/// is handed to that step, and when the step's work is all done the job moves to the next step, which sends its
/// commands. Each event becomes one transaction that updates the job, its stages and chunks and enqueues the next
/// commands in the outbox, so state and messages never disagree. Concurrent events of a job conflict on the job row's
/// xmin; the loser re-reads and tries again, so no update is lost and the next step is started exactly once.
/// </summary>
public sealed class JobCoordinator(
    IDbContextFactory<JobsDbContext> dbFactory,
    JobPipelines pipelines,
    OutboxSignal outboxSignal,
    TimeProvider clock,
    ILogger<JobCoordinator> logger,
    MediaRetention? retention = null,
    SchedulerSignal? schedulerSignal = null)
{
    private const int MaxConcurrencyRetries = 50;

    /// <summary>Frames per chunk of jobs submitted before the job kept its chunk size: Ingest's default at that time (512 since; IngestOptions).</summary>
    private const int DefaultChunkSize = 64;

    public JobPipelines Pipelines => pipelines;

    /// <summary>
    /// A step's completion or progress event: the step of the job's kind that it reports records it; a step whose work
    /// is all done moves the job on. Events for a stage that is not running (redeliveries, late results) change nothing.
    /// </summary>
    public Task Handle<TEvent>(TEvent message, CancellationToken cancellationToken = default)
        where TEvent : class, IJobMessage =>
        UpdateJob(message.JobId, cancellationToken, async context =>
        {
            var step = context.Pipeline.StepReportedBy(typeof(TEvent));
            if (step is null)
            {
                logger.LogWarning("{Event} for job {JobId} ignored: no step of the kind '{Kind}' reports it", typeof(TEvent).Name, message.JobId, context.Job.Kind);
                return false;
            }

            if (context.Job.IsTerminal || context.Stage(step.Name).State != StageState.Running)
            {
                return false;
            }

            var outcome = step.Progress == typeof(TEvent) ? await step.Report(context, message) : await step.Complete(context, message);
            if (outcome != StepOutcome.Stale)
            {
                context.Job.StallResends = 0; // the stage moves: whatever the watchdog re-sent, it is no longer stalled
            }

            if (outcome == StepOutcome.Done)
            {
                await Advance(context, step);
            }

            return outcome != StepOutcome.Stale;
        });

    /// <summary>
    /// Fails the job with a reason a person can act on and a stable code; a server fault also carries the correlation id
    /// its logs and traces have. A job already ended stays as it is.
    /// </summary>
    public Task OnStageFailed(Guid jobId, string stage, string code, string reason, CancellationToken cancellationToken, string? correlationId = null) =>
        UpdateJob(jobId, cancellationToken, context => Task.FromResult(FailJob(context, stage, code, reason, correlationId)));

    /// <summary>
    /// Starts a queued job (the scheduler's decision): its first step sends its commands. Returns false when the job is
    /// not queued any more (cancelled meanwhile, or started by another round).
    /// </summary>
    public async Task<bool> Start(Guid jobId, CancellationToken cancellationToken)
    {
        var started = false;
        await UpdateJob(jobId, cancellationToken, async context =>
        {
            if (!Move(context, JobTrigger.Start))
            {
                return false;
            }

            await StartFirstStep(context);
            started = true;
            return true;
        });
        return started;
    }

    /// <summary>A job leaving the queue: its first stage runs from now and its first step sends its commands.</summary>
    internal static async Task StartFirstStep(StepContext context)
    {
        context.Job.StartedAt = context.Now;
        var first = context.Pipeline.Steps[0];
        context.Run(first.Name);
        await first.Start(context);
    }

    /// <summary>Cancels a queued or running job; returns false when it had already ended. Work in flight finishes and is ignored.</summary>
    public async Task<bool> Cancel(Guid jobId, CancellationToken cancellationToken)
    {
        var cancelled = false;
        await UpdateJob(jobId, cancellationToken, context =>
        {
            cancelled = Move(context, JobTrigger.Cancel);
            if (cancelled)
            {
                context.Job.CompletedAt = context.Now;
                foreach (var s in context.Job.Stages.Where(s => s.State is StageState.Pending or StageState.Running))
                {
                    s.State = StageState.Cancelled;
                }
            }

            return Task.FromResult(cancelled);
        });
        return cancelled;
    }

    /// <summary>
    /// The watchdog's round: every running job whose current stage made no progress for longer than
    /// <see cref="WatchdogOptions.StallLimit"/> gets the stage's outstanding commands re-sent (the step's
    /// <see cref="PipelineStep.Start"/>, which sends only what is not done), or, after
    /// <see cref="WatchdogOptions.MaxResends"/> re-sends without progress, fails as a server fault. Returns the jobs acted on.
    /// </summary>
    public async Task<int> ResendStalledJobs(WatchdogOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var quietSince = clock.GetUtcNow() - options.StallAfter;
        List<Guid> candidates;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            candidates = await db.Jobs
                .Where(j => j.State != JobState.Queued && j.State != JobState.Completed && j.State != JobState.Failed && j.State != JobState.Cancelled && j.UpdatedAt < quietSince)
                .OrderBy(j => j.UpdatedAt)
                .Select(j => j.Id)
                .Take(500)
                .ToListAsync(cancellationToken);
        }

        var acted = 0;
        foreach (var jobId in candidates)
        {
            var resent = false;
            await UpdateJob(jobId, cancellationToken, async context =>
            {
                resent = await ResendIfStalled(context, options);
                return resent;
            });
            acted += resent ? 1 : 0;
        }

        return acted;
    }

    private async Task<bool> ResendIfStalled(StepContext context, WatchdogOptions options)
    {
        var job = context.Job;
        var step = context.Pipeline.StepRunningIn(job.State);
        if (job.IsTerminal || step is null)
        {
            return false;
        }

        var stage = context.Stage(step.Name);
        var quiet = context.Now - job.UpdatedAt;
        // A stage that learns its total only when it is done (transfer) is given the clip's frames.
        var outstanding = stage.FramesTotal > 0 ? stage.FramesTotal - stage.FramesDone : job.FrameCount ?? 0;
        var limit = options.StallLimit(outstanding);
        if (quiet < limit)
        {
            return false;
        }

        if (job.StallResends >= options.MaxResends)
        {
            var reason = $"The {step.Name} stage made no progress for {Minutes(quiet)}, even after its work was sent again {job.StallResends} times. "
                + "This is a fault of the server, not of your footage: resubmit the job, and if it stalls again report the job id.";
            return FailJob(context, step.Name, FailureCodes.Internal, reason, $"stalled-{job.Id:N}");
        }

        job.StallResends++;
        logger.LogWarning(
            "Job {JobId}: the {Stage} stage made no progress for {Quiet} ({Done}/{Total} {Unit}); re-sending its outstanding work (re-send {Resend} of {MaxResends})",
            job.Id, step.Name, Minutes(quiet), stage.FramesDone, stage.FramesTotal, step.Unit, job.StallResends, options.MaxResends);
        await step.Start(context);
        return true;
    }

    private static string Minutes(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";

    /// <summary>
    /// The job's current step is done: it checks its result, the job moves to the next step, which starts (or, when it
    /// was started early and is already done too, the job moves on again); after the last step the job is completed.
    /// </summary>
    private async Task Advance(StepContext context, PipelineStep done)
    {
        for (var step = done; ;)
        {
            if (context.Pipeline.StepRunningIn(context.Job.State) != step)
            {
                return; // started early (e.g. chunks of a clip while another clip is still extracting): the job reaches it later
            }

            await step.Finish(context);
            if (context.Job.IsTerminal)
            {
                return; // the result could not go further
            }

            Move(context, JobTrigger.StageDone(step.Name));
            var stage = context.Stage(step.Name);
            stage.State = StageState.Completed;
            stage.FramesDone = stage.FramesTotal;
            stage.CompletedAt = context.Now;
            var next = context.Pipeline.After(step);
            if (next is null)
            {
                context.Job.CompletedAt = context.Now;
                return;
            }

            if (context.Stage(next.Name).State == StageState.Pending)
            {
                await next.Start(context);
                return;
            }

            if (!await next.IsDone(context))
            {
                return;
            }

            step = next;
        }
    }

    private bool FailJob(StepContext context, string stage, string code, string reason, string? correlationId)
    {
        var job = context.Job;
        if (!Move(context, JobTrigger.Fail))
        {
            return false;
        }

        job.FailedStage = stage;
        job.FailureReason = reason;
        job.FailureCode = code;
        job.FailureCorrelationId = correlationId;
        job.CompletedAt = context.Now;
        foreach (var s in job.Stages)
        {
            s.State = s.Name == stage ? StageState.Failed : s.State is StageState.Completed ? StageState.Completed : StageState.Cancelled;
        }

        logger.LogWarning("Job {JobId} failed in {Stage} ({Code}, correlation id {CorrelationId}): {Reason}", job.Id, stage, code, correlationId ?? "none", reason);
        return true;
    }

    private static bool Move(StepContext context, JobTrigger trigger)
    {
        var transition = JobStateMachine.Apply(context.Pipeline, context.Job.State, trigger);
        if (transition.Outcome != TransitionOutcome.Moved)
        {
            return false;
        }

        context.Job.State = transition.To;
        return true;
    }

    /// <summary>
    /// Loads the job with its stages, clips and outputs, applies <paramref name="change"/> and saves everything in one
    /// transaction; on an optimistic-concurrency conflict (xmin) it starts over from a fresh read. A job that failed or
    /// was cancelled in the change lets every step of its kind leave its state (<see cref="PipelineStep.OnJobEnded"/>).
    /// </summary>
    private async Task UpdateJob(Guid jobId, CancellationToken cancellationToken, Func<StepContext, Task<bool>> change)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var job = await db.Jobs.Include(j => j.Stages).Include(j => j.Outputs).Include(j => j.Clips).AsSplitQuery().SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
            if (job is null)
            {
                logger.LogWarning("Message for unknown job {JobId} ignored", jobId);
                return;
            }

            var context = new StepContext(db, job, pipelines.For(job.Kind), clock.GetUtcNow(), cancellationToken, (c, stage, code, reason) => FailJob(c, stage, code, reason, null))
            {
                ChunkSize = job.ChunkSize ?? DefaultChunkSize, // a re-sent extraction cuts the chunks the studio asked for
            };
            var before = job.State;
            var withoutSequence = job.Clips.Where(c => c.SequenceKey is null).Select(c => c.Name).ToList();
            if (!await change(context))
            {
                return;
            }

            if (before != job.State && job.State is JobState.Failed or JobState.Cancelled)
            {
                foreach (var step in context.Pipeline.Steps)
                {
                    await step.OnJobEnded(context);
                }

                if (before != JobState.Queued)
                {
                    // The stage services drop the job's commands still in the broker (its working data goes with its end).
                    Outbox.Enqueue(db, new JobEnded(job.Id, job.State.ToString().ToLowerInvariant()), context.Now, ServiceDefaults.BrokerPriority.Max);
                }
            }

            job.UpdatedAt = context.Now;
            await JobEventLog.RecordJob(db, job, JobEventLog.TypeOf(before, job), context.Now, cancellationToken);
            if (before != job.State && job.IsTerminal)
            {
                await JobEventLog.CountEndedShot(db, job, context.Now, cancellationToken);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
                outboxSignal.Notify();
                if (before != job.State && job.IsTerminal)
                {
                    schedulerSignal?.Notify(); // a slot is free
                }

                if (job.IsTerminal)
                {
                    JobMetrics.Record(job);
                    if (before != job.State)
                    {
                        retention?.JobEnded(job); // after the commit, never inside it; the retention sweeper catches up after a crash
                    }
                }
                else
                {
                    await ChunkRecordsServed(context, withoutSequence);
                }

                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxConcurrencyRetries)
            {
                logger.LogDebug("Concurrent update of job {JobId}, attempt {Attempt}; retrying", jobId, attempt);
            }
            catch (DbUpdateException ex) when (attempt < MaxConcurrencyRetries && IsConcurrentInsert(ex))
            {
                // Two deliveries did the same step at once (a duplicated event starting the render, say): both inserted
                // the same rows (segments), and the database refused the second before the job row's version could. The
                // fresh read sees what the first one did.
                logger.LogDebug("Concurrent insert for job {JobId}, attempt {Attempt}; retrying", jobId, attempt);
            }
        }
    }

    /// <summary>
    /// After the commit, for a job still running: the clips whose face sequence this change recorded no longer need their
    /// chunk records, nor a single-decode pass its states (<see cref="MediaRetention.SequenceBuilt"/>); the job's end deletes whatever this misses (an ended
    /// job's working data goes whole).
    /// </summary>
    private async Task ChunkRecordsServed(StepContext context, IReadOnlyList<string> withoutSequence)
    {
        if (retention is null)
        {
            return;
        }

        foreach (var clip in context.Job.Clips.Where(c => c.SequenceKey is not null && withoutSequence.Contains(c.Name)))
        {
            var chunks = await context.Chunks();
            // A single-decode pass's states go with the records: the pieces are all done.
            retention.SequenceBuilt(context.Job, clip.Name, chunks.Where(c => c.Clip == clip.Name).SelectMany(c =>
                clip.OnePass ? new[] { c.FacesKey, MediaKeys.TrackPassState(context.Job.Id, clip.Name, c.Index) } : [c.FacesKey]));
        }
    }

    /// <summary>A unique-key violation: another transaction inserted the same row first.</summary>
    private static bool IsConcurrentInsert(DbUpdateException exception) =>
        exception.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation };
}
