using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Scheduling;

/// <summary>
/// Starts queued jobs by the rules of <see cref="AdmissionPlan"/>. Every decision to start a job (a round here, or a
/// submission that starts at once) is taken under one PostgreSQL advisory lock, so any number of Ingest replicas never
/// start more than the caps allow.
/// </summary>
public sealed class JobScheduler(
    IDbContextFactory<JobsDbContext> dbFactory,
    JobCoordinator coordinator,
    IOptions<SchedulingOptions> options,
    TimeProvider clock,
    ILogger<JobScheduler> logger)
{
    /// <summary>A typical job's seconds when no job ended within the fair-share window.</summary>
    private const double DefaultJobSeconds = 60;

    /// <summary>The advisory lock every start decision holds ("FPSCHED").</summary>
    public const long AdmissionLock = 0x46_50_53_43_48_45_44;

    public SchedulingOptions Options => options.Value;

    /// <summary>Takes the admission lock for the rest of <paramref name="db"/>'s current transaction.</summary>
    public static Task LockAdmissions(JobsDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AdmissionLock})", cancellationToken);

    /// <summary>
    /// Whether a job being submitted starts at once rather than waiting queued: an interactive job of a studio under
    /// its running cap whose queue (and batch) is not paused (nor the batch being cancelled). The caller holds the admission lock.
    /// </summary>
    public static async Task<bool> StartsAtSubmission(JobsDbContext db, Job job, Batch? batch, SchedulingOptions settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.PriorityClass != JobPriorityClass.Interactive || batch?.Paused == true || batch?.CancelledAt is not null)
        {
            return false;
        }

        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == job.TenantId, cancellationToken);
        if (tenant.QueuePaused)
        {
            return false;
        }

        var running = await RunningJobs(db, job.TenantId).CountAsync(cancellationToken);
        return running < (tenant.MaxRunningJobs ?? settings.Quotas.MaxRunningJobs);
    }

    /// <summary>A studio's jobs that have started and not ended.</summary>
    public static IQueryable<Job> RunningJobs(JobsDbContext db, Guid tenantId) =>
        db.Jobs.Where(j => j.TenantId == tenantId && j.State != JobState.Queued && j.State != JobState.Completed && j.State != JobState.Failed && j.State != JobState.Cancelled);

    /// <summary>One round: starts every queued job the rules allow now; returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> StartQueuedJobs(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockAdmissions(db, cancellationToken);
        var queued = await (
            from job in db.Jobs.AsNoTracking()
            where job.State == JobState.Queued
            join batch in db.Batches on job.BatchId equals batch.Id into batches
            from batch in batches.DefaultIfEmpty()
            select new QueuedJob(job.Id, job.TenantId, job.PriorityClass, job.Priority, job.CreatedAt, job.ShotIndex ?? 0, batch != null && (batch.Paused || batch.CancelledAt != null)))
            .ToListAsync(cancellationToken);
        if (queued.Count == 0)
        {
            return [];
        }

        // Every job that ran within the fair-share window: the running ones, and the worker time each studio used.
        var now = clock.GetUtcNow();
        var windowStart = now - settings.FairShareWindow;
        var recent = await db.Jobs.AsNoTracking()
            .Where(j => j.State != JobState.Queued && j.StartedAt != null && (j.CompletedAt == null || j.CompletedAt > windowStart))
            .Select(j => new { j.TenantId, StartedAt = j.StartedAt!.Value, j.CompletedAt })
            .ToListAsync(cancellationToken);
        var ended = recent.Where(j => j.CompletedAt is not null).Select(j => (j.CompletedAt!.Value - j.StartedAt).TotalSeconds).ToList();
        var jobSeconds = ended.Count > 0 ? Math.Max(1, ended.Average()) : DefaultJobSeconds;
        var running = await db.Jobs.AsNoTracking()
            .Where(j => j.State != JobState.Queued && j.State != JobState.Completed && j.State != JobState.Failed && j.State != JobState.Cancelled)
            .GroupBy(j => j.TenantId)
            .Select(g => new { TenantId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.TenantId, g => g.Count, cancellationToken);
        var used = recent
            .GroupBy(j => j.TenantId)
            .ToDictionary(g => g.Key, g => g.Sum(j => Math.Max(0, ((j.CompletedAt ?? now) - (j.StartedAt > windowStart ? j.StartedAt : windowStart)).TotalSeconds)));
        var tenantIds = queued.Select(j => j.TenantId).Concat(running.Keys).Distinct().ToList();
        var studios = (await db.Tenants.AsNoTracking().Where(t => tenantIds.Contains(t.Id)).ToListAsync(cancellationToken))
            .Select(t => new StudioSlots(t.Id, t.Weight, t.MaxRunningJobs ?? settings.Quotas.MaxRunningJobs, t.QueuePaused, running.GetValueOrDefault(t.Id), used.GetValueOrDefault(t.Id)))
            .ToList();

        var started = new List<Guid>();
        foreach (var job in AdmissionPlan.Choose(studios, queued, settings.MaxRunningJobs, jobSeconds))
        {
            if (await coordinator.Start(job.JobId, cancellationToken))
            {
                started.Add(job.JobId);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        if (started.Count > 0)
        {
            logger.LogInformation("Scheduler: started {Count} queued job(s); {Waiting} still waiting", started.Count, queued.Count - started.Count);
        }

        return started;
    }
}
