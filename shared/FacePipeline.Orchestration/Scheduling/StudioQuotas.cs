using System.Globalization;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Scheduling;

/// <summary>What a studio uses now: jobs waiting, jobs running, bytes kept in the media store.</summary>
public sealed record StudioUsage(int Queued, int Running, long StoredBytes);

/// <summary>A studio's effective caps: its own row's where set, else <c>Scheduling:Quotas</c>'.</summary>
public sealed record StudioCaps(int MaxRunningJobs, int MaxQueuedJobs, long MaxStoredBytes, RunningCapAction AtRunningCap)
{
    public static StudioCaps Of(Tenant tenant, QuotaOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(defaults);
        return new(tenant.MaxRunningJobs ?? defaults.MaxRunningJobs, tenant.MaxQueuedJobs ?? defaults.MaxQueuedJobs, tenant.MaxStoredBytes ?? defaults.MaxStoredBytes, defaults.AtRunningCap);
    }
}

/// <summary>What a submission would add: its jobs, whether they are interactive (they start at once under the running cap), their input bytes.</summary>
public sealed record QuotaRequest(int Jobs, bool Interactive, long Bytes);

/// <summary>
/// The studio's caps checked before a job or a batch is created (docs/batches.md, "Quotas"): jobs waiting against
/// MaxQueuedJobs, bytes kept (the inputs of its jobs whose media is not deleted, and its completed uploads) against
/// MaxStoredBytes, and, where <c>Scheduling:Quotas:AtRunningCap</c> is Refuse, jobs running against MaxRunningJobs.
/// A refusal is a sentence naming the cap, the numbers and what to do. The check is not taken under a lock: two
/// submissions at the same moment may both pass and go past a cap by their own size, never further.
/// </summary>
public sealed class StudioQuotas(IOptions<SchedulingOptions> options)
{
    private const string RunningSetting = "Scheduling:Quotas:MaxRunningJobs";
    private const string QueuedSetting = "Scheduling:Quotas:MaxQueuedJobs";
    private const string BytesSetting = "Scheduling:Quotas:MaxStoredBytes";

    /// <summary>The refusal of <paramref name="request"/> by the studio's caps, or null when it fits.</summary>
    public async Task<string?> Refusal(JobsDbContext db, Guid tenantId, QuotaRequest request, CancellationToken cancellationToken)
    {
        var (caps, usage) = await Measure(db, tenantId, cancellationToken);
        return Refusal(usage, caps, request);
    }

    /// <summary>The studio's effective caps and what it uses now.</summary>
    public async Task<(StudioCaps Caps, StudioUsage Usage)> Measure(JobsDbContext db, Guid tenantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, cancellationToken);
        var queued = await db.Jobs.CountAsync(j => j.TenantId == tenantId && j.State == JobState.Queued, cancellationToken);
        var running = await JobScheduler.RunningJobs(db, tenantId).CountAsync(cancellationToken);
        var inputs = await db.Jobs.Where(j => j.TenantId == tenantId && j.MediaDeletedAt == null).SumAsync(j => (long?)j.InputBytes, cancellationToken) ?? 0;
        var uploads = await db.Uploads.Where(u => u.TenantId == tenantId && u.CompletedAt != null).SumAsync(u => u.Length ?? u.Offset, cancellationToken);
        return (StudioCaps.Of(tenant, options.Value.Quotas), new StudioUsage(queued, running, inputs + uploads));
    }

    /// <summary>The caps' rules, pure: the first cap <paramref name="request"/> would pass, as a sentence; null when it fits.</summary>
    public static string? Refusal(StudioUsage usage, StudioCaps caps, QuotaRequest request)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(caps);
        ArgumentNullException.ThrowIfNull(request);
        if (caps.AtRunningCap == RunningCapAction.Refuse && usage.Running >= caps.MaxRunningJobs)
        {
            return $"Your studio runs {Jobs(usage.Running)}, the most it may run at once ({RunningSetting} or the studio's own cap), and this service refuses work past it (Scheduling:Quotas:AtRunningCap is Refuse); wait for a job to end or cancel one, then send it again.";
        }

        // Interactive jobs under the running cap start at once; the rest wait.
        var queuing = request.Interactive ? Math.Max(0, request.Jobs - Math.Max(0, caps.MaxRunningJobs - usage.Running)) : request.Jobs;
        if (queuing > 0 && usage.Queued + queuing > caps.MaxQueuedJobs)
        {
            return usage.Queued >= caps.MaxQueuedJobs
                ? $"Your studio has {Jobs(usage.Queued)} waiting, the most it may queue ({QueuedSetting} or the studio's own cap); wait for some to start or cancel some."
                : $"Your studio has {Jobs(usage.Queued)} waiting and this submission would queue {N(queuing)} more, past the most it may queue, {N(caps.MaxQueuedJobs)} ({QueuedSetting} or the studio's own cap); wait for some to start, cancel some, or send fewer shots.";
        }

        if (usage.StoredBytes + request.Bytes > caps.MaxStoredBytes)
        {
            return $"Your studio keeps {Bytes(usage.StoredBytes)} in the media store and this submission adds {Bytes(request.Bytes)}, past the most it may keep, {Bytes(caps.MaxStoredBytes)} ({BytesSetting} or the studio's own cap); delete jobs or uploads you no longer need (DELETE /v1/jobs/{{id}}), then send it again.";
        }

        return null;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Jobs(int count) => count == 1 ? "1 job" : $"{N(count)} jobs";

    /// <summary>Bytes as a person reads them: exact below 1 MB, else in MB, GB or TB with one decimal (and the exact count).</summary>
    private static string Bytes(long bytes) => bytes switch
    {
        < 1_000_000 => $"{N(bytes)} bytes",
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.#} MB ({bytes} bytes)"),
        < 1_000_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.#} GB ({bytes} bytes)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e12:0.#} TB ({bytes} bytes)"),
    };
}
