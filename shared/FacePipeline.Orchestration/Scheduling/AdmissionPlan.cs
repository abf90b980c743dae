using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Scheduling;

/// <summary>
/// A studio as the scheduler sees it: its weight, its running cap, whether its queue is paused, what it runs now, and the
/// worker time its jobs used over the fair-share window (job-seconds: each running job counts its time so far).
/// </summary>
public sealed record StudioSlots(Guid TenantId, int Weight, int MaxRunningJobs, bool Paused, int Running, double UsedSeconds = 0);

/// <summary>A queued job as the scheduler sees it (<paramref name="Held"/>: its batch is paused, or being cancelled).</summary>
public sealed record QueuedJob(Guid JobId, Guid TenantId, JobPriorityClass Class, int Priority, DateTimeOffset CreatedAt, int ShotIndex, bool Held);

/// <summary>
/// Which queued jobs start now: the scheduler's rules as a pure function (docs/batches.md, "Scheduling rules").
/// <list type="number">
/// <item>A studio's jobs start in order: interactive before overnight, then priority (50 first), then submission time, then shot order.</item>
/// <item>A paused studio or a paused batch starts nothing; a studio never runs more than its cap.</item>
/// <item>Interactive jobs start at once (within their studio's cap), however many jobs run: their messages then overtake
/// queued overnight work in the broker (priority queues), so they wait about one chunk per stage.</item>
/// <item>Overnight jobs start while fewer than <c>maxRunning</c> jobs run. Each free slot goes to the studio with the
/// least worker time per unit of weight: the job-seconds it used over the fair-share window, plus a typical job's
/// seconds (<c>jobSeconds</c>) for each job it runs now or is given in this round (ties: the oldest waiting job). So
/// studios share the workers by weight over time, not only by slots at one moment (with 4 slots and weights 2:1 no
/// single moment can be 2:1), a studio whose jobs run longer gets fewer of them, and one studio's 500 queued shots do
/// not starve another's 5: a studio with little recent use wins the next free slot.</item>
/// </list>
/// </summary>
public static class AdmissionPlan
{
    public static IReadOnlyList<QueuedJob> Choose(IReadOnlyList<StudioSlots> studios, IReadOnlyList<QueuedJob> queued, int maxRunning, double jobSeconds = 60)
    {
        ArgumentNullException.ThrowIfNull(studios);
        ArgumentNullException.ThrowIfNull(queued);
        var running = studios.ToDictionary(s => s.TenantId, s => s.Running);
        var bySlots = studios.ToDictionary(s => s.TenantId);
        var total = studios.Sum(s => s.Running);
        var queues = queued
            .Where(j => !j.Held && bySlots.TryGetValue(j.TenantId, out var s) && !s.Paused)
            .OrderBy(j => j.Class)
            .ThenByDescending(j => j.Priority)
            .ThenBy(j => j.CreatedAt)
            .ThenBy(j => j.ShotIndex)
            .ThenBy(j => j.JobId)
            .GroupBy(j => j.TenantId)
            .ToDictionary(g => g.Key, g => new Queue<QueuedJob>(g));
        var chosen = new List<QueuedJob>();

        bool HasRoom(Guid tenant) => running[tenant] < bySlots[tenant].MaxRunningJobs;

        void Start(Queue<QueuedJob> queue)
        {
            var job = queue.Dequeue();
            chosen.Add(job);
            running[job.TenantId]++;
            total++;
        }

        foreach (var (tenant, queue) in queues)
        {
            while (queue.Count > 0 && queue.Peek().Class == JobPriorityClass.Interactive && HasRoom(tenant))
            {
                Start(queue);
            }
        }

        while (total < maxRunning)
        {
            var next = queues
                .Where(q => q.Value.Count > 0 && q.Value.Peek().Class != JobPriorityClass.Interactive && HasRoom(q.Key))
                .OrderBy(q => (bySlots[q.Key].UsedSeconds + ((running[q.Key] + 1) * jobSeconds)) / Math.Max(1, bySlots[q.Key].Weight))
                .ThenBy(q => q.Value.Peek().CreatedAt)
                .ThenBy(q => q.Key)
                .Select(q => q.Value)
                .FirstOrDefault();
            if (next is null)
            {
                break;
            }

            Start(next);
        }

        return chosen;
    }
}
