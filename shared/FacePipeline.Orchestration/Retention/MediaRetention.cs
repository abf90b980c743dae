using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Retention;

/// <summary>
/// Deletes what ended jobs no longer need (docs/retention.md). A track or retarget job's working data (raw frames, face
/// records: <see cref="RetentionKeys.WorkingData"/>) goes as the job ends (<see cref="JobEnded"/>, called by the
/// coordinator once the job's end is committed) or <see cref="RetentionOptions.WorkingData"/> later; its inputs and
/// outputs go <see cref="RetentionOptions.JobMedia"/> after its end, when the job row gets
/// <see cref="Job.MediaDeletedAt"/> and a deletion record. A train-actor job's media is the actor's footage and is only
/// deleted with the actor. Every deletion is idempotent and happens after the state change that calls for it is
/// committed; <see cref="SweepAsync"/> (run by <see cref="RetentionSweeper"/>) catches up on whatever a crash or an I/O
/// fault left, and removes what work still in flight writes after a job ended or was deleted
/// (<see cref="RetentionOptions.LateWorkWindow"/>).
/// </summary>
public sealed class MediaRetention(
    IDbContextFactory<JobsDbContext> dbFactory,
    MediaStore store,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<MediaRetention> logger)
{
    /// <summary>The settings in force.</summary>
    public RetentionOptions Options => options.Value;

    /// <summary>
    /// A job has just ended (its terminal state is committed): with <see cref="RetentionOptions.WorkingData"/> 0, a track
    /// or retarget job's working data is deleted now. Never throws for the media store: what it could not delete, the
    /// sweeper deletes on its next round.
    /// </summary>
    public void JobEnded(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (RetentionKeys.IsActorFootage(job.Kind) || options.Value.WorkingData > TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var removed = DeleteWorkingData(job.Id);
            logger.LogInformation(
                "Job {JobId} {State}: its working data (frames and face records) was deleted: {Files} file(s), {Bytes} bytes",
                job.Id, job.State.ToString().ToLowerInvariant(), removed.Files, removed.Bytes);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(
                "Job {JobId} ended but its working data could not be deleted yet ({Error}); the retention sweeper tries again within {Interval}",
                job.Id, error.Message, options.Value.SweepInterval);
        }
    }

    /// <summary>
    /// A clip's 3D face sequence is built and recorded (committed): its per-chunk face records have served their purpose
    /// (everything after reconstruction reads the sequence), so a track or retarget job's own chunk records go now instead
    /// of at the job's end (issue 16: the working set stays below the outputs on long takes). Records the job borrowed (an
    /// actor's footage, under another job's keys) and an actor's own footage are never touched, and nothing goes early when
    /// <see cref="RetentionOptions.WorkingData"/> keeps working data after the end. Never throws for the media store: what
    /// it could not delete goes with the rest of the working data.
    /// </summary>
    public void SequenceBuilt(Job job, string clip, IEnumerable<string> chunkRecordKeys)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(chunkRecordKeys);
        if (RetentionKeys.IsActorFootage(job.Kind) || options.Value.WorkingData > TimeSpan.Zero)
        {
            return;
        }

        var own = RetentionKeys.JobPrefix(job.Id) + "/";
        try
        {
            var removed = chunkRecordKeys.Where(k => k.StartsWith(own, StringComparison.Ordinal))
                .Aggregate(MediaRemoval.None, (sum, key) => sum + store.DeleteTree(key));
            logger.LogInformation(
                "Job {JobId}: the {Clip} clip's face sequence is built; its chunk records were deleted: {Files} file(s), {Bytes} bytes",
                job.Id, clip, removed.Files, removed.Bytes);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(
                "Job {JobId}: the {Clip} clip's chunk records could not be deleted yet ({Error}); they go with the job's working data",
                job.Id, clip, error.Message);
        }
    }

    /// <summary>Deletes a job's working data (idempotent) and says what it removed.</summary>
    public MediaRemoval DeleteWorkingData(Guid jobId) =>
        RetentionKeys.WorkingData(jobId).Aggregate(MediaRemoval.None, (sum, prefix) => sum + store.DeleteTree(prefix));

    /// <summary>
    /// One round of the sweeper at the clock's present: the media of jobs past <see cref="RetentionOptions.JobMedia"/>,
    /// the working data of ended jobs that still have it, and files written after a deletion by work in flight.
    /// </summary>
    public async Task<RetentionRound> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Expired jobs first: their whole prefix goes, working data included, counted in their retention record.
        var (expiredJobs, expired) = await SweepExpiredMedia(now, cancellationToken);
        var (workingJobs, working) = await SweepWorkingData(now, cancellationToken);
        var (lateSubjects, late) = await SweepLateWrites(now, cancellationToken);
        var events = await SweepEvents(now, cancellationToken);
        return new RetentionRound(workingJobs, expiredJobs, lateSubjects, working + expired + late) { Events = events };
    }

    /// <summary>
    /// Deletes job and batch events older than <see cref="RetentionOptions.Events"/> (their webhook deliveries cascade),
    /// <see cref="RetentionOptions.BatchSize"/> rows a statement, oldest first. Returns how many events it deleted.
    /// </summary>
    private async Task<int> SweepEvents(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now - options.Value.Events;
        var size = options.Value.BatchSize;
        var deleted = 0;
        for (var batch = 0; batch < 1000; batch++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var gone = await db.Database.ExecuteSqlAsync(
                $"""
                DELETE FROM job_events WHERE "Id" IN (
                    SELECT "Id" FROM job_events WHERE "CreatedAt" < {cutoff} ORDER BY "CreatedAt" LIMIT {size})
                """,
                cancellationToken);
            deleted += gone;
            if (gone < size)
            {
                break;
            }
        }

        return deleted;
    }

    /// <summary>
    /// Ended track and retarget jobs whose working data is due (<see cref="RetentionOptions.WorkingData"/> after their end)
    /// and not yet settled: it is deleted again every round until <see cref="RetentionOptions.LateWorkWindow"/> after
    /// the end (work in flight when the job ended may still write some), then stamped <see cref="Job.WorkingDataDeletedAt"/>.
    /// </summary>
    private async Task<(int Jobs, MediaRemoval Removed)> SweepWorkingData(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var dueBefore = now - settings.WorkingData;
        var settledBefore = now - settings.LateWorkWindow;
        var jobs = 0;
        var removed = MediaRemoval.None;
        for (var batch = 0; batch < 1000; batch++)
        {
            List<(Guid Id, DateTimeOffset EndedAt)> due;
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                due = [.. (await db.Jobs.AsNoTracking()
                    .Where(j => (j.State == JobState.Completed || j.State == JobState.Failed || j.State == JobState.Cancelled)
                        && j.Kind != JobKinds.TrainActor && j.MediaDeletedAt == null && j.WorkingDataDeletedAt == null
                        && j.CompletedAt != null && j.CompletedAt <= dueBefore)
                    .OrderBy(j => j.CompletedAt)
                    .Take(settings.BatchSize)
                    .Select(j => new { j.Id, j.CompletedAt })
                    .ToListAsync(cancellationToken)).Select(j => (j.Id, j.CompletedAt!.Value))];
            }

            var settled = new List<Guid>();
            foreach (var (jobId, endedAt) in due)
            {
                MediaRemoval gone;
                try
                {
                    gone = DeleteWorkingData(jobId);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    logger.LogWarning("Retention: the working data of job {JobId} could not be deleted ({Error}); trying again next round", jobId, error.Message);
                    continue;
                }

                if (gone.Files > 0)
                {
                    jobs++;
                    removed += gone;
                    logger.LogInformation("Retention: deleted the working data of ended job {JobId}: {Files} file(s), {Bytes} bytes", jobId, gone.Files, gone.Bytes);
                }

                if (endedAt <= settledBefore)
                {
                    settled.Add(jobId);
                }
            }

            if (settled.Count > 0)
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                await db.Jobs.Where(j => settled.Contains(j.Id) && j.WorkingDataDeletedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.WorkingDataDeletedAt, now), cancellationToken);
            }

            if (due.Count < settings.BatchSize || settled.Count == 0)
            {
                break; // the rest is still inside its late-work window: next round
            }
        }

        return (jobs, removed);
    }

    /// <summary>
    /// Ended track and retarget jobs past <see cref="RetentionOptions.JobMedia"/>: the row is stamped
    /// <see cref="Job.MediaDeletedAt"/> with a deletion record (one transaction), then everything under the job's prefix
    /// is deleted and the record gets its counts. A crash in between leaves the record, which the late-write pass
    /// finishes.
    /// </summary>
    private async Task<(int Jobs, MediaRemoval Removed)> SweepExpiredMedia(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var expiredBefore = now - settings.JobMedia;
        var jobs = 0;
        var removed = MediaRemoval.None;
        for (var batch = 0; batch < 1000; batch++)
        {
            List<Job> expired;
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                expired = await db.Jobs.AsNoTracking()
                    .Where(j => (j.State == JobState.Completed || j.State == JobState.Failed || j.State == JobState.Cancelled)
                        && j.Kind != JobKinds.TrainActor && j.MediaDeletedAt == null
                        && j.CompletedAt != null && j.CompletedAt <= expiredBefore)
                    .OrderBy(j => j.CompletedAt)
                    .Take(settings.BatchSize)
                    .ToListAsync(cancellationToken);
            }

            foreach (var job in expired)
            {
                var record = await StampExpired(job, now, cancellationToken);
                if (record is null)
                {
                    continue; // another replica's sweeper took it
                }

                var (gone, _) = await DeletionRecords.DeleteAndCount(dbFactory, store, record, logger, cancellationToken);
                jobs++;
                removed += gone;
                logger.LogInformation(
                    "Retention: the inputs and outputs of job {JobId} (ended {EndedAt:u}, kept {JobMedia}) were deleted: {Files} file(s), {Bytes} bytes; the job's row stays",
                    job.Id, job.CompletedAt, settings.JobMedia, gone.Files, gone.Bytes);
            }

            if (expired.Count < settings.BatchSize)
            {
                break;
            }
        }

        return (jobs, removed);
    }

    private async Task<Deletion?> StampExpired(Job job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var stamped = await db.Jobs.Where(j => j.Id == job.Id && j.MediaDeletedAt == null)
            .ExecuteUpdateAsync(
                s => s.SetProperty(j => j.MediaDeletedAt, now).SetProperty(j => j.WorkingDataDeletedAt, j => (DateTimeOffset?)(j.WorkingDataDeletedAt ?? now)),
                cancellationToken);
        if (stamped == 0)
        {
            return null;
        }

        var record = new Deletion
        {
            TenantId = job.TenantId,
            Subject = DeletionSubjects.Job,
            SubjectId = job.Id,
            JobKind = job.Kind,
            ActorId = job.ActorId,
            Reason = DeletionReasons.Retention,
            DeletedAt = now,
        };
        db.Deletions.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return record;
    }

    /// <summary>
    /// Deletions (by a studio or by retention) younger than <see cref="RetentionOptions.LateWorkWindow"/>: whatever is
    /// under their subject's prefix now was written after the deletion (work in flight, a crash between the record and
    /// the files) and goes too, counted in the record.
    /// </summary>
    private async Task<(int Subjects, MediaRemoval Removed)> SweepLateWrites(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = now - options.Value.LateWorkWindow;
        List<Deletion> recent;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            recent = await db.Deletions.AsNoTracking().Where(d => d.DeletedAt > since).OrderBy(d => d.Id).ToListAsync(cancellationToken);
        }

        var subjects = 0;
        var removed = MediaRemoval.None;
        foreach (var record in recent)
        {
            var (gone, _) = await DeletionRecords.DeleteAndCount(dbFactory, store, record, logger, cancellationToken);
            if (gone.Files > 0)
            {
                subjects++;
                removed += gone;
                logger.LogInformation(
                    "Retention: {Files} file(s) ({Bytes} bytes) under {Prefix} appeared after its deletion at {DeletedAt:u} (work in flight) and were deleted",
                    gone.Files, gone.Bytes, RetentionKeys.PrefixOf(record), record.DeletedAt);
            }
        }

        return (subjects, removed);
    }
}

