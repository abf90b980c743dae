using FacePipeline.Orchestration.Batches;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Api;

/// <summary>A batch as the API shows it: its settings, its shots' counts by state, each shot's latest job and an ETA.</summary>
/// <param name="State">running, or ended (every shot completed, failed or cancelled).</param>
/// <param name="EtaSeconds">Seconds until every shot should have ended (docs/batches.md, "Batch API"); null with <paramref name="EtaReason"/> when it cannot be estimated.</param>
public sealed record BatchResponse(
    Guid Id,
    string? Name,
    string State,
    bool Ended,
    bool Paused,
    string Class,
    int Priority,
    int ShotCount,
    int ShotsEnded,
    ShotCounts Counts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? CancelledAt,
    double? EtaSeconds,
    string? EtaReason,
    string OutputsUrl,
    IReadOnlyList<ShotResponse> Shots);

/// <summary>A shot: its name and row, its latest job (a retried shot has had <paramref name="Attempts"/>), where that job is and why it failed.</summary>
/// <param name="Stage">The stage running now; null while queued and once ended.</param>
/// <param name="Stages">Every stage of the latest job with its progress, as GET /v1/jobs/{id} shows them (a batch's shots count frames).</param>
public sealed record ShotResponse(string Shot, int Index, Guid JobId, string Kind, string State, string? Stage, int FramesDone, int FramesTotal, int Attempts, ShotFailureResponse? Failure, IReadOnlyList<StageResponse> Stages);

public sealed record ShotFailureResponse(string? Stage, string? Code, string Reason);

/// <summary>A batch in a list: what it is and its counts, without its shots (GET /v1/batches/{id} has them).</summary>
public sealed record BatchSummaryResponse(Guid Id, string? Name, string State, bool Paused, string Class, int Priority, int ShotCount, int ShotsEnded, ShotCounts Counts, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt, string Url);

public sealed record BatchPageResponse(IReadOnlyList<BatchSummaryResponse> Items, int Page, int PageSize, int Total);

/// <summary>The studio's queue: paused or not, its jobs running and waiting, the bytes it keeps, and the caps in force for it.</summary>
public sealed record QueueResponse(bool Paused, int Running, int Queued, long StoredBytes, int Weight, QueueCapsResponse Caps);

/// <param name="AtRunningCap">queue (jobs past the running cap wait) or refuse (429).</param>
public sealed record QueueCapsResponse(int MaxRunningJobs, int MaxQueuedJobs, long MaxStoredBytes, string AtRunningCap);

/// <summary>Builds the batch answers from the job store.</summary>
public static class BatchViews
{
    /// <summary>The batch with its shots and ETA (<see cref="BatchEta"/>).</summary>
    public static async Task<BatchResponse> Of(JobsDbContext db, Batch batch, SchedulingOptions scheduling, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(scheduling);
        var jobs = await db.Jobs.AsNoTracking().Include(j => j.Stages).Where(j => j.BatchId == batch.Id).ToListAsync(cancellationToken);
        var shots = BatchShots.Latest(jobs);
        var unfinished = shots.Where(s => !s.Job.IsTerminal).Select(s => s.Job).ToList();
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == batch.TenantId, cancellationToken);
        EtaEstimate eta;
        if (unfinished.Count > 0 && (batch.Paused || tenant.QueuePaused))
        {
            eta = new EtaEstimate(null, batch.Paused ? $"The batch is paused: resume it (POST /v1/batches/{batch.Id}/resume) and its shots start again." : "Your studio's queue is paused: resume it (POST /v1/queue/resume) and the shots start again.");
        }
        else
        {
            var parallelism = Math.Min(tenant.MaxRunningJobs ?? scheduling.Quotas.MaxRunningJobs, batch.PriorityClass == JobPriorityClass.Overnight ? scheduling.MaxRunningJobs : int.MaxValue);
            eta = unfinished.Count == 0 ? new EtaEstimate(0, null) : BatchEta.Estimate(unfinished, await StageRates.Measure(db, batch.TenantId, now, cancellationToken), parallelism);
        }

        return new BatchResponse(
            batch.Id,
            batch.Name,
            Lower(batch.State),
            batch.State == BatchState.Ended,
            batch.Paused,
            Lower(batch.PriorityClass),
            batch.Priority,
            batch.ShotCount,
            batch.ShotsEnded,
            ShotCounts.Of(shots),
            batch.CreatedAt,
            batch.EndedAt,
            batch.CancelledAt,
            eta.Seconds,
            eta.Reason,
            $"/v1/batches/{batch.Id}/outputs.zip",
            [.. shots.Select(shot => Shot(shot, now))]);
    }

    /// <summary>One page of batches with their counts.</summary>
    public static async Task<IReadOnlyList<BatchSummaryResponse>> Summaries(JobsDbContext db, IReadOnlyList<Batch> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(batches);
        var ids = batches.Select(b => b.Id).ToList();
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.BatchId != null && ids.Contains(j.BatchId.Value)).ToListAsync(cancellationToken);
        var byBatch = jobs.ToLookup(j => j.BatchId!.Value);
        return [.. batches.Select(b => new BatchSummaryResponse(
            b.Id,
            b.Name,
            Lower(b.State),
            b.Paused,
            Lower(b.PriorityClass),
            b.Priority,
            b.ShotCount,
            b.ShotsEnded,
            ShotCounts.Of(BatchShots.Latest(byBatch[b.Id])),
            b.CreatedAt,
            b.EndedAt,
            $"/v1/batches/{b.Id}"))];
    }

    public static QueueResponse Queue(Tenant tenant, StudioCaps caps, StudioUsage usage)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(caps);
        ArgumentNullException.ThrowIfNull(usage);
        return new QueueResponse(
            tenant.QueuePaused,
            usage.Running,
            usage.Queued,
            usage.StoredBytes,
            tenant.Weight,
            new QueueCapsResponse(caps.MaxRunningJobs, caps.MaxQueuedJobs, caps.MaxStoredBytes, Lower(caps.AtRunningCap)));
    }

    private static ShotResponse Shot(BatchShot shot, DateTimeOffset now)
    {
        var job = shot.Job;
        var stage = BatchShots.CurrentStage(job);
        return new ShotResponse(
            shot.Name,
            shot.Index,
            job.Id,
            job.Kind,
            Lower(job.State),
            stage?.Name,
            stage?.FramesDone ?? 0,
            stage?.FramesTotal ?? 0,
            shot.Attempts,
            job.State == JobState.Failed ? new ShotFailureResponse(job.FailedStage, job.FailureCode, job.FailureReason ?? "The job failed.") : null,
            [.. job.Stages.OrderBy(s => s.Order).Select(s => new StageResponse(
                s.Name,
                Lower(s.State),
                ProgressUnits.Frames, // a batch's shots are track and retarget jobs: frames (training counts steps)
                s.FramesDone,
                s.FramesTotal,
                s.StartedAt,
                s.CompletedAt,
                s.StartedAt is null ? null : ((s.CompletedAt ?? now) - s.StartedAt.Value).TotalSeconds))]);
    }

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
