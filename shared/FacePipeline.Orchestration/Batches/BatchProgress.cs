using System.Globalization;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Batches;

/// <summary>A shot of a batch as its latest job shows it (a retried shot has several jobs; <paramref name="Attempts"/> counts them).</summary>
public sealed record BatchShot(int Index, string Name, Job Job, int Attempts);

/// <summary>A batch's shots by state, as their latest jobs stand.</summary>
public sealed record ShotCounts(int Queued, int Running, int Completed, int Failed, int Cancelled)
{
    public static ShotCounts Of(IEnumerable<BatchShot> shots)
    {
        var states = shots.Select(s => s.Job.State).ToList();
        return new(
            states.Count(s => s == JobState.Queued),
            states.Count(s => s is not (JobState.Queued or JobState.Completed or JobState.Failed or JobState.Cancelled)),
            states.Count(s => s == JobState.Completed),
            states.Count(s => s == JobState.Failed),
            states.Count(s => s == JobState.Cancelled));
    }
}

/// <summary>The shots of a batch from its jobs (pure).</summary>
public static class BatchShots
{
    /// <summary>Each shot's latest job (the last created), in shot order.</summary>
    public static IReadOnlyList<BatchShot> Latest(IEnumerable<Job> jobs) =>
        [.. jobs.GroupBy(j => j.ShotIndex ?? 0)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var latest = g.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.StartedAt ?? DateTimeOffset.MaxValue).First();
                return new BatchShot(g.Key, latest.ShotName ?? BatchManifest.DefaultShotName(g.Key), latest, g.Count());
            })];

    /// <summary>The stage a shot's job is in: the running one, else none (queued, or ended).</summary>
    public static JobStage? CurrentStage(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Stages.Where(s => s.State == StageState.Running).OrderBy(s => s.Order).FirstOrDefault();
    }
}

/// <summary>
/// Measured speeds: frames per second of each stage, and frames per byte of input of each job kind (for shots whose frame
/// count is not known before their extraction).
/// </summary>
public sealed record StageRates(IReadOnlyDictionary<string, double> FramesPerSecond, IReadOnlyDictionary<string, double> FramesPerByte)
{
    /// <summary>The window of completed jobs the rates are measured over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    /// <summary>
    /// The rates of the studio's jobs completed in the last 24 h, each stage's (and each kind's frames per byte) falling back
    /// to all studios' where the studio measured none: job_stages' FramesTotal over CompletedAt − StartedAt, summed
    /// per stage (Σ frames / Σ seconds, so long stages weigh by their length); jobs' FrameCount over InputBytes, summed per kind.
    /// </summary>
    public static async Task<StageRates> Measure(JobsDbContext db, Guid tenantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var since = now - Window;
        var stages = await (
            from s in db.JobStages.AsNoTracking()
            join j in db.Jobs.AsNoTracking() on s.JobId equals j.Id
            where j.State == JobState.Completed && j.CompletedAt >= since && j.Kind != JobKinds.TrainActor
                && s.StartedAt != null && s.CompletedAt != null && s.FramesTotal > 0
            select new { j.TenantId, s.Name, s.FramesTotal, Started = s.StartedAt!.Value, Completed = s.CompletedAt!.Value })
            .ToListAsync(cancellationToken);
        var sizes = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Completed && j.CompletedAt >= since && j.FrameCount != null && j.InputBytes > 0 && j.Kind != JobKinds.TrainActor)
            .Select(j => new { j.TenantId, j.Kind, Frames = j.FrameCount!.Value, j.InputBytes })
            .ToListAsync(cancellationToken);

        Dictionary<string, double> Speeds(Func<Guid, bool> whose) => stages
            .Where(s => whose(s.TenantId))
            .GroupBy(s => s.Name)
            .Select(g => (g.Key, Frames: g.Sum(s => (double)s.FramesTotal), Seconds: g.Sum(s => (s.Completed - s.Started).TotalSeconds)))
            .Where(g => g.Seconds > 0)
            .ToDictionary(g => g.Key, g => g.Frames / g.Seconds, StringComparer.Ordinal);
        Dictionary<string, double> Densities(Func<Guid, bool> whose) => sizes
            .Where(s => whose(s.TenantId))
            .GroupBy(s => s.Kind)
            .ToDictionary(g => g.Key, g => g.Sum(s => (double)s.Frames) / g.Sum(s => (double)s.InputBytes), StringComparer.Ordinal);

        return new StageRates(
            Merge(Speeds(t => t == tenantId), Speeds(_ => true)),
            Merge(Densities(t => t == tenantId), Densities(_ => true)));
    }

    private static Dictionary<string, double> Merge(Dictionary<string, double> own, Dictionary<string, double> everyone)
    {
        foreach (var (key, value) in everyone)
        {
            own.TryAdd(key, value);
        }

        return own;
    }
}

/// <summary>A batch's expected time to end, or why there is none.</summary>
public sealed record EtaEstimate(double? Seconds, string? Reason);

/// <summary>
/// How long a batch's unfinished shots should take, from measured stage speeds (<see cref="StageRates"/>).
/// <para>
/// Formula: for every unfinished shot and every stage of its job that has not completed, the frames left are
/// <c>FramesTotal − FramesDone</c> when the stage knows its total, else the shot's frame count (measured by extraction,
/// or before it <c>InputBytes × frames per byte</c> of its kind); the stage's work is those frames over the stage's measured
/// frames per second. ETA = Σ work / parallelism, where parallelism is the shots that can run at once: the unfinished
/// shots, at most the studio's running cap (and, for overnight work, at most <c>Scheduling:MaxRunningJobs</c>).
/// With no measured speed for a stage, or no frame count and no frames-per-byte, there is no ETA, and the reason says why.
/// </para>
/// </summary>
public static class BatchEta
{
    public static EtaEstimate Estimate(IReadOnlyList<Job> unfinished, StageRates rates, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(unfinished);
        ArgumentNullException.ThrowIfNull(rates);
        if (unfinished.Count == 0)
        {
            return new EtaEstimate(0, null);
        }

        var work = 0.0;
        foreach (var job in unfinished)
        {
            var frames = job.FrameCount is { } count ? count
                : rates.FramesPerByte.TryGetValue(job.Kind, out var perByte) ? job.InputBytes * perByte
                : (double?)null;
            foreach (var stage in job.Stages.Where(s => s.State is StageState.Pending or StageState.Running))
            {
                var left = stage.FramesTotal > 0 ? Math.Max(0, stage.FramesTotal - stage.FramesDone) : frames;
                if (left is null)
                {
                    return new EtaEstimate(null, $"Shot '{job.ShotName}' has not been measured yet (its frames are counted by extraction) and no {job.Kind} job completed in the last 24 h to estimate frames from file size.");
                }

                if (!rates.FramesPerSecond.TryGetValue(stage.Name, out var speed) || speed <= 0)
                {
                    return new EtaEstimate(null, $"No {stage.Name} stage of any job completed in the last 24 h, so its speed is not measured yet.");
                }

                work += left.Value / speed;
            }
        }

        var slots = Math.Clamp(parallelism, 1, Math.Max(1, unfinished.Count));
        return new EtaEstimate(Math.Round(work / slots, 1), null);
    }

    /// <summary>Seconds as a person reads them ("2 h 05 min"), for the CLI and reports.</summary>
    public static string Describe(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes:00} min")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min {span.Seconds:00} s");
    }
}