/// <summary>What one round of the sweeper did.</summary>
/// <param name="WorkingDataJobs">Ended jobs whose working data was deleted.</param>
/// <param name="ExpiredJobs">Jobs whose inputs and outputs were deleted (past <see cref="RetentionOptions.JobMedia"/>).</param>
/// <param name="LateWrites">Deleted jobs or actors under whose prefix files had appeared since, now deleted.</param>
/// <param name="Removed">Files and bytes removed in all.</param>
public sealed record RetentionRound(int WorkingDataJobs, int ExpiredJobs, int LateWrites, MediaRemoval Removed)
{
    /// <summary>Job and batch events deleted for their age (<see cref="RetentionOptions.Events"/>), with their webhook deliveries.</summary>
    public int Events { get; init; }
}

/// <summary>The deletion records' counts: they say what was actually removed under their subject's prefix.</summary>
internal static class DeletionRecords
{
    /// <summary>
    /// Deletes everything under the record's prefix and adds what was removed to the record (in the database, and to
    /// <paramref name="record"/>). A fault of the media store is logged as a warning and leaves the rest to the sweeper's
    /// late-write pass, which tries every round for <see cref="RetentionOptions.LateWorkWindow"/>: Complete is then false.
    /// </summary>
    public static async Task<(MediaRemoval Removed, bool Complete)> DeleteAndCount(
        IDbContextFactory<JobsDbContext> dbFactory, MediaStore store, Deletion record, ILogger logger, CancellationToken cancellationToken)
    {
        var prefix = RetentionKeys.PrefixOf(record);
        var removed = MediaRemoval.None;
        var complete = true;
        try
        {
            removed = store.DeleteTree(prefix);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            complete = false;
            logger.LogWarning(
                "Retention: {Prefix} ({Subject} {Id}, deleted at {DeletedAt:u}) could not be deleted entirely ({Error}); the sweeper tries again every round for {Window} after the deletion",
                prefix, record.Subject, record.SubjectId, record.DeletedAt, error.Message, RetentionWindow);
        }

        if (removed.Files > 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Deletions.Where(d => d.Id == record.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Files, d => d.Files + removed.Files).SetProperty(d => d.Bytes, d => d.Bytes + removed.Bytes), cancellationToken);
            record.Files += removed.Files;
            record.Bytes += removed.Bytes;
        }

        return (removed, complete);
    }

    private const string RetentionWindow = "Retention:LateWorkWindow";
}
