using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration.Retention;

/// <summary>How a studio's deletion request ended.</summary>
public enum DeletionStatus
{
    /// <summary>Deleted now: <see cref="DeletionOutcome.Record"/> says what was removed.</summary>
    Deleted,

    /// <summary>The studio has no such job or actor (another studio's is the same as none).</summary>
    NotFound,

    /// <summary>The studio deleted it before: <see cref="DeletionOutcome.Record"/> is that deletion.</summary>
    AlreadyDeleted,

    /// <summary>A train-actor job whose actor still exists: its media is the actor's footage (delete the actor).</summary>
    Refused,
}

/// <summary>What a deletion request did.</summary>
public sealed record DeletionOutcome(DeletionStatus Status)
{
    /// <summary>The deletion record: this request's (<see cref="DeletionStatus.Deleted"/>) or the earlier one (<see cref="DeletionStatus.AlreadyDeleted"/>).</summary>
    public Deletion? Record { get; init; }

    /// <summary>An actor's deletion: the records of its training jobs, deleted with it.</summary>
    public IReadOnlyList<Deletion> JobRecords { get; init; } = [];

    /// <summary>Jobs that were running and were cancelled first (the job itself; an actor's training, retargets onto it).</summary>
    public IReadOnlyList<Guid> CancelledJobs { get; init; } = [];

    /// <summary>False when some files could not be deleted at once (a media-store fault): the sweeper deletes them within <see cref="RetentionOptions.LateWorkWindow"/>.</summary>
    public bool Complete { get; init; } = true;

    /// <summary><see cref="DeletionStatus.Refused"/>: the actor whose footage the job is.</summary>
    public Guid? ActorId { get; init; }

    /// <summary><see cref="DeletionStatus.Refused"/>: the model version the job trained.</summary>
    public int? ModelVersion { get; init; }
}

