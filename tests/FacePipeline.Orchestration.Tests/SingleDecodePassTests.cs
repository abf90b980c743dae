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
/// A track job's clip that decodes as exact 4:2:0 planes runs as one single-decode pass (issue 16), on the real
/// PostgreSQL: its chunks go out one after another, each taking up the state the one before left and encoding its own
/// segment of the QC clip; the sequence is built without re-linking the chunks' tracks; the render step only joins.
/// Any other clip, and any other kind, keeps its chunks side by side.
/// </summary>
public sealed class SingleDecodePassTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task A_track_clip_that_decodes_as_exact_planes_runs_its_chunks_one_after_another_each_taking_up_the_state_the_one_before_left()
    {
        var jobId = await SubmitTrack();
        await store.Coordinator.Handle(Extracted(jobId, 3) with { ExactPlanes = true });

        var first = Assert.Single(await Sent(jobId));
        Assert.Equal(0, first.Chunk.Index);
        Assert.Equal(new TrackPass(null, MediaKeys.TrackPassState(jobId, ClipNames.Source, 0), QcSegment(jobId, 0), first.Pass!.Video), first.Pass);
        Assert.Equal((640, 480, 30000L, 1001L, 30), (first.Pass.Video.Width, first.Pass.Video.Height, first.Pass.Video.FrameRateNumerator, first.Pass.Video.FrameRateDenominator, first.Pass.Video.FrameCount));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var segments = await db.JobSegments.Where(s => s.JobId == jobId).OrderBy(s => s.Index).ToListAsync();
            Assert.Equal([(0, 0, 10), (1, 10, 10), (2, 20, 10)], segments.Select(s => (s.Index, s.FirstFrame, s.FrameCount)));
            Assert.All(segments, s => Assert.Equal(RenderTrackOutputsStep.QcOutput, s.Output));
            Assert.All(segments, s => Assert.False(s.Rendered));
            Assert.True((await db.JobClips.SingleAsync(c => c.JobId == jobId)).OnePass);
        }

        await store.Coordinator.Handle(Detected(jobId, 0));
        await store.Coordinator.Handle(Detected(jobId, 0)); // redelivered: the next piece goes out once
        var sent = await Sent(jobId);
        Assert.Equal([0, 1], sent.Select(c => c.Chunk.Index));
        Assert.Equal(new TrackPass(MediaKeys.TrackPassState(jobId, ClipNames.Source, 0), MediaKeys.TrackPassState(jobId, ClipNames.Source, 1), QcSegment(jobId, 1), first.Pass.Video), sent[1].Pass);
        Assert.Equal(10, await SegmentFramesRendered(jobId));

        await store.Coordinator.Handle(Detected(jobId, 1));
        Assert.Equal(MediaKeys.TrackPassState(jobId, ClipNames.Source, 1), (await Sent(jobId))[2].Pass!.StateInKey);
        Assert.Empty(await Sequences(jobId));
        await store.Coordinator.Handle(Detected(jobId, 2));
        Assert.Equal(3, (await Sent(jobId)).Count); // no piece after the last
        var sequence = Assert.Single(await Sequences(jobId));
        Assert.True(sequence.ContinuousTracks, "the pass's track ids are the clip's: the sequence must not link them again at the chunks' bounds");
        Assert.Equal(30, await SegmentFramesRendered(jobId));

        // The render step finds every segment encoded: it sends the join straight away, no segment render.
        await store.Coordinator.Handle(Sequenced(jobId, frames: 30));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            Assert.Empty(await Messages<RenderQcSegment>(db, jobId));
            var join = Assert.Single(await Messages<RenderTrackOutputs>(db, jobId));
            Assert.Equal([QcSegment(jobId, 0), QcSegment(jobId, 1), QcSegment(jobId, 2)], join.QcSegments!.Select(s => s.Key));
            Assert.Equal([(0, 10), (10, 10), (20, 10)], join.QcSegments!.Select(s => (s.FirstFrame, s.FrameCount)));
            Assert.Equal(30, (await db.JobStages.SingleAsync(s => s.JobId == jobId && s.Name == StageNames.Render)).FramesDone);
        }

        await store.Coordinator.Handle(new TrackOutputsRendered(
            jobId, MediaKeys.Output(jobId, OutputNames.QcClip), MediaKeys.Output(jobId, OutputNames.Tracking), MediaKeys.Output(jobId, OutputNames.TrackingBinary)));
        await using var done = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Completed, (await done.Jobs.SingleAsync(j => j.Id == jobId)).State);
    }

    [Fact]
    public async Task A_track_job_asks_extraction_for_pass_chunks_of_four_chunk_sizes_and_a_retarget_for_none()
    {
        var trackId = await SubmitTrack();
        var retargetId = Guid.NewGuid();
        await using var db = await store.Db.CreateDbContextAsync();
        await store.Submission.SubmitRetargetJob(
            db, retargetId, store.TenantId,
            new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(retargetId, ClipNames.Source, ".mp4"), 10),
            new ClipInput(ClipNames.Target, "actor.mp4", MediaKeys.Input(retargetId, ClipNames.Target, ".mp4"), 20),
            ChunkSize, RetargetSettings.Default, CancellationToken.None);

        var track = Assert.Single(await Messages<ExtractFrames>(db, trackId));
        Assert.Equal((ChunkSize, ChunkSize * ReconstructFacesStep.PassChunksPerPiece), (track.ChunkSize, track.PassChunkSize));
        Assert.All(await Messages<ExtractFrames>(db, retargetId), e => Assert.Equal((ChunkSize, (int?)null), (e.ChunkSize, e.PassChunkSize)));
    }

    [Fact]
    public async Task A_track_clip_that_does_not_decode_as_exact_planes_has_its_chunks_tracked_side_by_side_and_its_QC_clip_rendered_after()
    {
        var jobId = await SubmitTrack();
        await store.Coordinator.Handle(Extracted(jobId, 3));

        var sent = await Sent(jobId);
        Assert.Equal([0, 1, 2], sent.Select(c => c.Chunk.Index));
        Assert.All(sent, c => Assert.Null(c.Pass));
        for (var i = 0; i < 3; i++)
        {
            await store.Coordinator.Handle(Detected(jobId, i));
        }

        Assert.False(Assert.Single(await Sequences(jobId)).ContinuousTracks);
        await store.Coordinator.Handle(Sequenced(jobId, frames: 30));
        await using var db = await store.Db.CreateDbContextAsync();
        Assert.Single(await Messages<RenderQcSegment>(db, jobId)); // 30 frames: one segment, rendered after the sequence
        Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId));
    }

    [Fact]
    public async Task A_house_that_renders_track_QC_in_segments_tracks_an_exact_planes_clip_side_by_side_and_renders_its_QC_clip_after()
    {
        var pipelines = JobPipelines.For(TrackQcPath.Segments); // Pipelines__TrackQc=Segments
        var coordinator = new JobCoordinator(store.Db, pipelines, store.Signal, TimeProvider.System, NullLogger<JobCoordinator>.Instance);
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await new JobSubmission(pipelines, store.Signal, TimeProvider.System).SubmitTrackJob(
                db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
            Assert.Null(Assert.Single(await Messages<ExtractFrames>(db, jobId)).PassChunkSize);
        }

        await coordinator.Handle(Extracted(jobId, 3) with { ExactPlanes = true });

        var sent = await Sent(jobId);
        Assert.Equal([0, 1, 2], sent.Select(c => c.Chunk.Index));
        Assert.All(sent, c => Assert.Null(c.Pass));
        for (var i = 0; i < 3; i++)
        {
            await coordinator.Handle(Detected(jobId, i));
        }

        Assert.False(Assert.Single(await Sequences(jobId)).ContinuousTracks);
        await coordinator.Handle(Sequenced(jobId, frames: 30));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            Assert.False((await db.JobClips.SingleAsync(c => c.JobId == jobId)).OnePass);
            Assert.Single(await Messages<RenderQcSegment>(db, jobId));
            Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId));
        }
    }

    [Fact]
    public async Task A_retarget_keeps_its_chunks_side_by_side_even_when_its_clips_decode_as_exact_planes()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitRetargetJob(
                db, jobId, store.TenantId,
                new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 10),
                new ClipInput(ClipNames.Target, "actor.mp4", MediaKeys.Input(jobId, ClipNames.Target, ".mp4"), 20),
                ChunkSize, RetargetSettings.Default, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, 3) with { ExactPlanes = true });
        var sent = await Sent(jobId);
        Assert.Equal([0, 1, 2], sent.Select(c => c.Chunk.Index));
        Assert.All(sent, c => Assert.Null(c.Pass));
    }

    [Fact]
    public async Task A_stalled_pass_gets_only_its_next_piece_sent_again_with_the_state_the_last_piece_left()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = new WatchdogOptions { StallAfter = TimeSpan.FromMinutes(5), StallPerUnit = TimeSpan.FromMilliseconds(10), MaxResends = 3 };
        var coordinator = new JobCoordinator(store.Db, store.Pipelines, store.Signal, clock, NullLogger<JobCoordinator>.Instance);
        var jobId = await SubmitTrack();
        await coordinator.Handle(Extracted(jobId, 3) with { ExactPlanes = true });
        await coordinator.Handle(Detected(jobId, 0));

        clock.Advance(TimeSpan.FromHours(1)); // chunk 1's worker died and its command is lost
        await coordinator.ResendStalledJobs(options, default);
        var sent = await Sent(jobId);
        Assert.Equal([0, 1, 1], sent.Select(c => c.Chunk.Index));
        Assert.Equal(sent[1], sent[2]);

        await coordinator.Handle(Detected(jobId, 1));
        Assert.Equal([0, 1, 1, 2], (await Sent(jobId)).Select(c => c.Chunk.Index));
    }

    private static string QcSegment(Guid jobId, int index) => MediaKeys.Segment(jobId, RenderTrackOutputsStep.QcOutput, index, ".nut");

    private async Task<Guid> SubmitTrack()
    {
        var jobId = Guid.NewGuid();
        await using var db = await store.Db.CreateDbContextAsync();
        await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        return jobId;
    }

    /// <summary>The reconstruct commands sent for the job, in the order they were enqueued.</summary>
    private async Task<List<ReconstructFaces>> Sent(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        var rows = await db.Outbox.Where(m => m.MessageType == typeof(ReconstructFaces).FullName).OrderBy(m => m.Id).ToListAsync();
        return [.. rows.Select(r => Outbox.Deserialize(r)).Cast<ReconstructFaces>().Where(m => m.JobId == jobId)];
    }

    private async Task<List<BuildFaceSequence>> Sequences(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return await Messages<BuildFaceSequence>(db, jobId);
    }

    private async Task<int> SegmentFramesRendered(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return await db.JobSegments.Where(s => s.JobId == jobId && s.Rendered).SumAsync(s => s.FrameCount);
    }
}
