using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Events;

/// <summary>A stage in an event: its name, state and progress.</summary>
public sealed record StageSnapshot(string Name, string State, int FramesDone, int FramesTotal);

/// <summary>A job's failure in an event.</summary>
public sealed record FailureSnapshot(string? Stage, string? Code, string? Reason);

/// <summary>A job as an event shows it: the body of <c>job.*</c> events on the streams and in webhooks.</summary>
public sealed record JobSnapshot(
    Guid JobId,
    string Kind,
    string State,
    string Priority,
    Guid? BatchId,
    string? ShotName,
    IReadOnlyList<StageSnapshot> Stages,
    FailureSnapshot? Failure);

/// <summary>A batch's counts as the <c>batch.ended</c> event shows them.</summary>
public sealed record BatchSnapshot(Guid BatchId, string? Name, int Shots, int Completed, int Failed, int Cancelled);

/// <summary>
/// A webhook's body: what happened (<see cref="Type"/>), when, to which studio, and the job or the batch.
/// <see cref="Id"/> is unique per notification: a receiver that sees it twice (a retry after a lost answer) ignores it.
/// </summary>
public sealed record WebhookPayload(Guid Id, string Type, DateTimeOffset CreatedAt, Guid StudioId, JobSnapshot? Job, BatchSnapshot? Batch);

/// <summary>
/// Writes <see cref="JobEvent"/> rows (and, for a job's or batch's end, the studio's <see cref="WebhookDelivery"/>) in the
/// coordinator's transaction: the event streams and the webhooks then tell exactly what was committed, in order.
/// </summary>
public static class JobEventLog
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The type of event a change of <paramref name="job"/> from <paramref name="before"/> makes.</summary>
    public static string TypeOf(JobState before, Job job) => job.State switch
    {
        JobState.Completed when before != job.State => JobEventTypes.JobCompleted,
        JobState.Failed when before != job.State => JobEventTypes.JobFailed,
        JobState.Cancelled when before != job.State => JobEventTypes.JobCancelled,
        JobState.Queued => JobEventTypes.JobQueued,
        _ when before == JobState.Queued => JobEventTypes.JobStarted,
        _ => JobEventTypes.JobProgress,
    };

    public static JobSnapshot Snapshot(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobSnapshot(
            job.Id,
            job.Kind,
            job.State.ToString().ToLowerInvariant(),
            job.PriorityClass.ToString().ToLowerInvariant(),
            job.BatchId,
            job.ShotName,
            [.. job.Stages.OrderBy(s => s.Order).Select(s => new StageSnapshot(s.Name, s.State.ToString().ToLowerInvariant(), s.FramesDone, s.FramesTotal))],
            job.State == JobState.Failed ? new FailureSnapshot(job.FailedStage, job.FailureCode, job.FailureReason) : null);
    }

    /// <summary>Records an event of <paramref name="job"/> (and its webhook if the type is one studios are told of).</summary>
    public static async Task RecordJob(JobsDbContext db, Job job, string type, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var snapshot = Snapshot(job);
        var row = Add(db, job.TenantId, job.Id, job.BatchId, type, JsonSerializer.Serialize(snapshot, Json), now);
        if (JobEventTypes.IsNotified(type))
        {
            await AddDelivery(db, row, job.TenantId, snapshot, null, now, cancellationToken);
        }
    }

    /// <summary>
    /// Counts an ended shot on its batch (under the batch row's xmin: the shot that ends last sees all the others ended)
    /// and, when it was the last, ends the batch and records <c>batch.ended</c>.
    /// </summary>
    public static async Task CountEndedShot(JobsDbContext db, Job job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (job.BatchId is not { } batchId)
        {
            return;
        }

        var batch = await db.Batches.SingleAsync(b => b.Id == batchId, cancellationToken);
        batch.ShotsEnded++;
        if (batch.ShotsEnded < batch.ShotCount || batch.State == BatchState.Ended)
        {
            return;
        }

        batch.State = BatchState.Ended;
        batch.EndedAt = now;
        var shots = await LatestShots(db, batchId, cancellationToken);
        shots[job.ShotIndex ?? 0] = job.State; // this job's end is not saved yet
        var snapshot = new BatchSnapshot(
            batch.Id,
            batch.Name,
            shots.Count,
            shots.Values.Count(s => s == JobState.Completed),
            shots.Values.Count(s => s == JobState.Failed),
            shots.Values.Count(s => s == JobState.Cancelled));
        var row = Add(db, batch.TenantId, null, batch.Id, JobEventTypes.BatchEnded, JsonSerializer.Serialize(snapshot, Json), now);
        await AddDelivery(db, row, batch.TenantId, null, snapshot, now, cancellationToken);
    }

    /// <summary>The state of each shot's latest job (a retried shot has several), by shot index.</summary>
    public static async Task<Dictionary<int, JobState>> LatestShots(JobsDbContext db, Guid batchId, CancellationToken cancellationToken)
    {
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.BatchId == batchId)
            .Select(j => new { j.ShotIndex, j.State, j.CreatedAt })
            .ToListAsync(cancellationToken);
        return jobs.GroupBy(j => j.ShotIndex ?? 0).ToDictionary(g => g.Key, g => g.OrderByDescending(j => j.CreatedAt).First().State);
    }

    private static JobEvent Add(JobsDbContext db, Guid tenantId, Guid? jobId, Guid? batchId, string type, string data, DateTimeOffset now)
    {
        var row = new JobEvent { TenantId = tenantId, JobId = jobId, BatchId = batchId, Type = type, Data = data, CreatedAt = now };
        db.JobEvents.Add(row);
        return row;
    }

    private static async Task AddDelivery(JobsDbContext db, JobEvent row, Guid tenantId, JobSnapshot? job, BatchSnapshot? batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var url = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.WebhookUrl).SingleAsync(cancellationToken);
        if (url is null)
        {
            return;
        }

        var payload = new WebhookPayload(Guid.NewGuid(), row.Type, now, tenantId, job, batch);
        db.WebhookDeliveries.Add(new WebhookDelivery
        {
            TenantId = tenantId,
            Event = row,
            EventType = row.Type,
            Url = url,
            Payload = JsonSerializer.Serialize(payload, Json),
            NextAttemptAt = now,
            CreatedAt = now,
        });
    }
}