/// <summary>
/// A studio's deletions (<c>DELETE /v1/jobs/{id}</c>, <c>DELETE /v1/actors/{id}</c>; docs/retention.md): a job's media and
/// face data, or an actor's footage (its training jobs' media) and models, go at once, after anything still running on
/// them is cancelled. The job's or actor's row goes in the same transaction that writes the audit record
/// (<see cref="Deletion"/>); the files go right after it, and the sweeper removes whatever work in flight writes there
/// later. Retarget jobs rendered onto a deleted actor keep their own outputs.
/// </summary>
public sealed class StudioDeletions(
    IDbContextFactory<JobsDbContext> dbFactory,
    MediaStore store,
    JobCoordinator coordinator,
    TimeProvider clock,
    ILogger<StudioDeletions> logger)
{
    /// <summary>
    /// Deletes one of the studio's jobs: cancels it if it runs, removes its row (stages, clips, chunks, outputs), its
    /// events (and their webhook deliveries) and everything under its prefix, and records the deletion. A train-actor job of an existing actor is refused.
    /// </summary>
    public async Task<DeletionOutcome> DeleteJob(Guid tenantId, Guid jobId, CancellationToken cancellationToken)
    {
        Job? job;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId && j.TenantId == tenantId, cancellationToken);
            if (job is null)
            {
                return await Missing(db, tenantId, DeletionSubjects.Job, jobId, cancellationToken);
            }

            if (RetentionKeys.IsActorFootage(job.Kind) && job.ActorId is { } actorId && await db.Actors.AnyAsync(a => a.Id == actorId, cancellationToken))
            {
                var version = await db.ActorModels.Where(m => m.JobId == jobId).Select(m => (int?)m.Version).FirstOrDefaultAsync(cancellationToken);
                return new DeletionOutcome(DeletionStatus.Refused) { ActorId = actorId, ModelVersion = version };
            }
        }

        // Cancelling ends the job as its pipeline says (a step's OnJobEnded), and the retention hook then deletes its
        // working data at once: what that removed is counted in this deletion's record too.
        List<Guid> cancelled = [];
        var removedByCancel = MediaRemoval.None;
        if (!JobStates.IsTerminal(job.State))
        {
            IReadOnlyDictionary<string, long> present;
            try
            {
                present = store.Sizes(RetentionKeys.JobPrefix(job.Id));
            }
            catch (IOException)
            {
                present = new Dictionary<string, long>(); // the tree changed while listed: the count then misses only what the cancel removed
            }

            cancelled = await CancelRunning([job.Id], cancellationToken);
            removedByCancel = present.Where(f => !store.Exists(f.Key)).Aggregate(MediaRemoval.None, (sum, f) => sum + new MediaRemoval(1, f.Value));
        }

        var erased = await Erase(
            async db =>
            {
                if (await db.Jobs.Where(j => j.Id == jobId && j.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken) == 0)
                {
                    return null; // deleted meanwhile by another request
                }

                await db.JobEvents.Where(e => e.JobId == jobId).ExecuteDeleteAsync(cancellationToken); // its webhook deliveries cascade

                var record = Record(tenantId, DeletionSubjects.Job, job.Id, job.Kind, job.ActorId);
                (record.Files, record.Bytes) = (removedByCancel.Files, removedByCancel.Bytes);
                return [record];
            },
            cancellationToken);
        if (erased is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await Missing(db, tenantId, DeletionSubjects.Job, jobId, cancellationToken);
        }

        var (records, complete) = erased.Value;
        var record = records[0];
        logger.LogInformation(
            "Job {JobId} ({Kind}) deleted at the studio's request{Cancelled}: its row and {Files} file(s), {Bytes} bytes",
            job.Id, job.Kind, cancelled.Count > 0 ? " (cancelled first)" : string.Empty, record.Files, record.Bytes);
        return new DeletionOutcome(DeletionStatus.Deleted) { Record = record, CancelledJobs = cancelled, Complete = complete };
    }

    /// <summary>
    /// Deletes one of the studio's actors: cancels its running trainings and the running retargets onto it, removes the
    /// actor, its model versions and its training jobs (rows and media: the footage), and its models' files, with one
    /// record for the actor and one per training job. Retarget jobs rendered onto it keep their rows and outputs.
    /// </summary>
    public async Task<DeletionOutcome> DeleteActor(Guid tenantId, Guid actorId, CancellationToken cancellationToken)
    {
        List<(Guid Id, JobState State)> users;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Actors.AnyAsync(a => a.Id == actorId && a.TenantId == tenantId, cancellationToken))
            {
                return await Missing(db, tenantId, DeletionSubjects.Actor, actorId, cancellationToken);
            }

            users = [.. (await db.Jobs.AsNoTracking().Where(j => j.ActorId == actorId && j.TenantId == tenantId)
                .Select(j => new { j.Id, j.State }).ToListAsync(cancellationToken)).Select(j => (j.Id, j.State))];
        }

        // Its trainings, and retargets onto it (they read its footage and its generator): none of them can finish without them.
        var cancelled = await CancelRunning([.. users.Where(u => !JobStates.IsTerminal(u.State)).Select(u => u.Id)], cancellationToken);
        var erased = await Erase(
            async db =>
            {
                // The actor's row first: its lock makes a training submitted meanwhile for it wait, then fail, instead of
                // leaving a job behind; the trainings are listed after it, so every one committed before is included.
                if (await db.Actors.Where(a => a.Id == actorId && a.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken) == 0)
                {
                    return null;
                }

                var trainings = await db.Jobs.Where(j => j.ActorId == actorId && j.Kind == JobKinds.TrainActor)
                    .Select(j => new { j.Id, j.Kind }).ToListAsync(cancellationToken);
                var ids = trainings.Select(t => t.Id).ToList();
                await db.Jobs.Where(j => ids.Contains(j.Id)).ExecuteDeleteAsync(cancellationToken);
                await db.JobEvents.Where(e => e.JobId != null && ids.Contains(e.JobId.Value)).ExecuteDeleteAsync(cancellationToken);
                await db.ActorModels.Where(m => m.ActorId == actorId).ExecuteDeleteAsync(cancellationToken); // cascaded already; never left behind
                return [Record(tenantId, DeletionSubjects.Actor, actorId, null, actorId), .. trainings.Select(t => Record(tenantId, DeletionSubjects.Job, t.Id, t.Kind, actorId))];
            },
            cancellationToken);
        if (erased is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await Missing(db, tenantId, DeletionSubjects.Actor, actorId, cancellationToken);
        }

        var (records, complete) = erased.Value;
        logger.LogInformation(
            "Actor {ActorId} deleted at the studio's request with {Jobs} training job(s) ({Cancelled} running job(s) cancelled first): {Files} file(s), {Bytes} bytes",
            actorId, records.Count - 1, cancelled.Count, records.Sum(r => r.Files), records.Sum(r => r.Bytes));
        return new DeletionOutcome(DeletionStatus.Deleted) { Record = records[0], JobRecords = [.. records.Skip(1)], CancelledJobs = cancelled, Complete = complete };
    }

    /// <summary>The studio's latest deletion of a job or an actor (by request), or null: what answers 410 Gone for it.</summary>
    public static Task<Deletion?> Find(JobsDbContext db, Guid tenantId, string subject, Guid id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Deletions.AsNoTracking()
            .Where(d => d.TenantId == tenantId && d.Subject == subject && d.SubjectId == id && d.Reason == DeletionReasons.StudioRequest)
            .OrderByDescending(d => d.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    private static async Task<DeletionOutcome> Missing(JobsDbContext db, Guid tenantId, string subject, Guid id, CancellationToken cancellationToken) =>
        await Find(db, tenantId, subject, id, cancellationToken) is { } earlier
            ? new DeletionOutcome(DeletionStatus.AlreadyDeleted) { Record = earlier }
            : new DeletionOutcome(DeletionStatus.NotFound);

    private Deletion Record(Guid tenantId, string subject, Guid id, string? kind, Guid? actorId) => new()
    {
        TenantId = tenantId,
        Subject = subject,
        SubjectId = id,
        JobKind = kind,
        ActorId = actorId,
        Reason = DeletionReasons.StudioRequest,
        DeletedAt = clock.GetUtcNow(),
    };

    private async Task<List<Guid>> CancelRunning(IReadOnlyList<Guid> jobIds, CancellationToken cancellationToken)
    {
        var cancelled = new List<Guid>();
        foreach (var id in jobIds)
        {
            if (await coordinator.Cancel(id, cancellationToken))
            {
                cancelled.Add(id);
            }
        }

        return cancelled;
    }

    /// <summary>
    /// Removes the rows and writes the records in one transaction (<paramref name="removeRows"/> returns the records, or
    /// null when there was nothing left to remove), then deletes each record's prefix and counts it in the record.
    /// </summary>
    private async Task<(IReadOnlyList<Deletion> Records, bool Complete)?> Erase(Func<JobsDbContext, Task<IReadOnlyList<Deletion>?>> removeRows, CancellationToken cancellationToken)
    {
        IReadOnlyList<Deletion> records;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var removed = await removeRows(db);
            if (removed is null)
            {
                return null;
            }

            records = removed;
            db.Deletions.AddRange(records);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        // The rows are gone: the files go too, even if the caller stops waiting (whatever is left, the sweeper removes).
        var complete = true;
        foreach (var record in records)
        {
            var (_, done) = await DeletionRecords.DeleteAndCount(dbFactory, store, record, logger, CancellationToken.None);
            complete &= done;
        }

        return (records, complete);
    }
}
