using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using FacePipeline.Contracts;
using FacePipeline.Orchestration.Watchdog;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// The watchdog on the real PostgreSQL, with a clock the test moves: a stage that stops progressing gets its outstanding
/// commands sent again (and only those), a stage that moves is left alone, and one that never moves again fails its job
/// as the server's fault instead of hanging.
/// </summary>
public sealed class JobWatchdogTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    private static readonly WatchdogOptions Options = new() { StallAfter = TimeSpan.FromMinutes(5), StallPerUnit = TimeSpan.FromSeconds(1), MaxResends = 2 };

    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

    private JobCoordinator Coordinator => new(store.Db, store.Pipelines, store.Signal, _clock, NullLogger<JobCoordinator>.Instance);

    [Fact]
    public async Task A_stalled_stage_gets_only_its_outstanding_commands_sent_again()
    {
        var jobId = await SubmitAndExtract(chunks: 4);
        await Coordinator.Handle(Detected(jobId, 0));
        await Coordinator.Handle(Detected(jobId, 1));

        _clock.Advance(Options.StallLimit(2 * ChunkSize) - TimeSpan.FromSeconds(1));
        await Coordinator.ResendStalledJobs(Options, default);
        Assert.Equal(4, await Sent<ReconstructFaces>(jobId)); // not stalled yet: the stage has two chunks' worth of time

        _clock.Advance(TimeSpan.FromSeconds(2));
        await Coordinator.ResendStalledJobs(Options, default);

        await using var db = await store.Db.CreateDbContextAsync();
        var sent = (await Messages<ReconstructFaces>(db, jobId)).Select(c => c.Chunk.Index).Order();
        Assert.Equal([0, 1, 2, 2, 3, 3], sent); // chunks 2 and 3 again; 0 and 1 are done
        Assert.Equal(1, (await db.Jobs.SingleAsync(j => j.Id == jobId)).StallResends);
        await Coordinator.ResendStalledJobs(Options, default);
        Assert.Equal(6, await Sent<ReconstructFaces>(jobId)); // the re-send is progress of a kind: the clock starts again
    }

    [Fact]
    public async Task A_stage_that_moves_after_a_resend_is_left_alone_and_its_count_starts_again()
    {
        var jobId = await SubmitAndExtract(chunks: 2);
        _clock.Advance(Options.StallLimit(2 * ChunkSize) + TimeSpan.FromSeconds(1));
        await Coordinator.ResendStalledJobs(Options, default);
        Assert.Equal(1, await Resends(jobId));

        await Coordinator.Handle(Detected(jobId, 0));
        Assert.Equal(0, await Resends(jobId));
        _clock.Advance(Options.StallLimit(ChunkSize) - TimeSpan.FromSeconds(1));
        await Coordinator.ResendStalledJobs(Options, default);
        Assert.Equal(4, await Sent<ReconstructFaces>(jobId));
    }

    [Fact]
    public async Task A_stage_still_stalled_after_its_last_resend_fails_the_job_as_the_servers_fault()
    {
        var jobId = await SubmitAndExtract(chunks: 1);
        for (var round = 0; round <= Options.MaxResends; round++)
        {
            _clock.Advance(Options.StallLimit(ChunkSize) + TimeSpan.FromSeconds(1));
            await Coordinator.ResendStalledJobs(Options, default);
        }

        await using var db = await store.Db.CreateDbContextAsync();
        var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal((FailureCodes.Internal, StageNames.Reconstruct), (job.FailureCode, job.FailedStage));
        Assert.Contains("made no progress", job.FailureReason, StringComparison.Ordinal);
        Assert.Contains("not of your footage", job.FailureReason, StringComparison.Ordinal);
        Assert.Equal($"stalled-{jobId:N}", job.FailureCorrelationId);
        Assert.Equal(1 + Options.MaxResends, (await Messages<ReconstructFaces>(db, jobId)).Count);
    }

    [Fact]
    public async Task A_lost_extraction_is_sent_again_with_the_chunk_size_the_studio_asked_for()
    {
        var jobId = await Submit(chunkSize: 24);
        _clock.Advance(Options.StallAfter + TimeSpan.FromSeconds(1));
        await Coordinator.ResendStalledJobs(Options, default);

        await using var db = await store.Db.CreateDbContextAsync();
        var extractions = await Messages<ExtractFrames>(db, jobId);
        Assert.Equal(2, extractions.Count);
        Assert.All(extractions, e => Assert.Equal(24, e.ChunkSize));
    }

    [Fact]
    public async Task A_stage_that_counts_its_frames_only_when_done_is_given_the_clips_frames()
    {
        var jobId = await SubmitAndExtract(chunks: 4); // 40 frames
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            // As a transfer is while it runs: no total yet.
            var stage = await db.JobStages.SingleAsync(s => s.JobId == jobId && s.Name == StageNames.Reconstruct);
            (stage.FramesTotal, stage.FramesDone) = (0, 0);
            await db.SaveChangesAsync();
        }

        _clock.Advance(Options.StallAfter + TimeSpan.FromSeconds(1));
        await Coordinator.ResendStalledJobs(Options, default);
        Assert.Equal(0, await Resends(jobId)); // 40 frames' worth of time is still left

        _clock.Advance(Options.StallLimit(4 * ChunkSize) - Options.StallAfter);
        await Coordinator.ResendStalledJobs(Options, default);
        Assert.Equal(1, await Resends(jobId));
    }

    [Fact]
    public async Task Ended_jobs_are_never_resent()
    {
        var jobId = await SubmitAndExtract(chunks: 2);
        Assert.True(await Coordinator.Cancel(jobId, default));
        _clock.Advance(TimeSpan.FromDays(1));
        await Coordinator.ResendStalledJobs(Options, default);

        Assert.Equal(2, await Sent<ReconstructFaces>(jobId));
        Assert.Equal(0, await Resends(jobId));
    }

    private async Task<Guid> Submit(int chunkSize = ChunkSize)
    {
        var jobId = Guid.NewGuid();
        await using var db = await store.Db.CreateDbContextAsync();
        await new JobSubmission(store.Pipelines, store.Signal, _clock).SubmitTrackJob(
            db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, chunkSize, CancellationToken.None);
        return jobId;
    }

    private async Task<Guid> SubmitAndExtract(int chunks)
    {
        var jobId = await Submit();
        await Coordinator.Handle(Extracted(jobId, chunks));
        return jobId;
    }

    private async Task<int> Sent<T>(Guid jobId)
        where T : class
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return (await Messages<T>(db, jobId)).Count;
    }

    private async Task<int> Resends(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return (await db.Jobs.SingleAsync(j => j.Id == jobId)).StallResends;
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}

/// <summary>How long a stage may go without news (no database: the Fast lane).</summary>
public sealed class WatchdogStallLimitTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void A_stage_with_more_work_outstanding_is_given_longer()
    {
        var options = new WatchdogOptions { StallAfter = TimeSpan.FromMinutes(5), StallPerUnit = TimeSpan.FromSeconds(1), MaxResends = 2 };
        Assert.Equal(TimeSpan.FromMinutes(5), options.StallLimit(0));
        Assert.Equal(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(640), options.StallLimit(640));
        Assert.Equal(TimeSpan.FromMinutes(5), options.StallLimit(-3)); // figures that do not add up never shorten it
    }
}
