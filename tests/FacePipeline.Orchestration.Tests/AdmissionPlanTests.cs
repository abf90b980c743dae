using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The scheduler's rules (<see cref="AdmissionPlan"/>), as a pure function of the studios and the queue.</summary>
[Trait("Lane", "Fast")]
public sealed class AdmissionPlanTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 19, 0, 0, TimeSpan.Zero);
    private static readonly Guid StudioA = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000000");
    private static readonly Guid StudioB = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000000");

    private static QueuedJob Job(Guid studio, int n, JobPriorityClass cls = JobPriorityClass.Overnight, int priority = 0, bool held = false) =>
        new(Guid.NewGuid(), studio, cls, priority, T0.AddSeconds(n), n, held);

    private static StudioSlots Studio(Guid id, int running = 0, int weight = 1, int cap = 100, bool paused = false, double used = 0) => new(id, weight, cap, paused, running, used);

    [Fact]
    public void An_interactive_job_starts_at_once_however_many_overnight_jobs_run()
    {
        var interactive = Job(StudioA, 60, JobPriorityClass.Interactive);
        var queue = Enumerable.Range(0, 50).Select(i => Job(StudioA, i)).Append(interactive).ToList();

        var chosen = AdmissionPlan.Choose([Studio(StudioA, running: 4)], queue, maxRunning: 4);

        Assert.Equal([interactive], chosen);
    }

    [Fact]
    public void Overnight_jobs_fill_only_the_free_slots_in_submission_order()
    {
        var queue = Enumerable.Range(0, 10).Select(i => Job(StudioA, i)).ToList();

        var chosen = AdmissionPlan.Choose([Studio(StudioA, running: 1)], queue, maxRunning: 4);

        Assert.Equal(queue.Take(3), chosen);
    }

    [Fact]
    public void Studios_of_equal_weight_get_the_slots_in_turn_so_500_queued_shots_do_not_starve_5()
    {
        var big = Enumerable.Range(0, 500).Select(i => Job(StudioA, i)).ToList();
        var small = Enumerable.Range(0, 5).Select(i => Job(StudioB, 1000 + i)).ToList();

        var chosen = AdmissionPlan.Choose([Studio(StudioA), Studio(StudioB)], [.. big, .. small], maxRunning: 4);

        Assert.Equal(2, chosen.Count(j => j.TenantId == StudioA));
        Assert.Equal(2, chosen.Count(j => j.TenantId == StudioB));
    }

    [Fact]
    public void A_studio_of_weight_three_gets_three_slots_for_each_one_of_a_studio_of_weight_one()
    {
        var a = Enumerable.Range(0, 50).Select(i => Job(StudioA, i)).ToList();
        var b = Enumerable.Range(0, 50).Select(i => Job(StudioB, i)).ToList();

        var chosen = AdmissionPlan.Choose([Studio(StudioA, weight: 3), Studio(StudioB, weight: 1)], [.. a, .. b], maxRunning: 8);

        Assert.Equal(6, chosen.Count(j => j.TenantId == StudioA));
        Assert.Equal(2, chosen.Count(j => j.TenantId == StudioB));
    }

    [Fact]
    public void A_freed_slot_goes_to_the_studio_furthest_below_its_share()
    {
        var chosen = AdmissionPlan.Choose(
            [Studio(StudioA, running: 3), Studio(StudioB, running: 0)],
            [Job(StudioA, 0), Job(StudioB, 5)],
            maxRunning: 4);

        Assert.Equal(StudioB, Assert.Single(chosen).TenantId);
    }

    [Fact]
    public void A_studio_that_used_more_worker_time_lately_waits_for_the_other_even_with_fewer_jobs_running()
    {
        var chosen = AdmissionPlan.Choose(
            [Studio(StudioA, running: 0, used: 3600), Studio(StudioB, running: 1, used: 0)],
            [Job(StudioA, 0), Job(StudioB, 5)],
            maxRunning: 2,
            jobSeconds: 60);

        Assert.Equal(StudioB, Assert.Single(chosen).TenantId);
    }

    [Fact]
    public void Within_a_studio_higher_priority_goes_first_then_the_older_job()
    {
        var old = Job(StudioA, 0);
        var urgent = Job(StudioA, 9, priority: 50);
        var late = Job(StudioA, 5, priority: -50);

        var chosen = AdmissionPlan.Choose([Studio(StudioA)], [old, late, urgent], maxRunning: 2);

        Assert.Equal([urgent, old], chosen);
    }

    [Fact]
    public void A_paused_studio_or_a_paused_batch_starts_nothing()
    {
        var held = Job(StudioB, 0, held: true);
        var chosen = AdmissionPlan.Choose(
            [Studio(StudioA, paused: true), Studio(StudioB)],
            [Job(StudioA, 0, JobPriorityClass.Interactive), Job(StudioA, 1), held],
            maxRunning: 10);

        Assert.Empty(chosen);
    }

    [Fact]
    public void A_studio_never_runs_more_than_its_cap_even_with_interactive_jobs()
    {
        var queue = Enumerable.Range(0, 5).Select(i => Job(StudioA, i, JobPriorityClass.Interactive)).ToList();

        var chosen = AdmissionPlan.Choose([Studio(StudioA, running: 1, cap: 3)], queue, maxRunning: 100);

        Assert.Equal(queue.Take(2), chosen);
    }

    [Theory]
    [InlineData(1, 1, 4, 1)]
    [InlineData(2, 1, 4, 1)]
    [InlineData(3, 1, 4, 3)]
    [InlineData(2, 1, 3, 2)]
    public void Over_a_long_run_two_studios_get_worker_time_in_their_weight_ratio(int weightA, int weightB, int slots, int bJobTicks)
    {
        // A simulated farm: every job holds a slot for its ticks (A's jobs 2 ticks, B's bJobTicks); both studios always
        // have work waiting; the fair-share window is 40 ticks. Measured: the slot-ticks each studio got.
        const int aJobTicks = 2;
        const int window = 40;
        var jobs = new List<(Guid Studio, int Start, int End)>();
        var used = new Dictionary<Guid, double> { [StudioA] = 0, [StudioB] = 0 };
        var n = 0;
        for (var tick = 0; tick < 2000; tick++)
        {
            int Running(Guid studio) => jobs.Count(j => j.Studio == studio && j.End > tick);
            double Used(Guid studio) => jobs.Where(j => j.Studio == studio && j.End > tick - window)
                .Sum(j => Math.Min(j.End, tick) - Math.Max(j.Start, tick - window));
            var queue = Enumerable.Range(0, slots).SelectMany(_ => new[] { Job(StudioA, n++), Job(StudioB, n++) }).ToList();
            var chosen = AdmissionPlan.Choose(
                [Studio(StudioA, Running(StudioA), weightA, used: Used(StudioA)), Studio(StudioB, Running(StudioB), weightB, used: Used(StudioB))],
                queue,
                maxRunning: slots,
                jobSeconds: (aJobTicks + bJobTicks) / 2.0);
            foreach (var job in chosen)
            {
                var ticks = job.TenantId == StudioA ? aJobTicks : bJobTicks;
                jobs.Add((job.TenantId, tick, tick + ticks));
                used[job.TenantId] += ticks;
            }

            jobs.RemoveAll(j => j.End <= tick - window);
        }

        var share = used[StudioA] / (used[StudioA] + used[StudioB]);
        var configured = weightA / (double)(weightA + weightB);
        Assert.InRange(share, configured - 0.05, configured + 0.05);
    }
}
