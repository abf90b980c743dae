using FacePipeline.Contracts;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Batches;

/// <summary>What retrying a batch's failed shots did: the new jobs, and the failed shots that could not be retried and why.</summary>
public sealed record RetryOutcome(IReadOnlyList<Guid> NewJobs, IReadOnlyList<string> NotRetried);

/// <summary>
/// What a studio does to a batch once submitted: pause and resume it (running shots finish; nothing new of it starts while
/// paused), cancel its unended shots, retry its failed shots. Every change of the batch row is taken under its xmin and
/// tried again from a fresh read on a conflict (a shot ending at the same moment counts itself on the same row).
/// </summary>
public sealed class BatchControl(
    IDbContextFactory<JobsDbContext> dbFactory,
    JobCoordinator coordinator,
    JobSubmission submission,
    MediaStore store,
    TimeProvider clock,
    SchedulerSignal schedulerSignal)
{
    private const int MaxConcurrencyRetries = 20;

    /// <summary>Frames per chunk of jobs submitted before the job kept its chunk size (Ingest's default at that time): a retried shot is cut as it was.</summary>
    private const int DefaultChunkSize = 64;

    /// <summary>Pauses or resumes the batch; a resume wakes the scheduler.</summary>
    public async Task SetPaused(Guid batchId, bool paused, CancellationToken cancellationToken)
    {
        await UpdateBatch(batchId, b => b.Paused = paused, cancellationToken);
        if (!paused)
        {
            schedulerSignal.Notify();
        }
    }

    /// <summary>
    /// Cancels every shot of the batch that has not ended (queued or running), through the coordinator, and stamps the
    /// batch's <see cref="Batch.CancelledAt"/> unless it had already ended; returns how many shots it cancelled. The stamp
    /// comes first: from then on the scheduler starts none of the batch's queued shots (a running shot cancelled frees a
    /// slot, which would otherwise go to the next shot of the same batch), and the queued shots are cancelled before the
    /// running ones.
    /// </summary>
    public async Task<int> Cancel(Guid batchId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await UpdateBatch(batchId, b => b.CancelledAt ??= b.State == BatchState.Running ? now : null, cancellationToken);
        List<Guid> unended;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            unended = [.. BatchShots.Latest(await db.Jobs.AsNoTracking().Where(j => j.BatchId == batchId).ToListAsync(cancellationToken))
                .Where(s => !s.Job.IsTerminal)
                .OrderBy(s => s.Job.State == JobState.Queued ? 0 : 1)
                .Select(s => s.Job.Id)];
        }

        var cancelled = 0;
        foreach (var jobId in unended)
        {
            cancelled += await coordinator.Cancel(jobId, cancellationToken) ? 1 : 0;
        }

        return cancelled;
    }

    /// <summary>
    /// A new job for every shot whose latest job failed: the same shot, index, kind, settings, placement and inputs (copied
    /// under the new job's own prefix, so each job's media is deleted with it). The batch counts those shots as not ended
    /// and runs again. Null when no shot failed. A shot whose inputs are gone (retention) or whose actor was deleted is
    /// left failed, and named in <see cref="RetryOutcome.NotRetried"/>.
    /// </summary>
    public async Task<RetryOutcome?> RetryFailed(Guid batchId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var copied = new List<Guid>();
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var batch = await db.Batches.SingleAsync(b => b.Id == batchId, cancellationToken);
                var jobs = await db.Jobs.AsNoTracking().Include(j => j.Clips).Where(j => j.BatchId == batchId).ToListAsync(cancellationToken);
                var failed = BatchShots.Latest(jobs).Where(s => s.Job.State == JobState.Failed).ToList();
                if (failed.Count == 0)
                {
                    return null;
                }

                var notRetried = new List<string>();
                var retried = new List<Guid>();
                foreach (var shot in failed)
                {
                    var newId = Guid.NewGuid();
                    copied.Add(newId);
                    if (await Retry(db, shot, newId, cancellationToken) is { } reason)
                    {
                        notRetried.Add($"{BatchManifest.RowLabel(shot.Index, shot.Name)}: {reason}");
                        continue;
                    }

                    retried.Add(newId);
                }

                if (retried.Count > 0)
                {
                    batch.ShotsEnded -= retried.Count;
                    batch.State = BatchState.Running;
                    batch.CancelledAt = null; // a cancelled batch retried runs again: the scheduler holds a cancelled batch's shots
                    batch.EndedAt = null;
                    await db.SaveChangesAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                }

                foreach (var unused in copied.Except(retried))
                {
                    store.DeletePrefix(MediaKeys.JobPrefix(unused));
                }

                return new RetryOutcome(retried, notRetried);
            }
            catch (Exception error)
            {
                foreach (var jobId in copied)
                {
                    store.DeletePrefix(MediaKeys.JobPrefix(jobId));
                }

                if (error is DbUpdateConcurrencyException && attempt < MaxConcurrencyRetries)
                {
                    continue; // a shot ended meanwhile: read the batch again
                }

                throw;
            }
        }
    }

    /// <summary>Adds the new job of a failed shot to <paramref name="db"/>'s transaction; the reason when it cannot be retried.</summary>
    private async Task<string?> Retry(JobsDbContext db, BatchShot shot, Guid newId, CancellationToken cancellationToken)
    {
        var old = shot.Job;
        if (old.MediaDeletedAt is not null)
        {
            return "its inputs were deleted by retention; submit it again in a new batch.";
        }

        var placement = new JobPlacement(old.PriorityClass, old.Priority, old.BatchId, old.ShotName, old.ShotIndex);
        var chunkSize = old.ChunkSize ?? DefaultChunkSize;
        var source = old.Clips.Single(c => c.Name == ClipNames.Source);
        if (!store.Exists(source.InputKey))
        {
            return "its inputs are no longer in the media store; submit it again in a new batch.";
        }

        if (old.Kind == JobKinds.Retarget && old.ActorId is { } actorId)
        {
            var settings = JobSettings.Retarget(old);
            var model = await db.ActorModels.AsNoTracking()
                .SingleOrDefaultAsync(m => m.ActorId == actorId && m.Version == settings.ActorModelVersion && m.State == ActorModelState.Ready, cancellationToken);
            if (model is null)
            {
                return $"the model version {settings.ActorModelVersion} of actor {actorId} is gone; retarget onto another actor in a new batch.";
            }

            var input = JobInputCopies.Copy(store, source.InputKey, newId, ClipNames.Source);
            await submission.SubmitRetargetOntoActor(db, newId, old.TenantId, new ClipInput(ClipNames.Source, source.InputFileName, input, source.InputBytes), model, chunkSize, settings, cancellationToken, placement);
            return null;
        }

        if (old.Clips.FirstOrDefault(c => !store.Exists(c.InputKey)) is not null)
        {
            return "its inputs are no longer in the media store; submit it again in a new batch.";
        }

        var now = clock.GetUtcNow();
        var clips = old.Clips.Select(c => new JobClip
        {
            JobId = newId,
            Name = c.Name,
            InputFileName = c.InputFileName,
            InputKey = JobInputCopies.Copy(store, c.InputKey, newId, c.Name),
            InputBytes = c.InputBytes,
        }).ToList();
        var job = new Job
        {
            Id = newId,
            TenantId = old.TenantId,
            Kind = old.Kind,
            InputFileName = old.InputFileName,
            InputKey = clips.Single(c => c.Name == ClipNames.Source).InputKey,
            InputBytes = old.InputBytes,
            MaxFaces = old.MaxFaces,
            NeutralFrame = old.NeutralFrame,
            FacePointX = old.FacePointX,
            FacePointY = old.FacePointY,
            Settings = old.Settings,
            CreatedAt = now,
            UpdatedAt = now,
            Clips = clips,
        };
        placement.ApplyTo(job);
        await submission.Submit(db, job, chunkSize, cancellationToken);
        return null;
    }

    /// <summary>Changes the batch row under its xmin, from a fresh read on every conflict.</summary>
    private async Task UpdateBatch(Guid batchId, Action<Batch> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var batch = await db.Batches.SingleAsync(b => b.Id == batchId, cancellationToken);
            change(batch);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxConcurrencyRetries)
            {
                // a shot ended meanwhile: read the row again
            }
        }
    }
}

/// <summary>
/// A job's own copy of an input (a batch's file part used by several shots, an upload, a retried shot's clip): every job
/// keeps its media under its own prefix, so deleting a job or its retention never touches another's files.
/// </summary>
public static class JobInputCopies
{
    /// <summary>
    /// Gives the job its own input of <paramref name="clip"/> (same extension) from <paramref name="fromKey"/>, atomically;
    /// returns the new key. The bytes are shared, not duplicated, where the store allows (<see cref="MediaStore.ShareOrCopy"/>):
    /// the upload and the job's input are one file on disk under two keys, each deleted on its own schedule.
    /// </summary>
    public static string Copy(MediaStore store, string fromKey, Guid jobId, string clip)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(fromKey);
        var extension = Path.GetExtension(fromKey);
        var key = MediaKeys.Input(jobId, clip, extension.Length is > 1 and <= 8 ? extension : ".bin");
        store.ShareOrCopy(fromKey, key);
        return key;
    }
}
