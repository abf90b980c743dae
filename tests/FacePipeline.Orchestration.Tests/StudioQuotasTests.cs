using FacePipeline.Orchestration.Batches;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The studio caps' rules and the batch ETA's formula, without a database.</summary>
public sealed class StudioQuotasTests
{
    private static readonly StudioCaps Caps = new(MaxRunningJobs: 4, MaxQueuedJobs: 10, MaxStoredBytes: 5_000_000_000, RunningCapAction.Queue);

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_submission_within_every_cap_passes()
    {
        Assert.Null(StudioQuotas.Refusal(new StudioUsage(Queued: 5, Running: 4, StoredBytes: 1_000), Caps, new QuotaRequest(5, Interactive: false, 1_000)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Interactive_jobs_that_start_at_once_do_not_count_against_the_queued_cap()
    {
        var usage = new StudioUsage(Queued: 10, Running: 1, StoredBytes: 0);

        Assert.Null(StudioQuotas.Refusal(usage, Caps, new QuotaRequest(3, Interactive: true, 0)));
        Assert.Equal(
            "Your studio has 10 jobs waiting, the most it may queue (Scheduling:Quotas:MaxQueuedJobs or the studio's own cap); wait for some to start or cancel some.",
            StudioQuotas.Refusal(usage, Caps, new QuotaRequest(4, Interactive: true, 0)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Bytes_past_the_cap_are_refused_with_the_numbers_in_units_a_person_reads()
    {
        var refusal = StudioQuotas.Refusal(new StudioUsage(0, 0, 4_500_000_000), Caps, new QuotaRequest(1, Interactive: false, 600_000_000));

        Assert.Equal(
            "Your studio keeps 4.5 GB (4500000000 bytes) in the media store and this submission adds 600 MB (600000000 bytes), past the most it may keep, 5 GB (5000000000 bytes) (Scheduling:Quotas:MaxStoredBytes or the studio's own cap); delete jobs or uploads you no longer need (DELETE /v1/jobs/{id}), then send it again.",
            refusal);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_running_cap_refuses_only_where_the_service_is_set_to_refuse()
    {
        var atCap = new StudioUsage(0, 4, 0);

        Assert.Null(StudioQuotas.Refusal(atCap, Caps, new QuotaRequest(1, Interactive: true, 0)));
        Assert.Contains("AtRunningCap is Refuse", StudioQuotas.Refusal(atCap, Caps with { AtRunningCap = RunningCapAction.Refuse }, new QuotaRequest(1, Interactive: true, 0)), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_studios_own_caps_override_the_defaults_and_null_keeps_them()
    {
        var defaults = new QuotaOptions { MaxRunningJobs = 8, MaxQueuedJobs = 1000, MaxStoredBytes = 99 };
        var tenant = new Tenant { Name = "s", ApiKeyHash = [], MaxQueuedJobs = 3 };

        Assert.Equal(new StudioCaps(8, 3, 99, RunningCapAction.Queue), StudioCaps.Of(tenant, defaults));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_eta_is_the_frames_left_of_every_stage_over_its_measured_speed_shared_by_the_shots_that_run_at_once()
    {
        var rates = new StageRates(new Dictionary<string, double> { ["extract"] = 100, ["render"] = 10 }, new Dictionary<string, double> { ["track"] = 0.001 });
        var running = ShotJob("a", frameCount: 1000, ("extract", StageState.Completed, 1000, 1000), ("render", StageState.Running, 400, 1000));
        var queued = ShotJob("b", frameCount: null, ("extract", StageState.Pending, 0, 0), ("render", StageState.Pending, 0, 0));
        queued.InputBytes = 500_000; // 500 frames at 0.001 frames per byte

        var eta = BatchEta.Estimate([running, queued], rates, parallelism: 2);

        // a: render 600/10 = 60 s; b: extract 500/100 = 5 s + render 500/10 = 50 s; 115 s of work over 2 slots.
        Assert.Equal(new EtaEstimate(57.5, null), eta);
        Assert.Equal(new EtaEstimate(115, null), BatchEta.Estimate([running, queued], rates, parallelism: 1));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Without_a_measured_speed_or_a_way_to_count_frames_there_is_no_eta_and_the_reason_says_why()
    {
        var job = ShotJob("sh010", frameCount: null, ("extract", StageState.Pending, 0, 0));

        var unmeasured = BatchEta.Estimate([job], new StageRates(new Dictionary<string, double> { ["extract"] = 100 }, new Dictionary<string, double>()), 1);
        var noSpeed = BatchEta.Estimate([job], new StageRates(new Dictionary<string, double>(), new Dictionary<string, double> { ["track"] = 0.001 }), 1);

        Assert.Null(unmeasured.Seconds);
        Assert.Contains("Shot 'sh010' has not been measured yet", unmeasured.Reason, StringComparison.Ordinal);
        Assert.Null(noSpeed.Seconds);
        Assert.Equal("No extract stage of any job completed in the last 24 h, so its speed is not measured yet.", noSpeed.Reason);
    }

    private static Job ShotJob(string shot, int? frameCount, params (string Name, StageState State, int Done, int Total)[] stages) => new()
    {
        Id = Guid.NewGuid(),
        Kind = JobKinds.Track,
        InputFileName = "c.mov",
        InputKey = "k",
        ShotName = shot,
        FrameCount = frameCount,
        Stages = [.. stages.Select((s, i) => new JobStage { Name = s.Name, Order = i, State = s.State, FramesDone = s.Done, FramesTotal = s.Total })],
    };
}
