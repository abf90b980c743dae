using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using FacePipeline.Contracts;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Pipelines.Steps;
using FacePipeline.Orchestration.Watchdog;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// A track job's QC clip and a retarget's clips are rendered in segments by any number of workers (issue 16), on the real PostgreSQL: each
/// segment is sent once and counted once, progress is the segments' sum, the join goes out once when the last segment
/// is in, and a stalled render gets only its missing segments sent again.
/// </summary>
public sealed class SegmentedRenderTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    private const int Chunks = 150; // 1,500 frames: segments of 600, 600 and 300

    [Fact]
    public async Task A_track_render_is_cut_into_segments_each_counted_once_and_joined_once_when_the_last_is_in()
    {
        var jobId = await Rendering();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var sent = await Messages<RenderQcSegment>(db, jobId);
            Assert.Equal([(0, 0, 600), (1, 600, 600), (2, 1200, 300)], sent.Select(s => (s.Segment, s.FirstFrame, s.FrameCount)));
            Assert.Equal(
                [MediaKeys.Segment(jobId, "qc", 0, ".nut"), MediaKeys.Segment(jobId, "qc", 1, ".nut"), MediaKeys.Segment(jobId, "qc", 2, ".nut")],
                sent.Select(s => s.SegmentKey));
            Assert.All(sent, s => Assert.Equal(MediaKeys.FaceSequence(jobId, ClipNames.Source), s.SequenceKey));
            Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId));
        }

        // Segments finish in any order, one of them twice (redelivered): each counts once, the join waits for the last.
        await store.Coordinator.Handle(Rendered(jobId, 2, 300));
        await store.Coordinator.Handle(Rendered(jobId, 0, 600));
        await store.Coordinator.Handle(Rendered(jobId, 0, 600));
        Assert.Equal(900, await RenderedFrames(jobId));
        Assert.Equal(0, await Sent<RenderTrackOutputs>(jobId));

        await Task.WhenAll(Task.Run(() => store.Coordinator.Handle(Rendered(jobId, 1, 600))), Task.Run(() => store.Coordinator.Handle(Rendered(jobId, 1, 600))));
        Assert.Equal(1500, await RenderedFrames(jobId));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var join = Assert.Single(await Messages<RenderTrackOutputs>(db, jobId));
            Assert.Equal([(0, 0, 600), (1, 600, 600), (2, 1200, 300)], join.QcSegments!.Select(s => (s.Index, s.FirstFrame, s.FrameCount)));
            Assert.Equal(MediaKeys.Output(jobId, OutputNames.QcClip), join.QcClipKey);
            Assert.Equal(JobState.Rendering, (await db.Jobs.SingleAsync(j => j.Id == jobId)).State); // the join's result completes it
        }

        string[] outputs = [MediaKeys.Output(jobId, OutputNames.QcClip), MediaKeys.Output(jobId, OutputNames.Tracking), MediaKeys.Output(jobId, OutputNames.TrackingBinary)];
        await store.Coordinator.Handle(new TrackOutputsRendered(jobId, outputs[0], outputs[1], outputs[2]));
        await using var done = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Completed, (await done.Jobs.SingleAsync(j => j.Id == jobId)).State);
    }

    [Fact]
    public async Task A_sequence_result_delivered_six_times_at_once_plans_the_segments_once_and_sends_each_once()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, Chunks));
        for (var i = 0; i < Chunks; i++)
        {
            await store.Coordinator.Handle(Detected(jobId, i));
        }

        // Each delivery starts the render step (the segments are inserted) in a transaction of its own: one wins, the
        // others re-read and find the stage moved on.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => store.Coordinator.Handle(Sequenced(jobId, frames: Chunks * ChunkSize)))));

        await using var after = await store.Db.CreateDbContextAsync();
        Assert.Equal(3, await after.JobSegments.CountAsync(s => s.JobId == jobId));
        Assert.Equal([0, 1, 2], (await Messages<RenderQcSegment>(after, jobId)).Select(s => s.Segment).Order());
        Assert.Equal(JobState.Rendering, (await after.Jobs.SingleAsync(j => j.Id == jobId)).State);
    }

    [Fact]
    public async Task Segment_progress_is_the_sum_over_the_segments_and_never_moves_back()
    {
        var jobId = await Rendering();

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 120, Segment: 0));
        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 40, Segment: 2));
        Assert.Equal(160, await RenderedFrames(jobId));

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 100, Segment: 0)); // a late report
        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 9999, Segment: 1)); // never past the segment
        Assert.Equal(120 + 600 + 40, await RenderedFrames(jobId));

        await store.Coordinator.Handle(Rendered(jobId, 2, 300));
        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 60, Segment: 2)); // after its result: stale
        Assert.Equal(120 + 600 + 300, await RenderedFrames(jobId));
    }

    [Fact]
    public async Task A_stalled_segmented_render_gets_only_its_missing_segments_sent_again_and_then_the_join()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = new WatchdogOptions { StallAfter = TimeSpan.FromMinutes(5), StallPerUnit = TimeSpan.FromMilliseconds(10), MaxResends = 3 };
        var coordinator = new JobCoordinator(store.Db, store.Pipelines, store.Signal, clock, NullLogger<JobCoordinator>.Instance);
        var jobId = await Rendering(coordinator);
        await coordinator.Handle(Rendered(jobId, 1, 600));

        clock.Advance(TimeSpan.FromHours(1));
        await coordinator.ResendStalledJobs(options, default);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            Assert.Equal([0, 0, 1, 2, 2], (await Messages<RenderQcSegment>(db, jobId)).Select(s => s.Segment).Order());
        }

        await coordinator.Handle(Rendered(jobId, 0, 600));
        await coordinator.Handle(Rendered(jobId, 2, 300));
        Assert.Equal(1, await Sent<RenderTrackOutputs>(jobId));

        clock.Advance(TimeSpan.FromHours(1)); // the join's worker died: the watchdog sends the join again, no segment
        await coordinator.ResendStalledJobs(options, default);
        Assert.Equal(2, await Sent<RenderTrackOutputs>(jobId));
        Assert.Equal(5, await Sent<RenderQcSegment>(jobId));
    }

    [Fact]
    public async Task A_retarget_render_is_cut_into_segments_carrying_its_outputs_each_counted_once_and_joined_once()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitRetargetJob(
                db, jobId, store.TenantId,
                new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 10),
                new ClipInput(ClipNames.Target, "actor.mov", MediaKeys.Input(jobId, ClipNames.Target, ".mov"), 20),
                ChunkSize, RetargetSettings.Default with { Dnxhr = true }, CancellationToken.None);
        }

        foreach (var clip in new[] { ClipNames.Source, ClipNames.Target })
        {
            await store.Coordinator.Handle(Extracted(jobId, 1, clip));
            await store.Coordinator.Handle(Detected(jobId, 0, clip: clip));
            await store.Coordinator.Handle(Sequenced(jobId, clip, frames: 10));
        }

        // 1,300 output frames (the performer's clip at the actor's rate, say): segments of 600 and 700.
        await store.Coordinator.Handle(new ExpressionsTransferred(jobId, MediaKeys.Output(jobId, OutputNames.Transfer), 1300, 0));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var sent = await Messages<RenderRetargetSegment>(db, jobId);
            Assert.Equal([(0, 0, 600), (1, 600, 700)], sent.Select(s => (s.Segment, s.FirstFrame, s.FrameCount)).Order());
            Assert.Equal([MediaKeys.Segment(jobId, "retarget", 0, string.Empty), MediaKeys.Segment(jobId, "retarget", 1, string.Empty)], sent.Select(s => s.SegmentKey).Order());
            Assert.All(sent, s =>
            {
                Assert.Null(s.Outputs.Segments);
                Assert.Equal(MediaKeys.Output(jobId, OutputNames.Result), s.Outputs.ResultKey);
                Assert.Equal(MediaKeys.Output(jobId, OutputNames.ResultDnxhr), s.Outputs.DnxhrKey);
                Assert.Equal(MediaKeys.Output(jobId, OutputNames.Qc), s.Outputs.QcKey);
            });
            Assert.Empty(await Messages<RenderRetargetOutputs>(db, jobId));
        }

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 300, Segment: 1));
        await store.Coordinator.Handle(RetargetRendered(jobId, 0, 600));
        await store.Coordinator.Handle(RetargetRendered(jobId, 0, 600)); // redelivered
        Assert.Equal(900, await RenderedFrames(jobId));
        Assert.Equal(0, await Sent<RenderRetargetOutputs>(jobId));

        await Task.WhenAll(Task.Run(() => store.Coordinator.Handle(RetargetRendered(jobId, 1, 700))), Task.Run(() => store.Coordinator.Handle(RetargetRendered(jobId, 1, 700))));
        Assert.Equal(1300, await RenderedFrames(jobId));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var join = Assert.Single(await Messages<RenderRetargetOutputs>(db, jobId));
            Assert.Equal([(0, 0, 600), (1, 600, 700)], join.Segments!.Select(s => (s.Index, s.FirstFrame, s.FrameCount)));
            Assert.Equal(JobState.Rendering, (await db.Jobs.SingleAsync(j => j.Id == jobId)).State);
        }

        await store.Coordinator.Handle(new RetargetOutputsRendered(
            jobId, MediaKeys.Output(jobId, OutputNames.Result), MediaKeys.Output(jobId, OutputNames.Review), null, QcKey: MediaKeys.Output(jobId, OutputNames.Qc)));
        await using var done = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Completed, (await done.Jobs.SingleAsync(j => j.Id == jobId)).State);
    }

    private static RetargetSegmentRendered RetargetRendered(Guid jobId, int segment, int frames) =>
        new(jobId, segment, frames, MediaKeys.Segment(jobId, RenderRetargetOutputsStep.SegmentedOutput, segment, string.Empty));

    private static QcSegmentRendered Rendered(Guid jobId, int segment, int frames) =>
        new(jobId, segment, frames, MediaKeys.Segment(jobId, RenderTrackOutputsStep.QcOutput, segment, ".nut"));

    private async Task<Guid> Rendering(JobCoordinator? coordinator = null)
    {
        coordinator ??= store.Coordinator;
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".nut"), 1000, ChunkSize, CancellationToken.None);
        }

        await coordinator.Handle(Extracted(jobId, Chunks));
        for (var i = 0; i < Chunks; i++)
        {
            await coordinator.Handle(Detected(jobId, i));
        }

        await coordinator.Handle(Sequenced(jobId, frames: Chunks * ChunkSize));
        return jobId;
    }

    private async Task<int> RenderedFrames(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return (await db.JobStages.SingleAsync(s => s.JobId == jobId && s.Name == StageNames.Render)).FramesDone;
    }

    private async Task<int> Sent<T>(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return (await Messages<T>(db, jobId)).Count;
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

/// <summary>The QC clip's segment plan alone (no database: the Fast lane).</summary>
public sealed class RenderSegmentPlanTests
{
    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData(1, new[] { 1 })]
    [InlineData(600, new[] { 600 })]
    [InlineData(899, new[] { 899 })]
    [InlineData(900, new[] { 600, 300 })]
    [InlineData(1000, new[] { 600, 400 })]
    [InlineData(1500, new[] { 600, 600, 300 })]
    [InlineData(9198, new[] { 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 798 })]
    public void Segments_tile_the_clip_in_order_and_none_is_shorter_than_half_a_segment_unless_the_clip_is(int frames, int[] counts)
    {
        var plan = RenderSegments.Plan(frames);

        Assert.Equal(counts, plan.Select(p => p.FrameCount));
        Assert.Equal(0, plan[0].FirstFrame);
        Assert.All(plan.Zip(plan.Skip(1)), p => Assert.Equal(p.First.FirstFrame + p.First.FrameCount, p.Second.FirstFrame));
        Assert.Equal(frames, plan.Sum(p => p.FrameCount));
        Assert.Empty(RenderSegments.Plan(0));
    }
}
