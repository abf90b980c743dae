using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using FacePipeline.Contracts;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The coordinator on the real PostgreSQL: transitions, idempotency and concurrent chunk completions.</summary>
public sealed class JobCoordinatorTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    private const int ChunkSize = CoordinatorEvents.ChunkSize;

    [Fact]
    public async Task Concurrent_and_duplicated_chunk_completions_lose_no_update_and_start_rendering_once()
    {
        var jobId = await SubmitAndExtract(chunks: 24);

        // Every chunk completes twice (at-least-once delivery), all at the same time.
        var completions = Enumerable.Range(0, 24).Concat(Enumerable.Range(0, 24))
            .Select(i => Task.Run(() => store.Coordinator.Handle(Detected(jobId, i), CancellationToken.None)));
        await Task.WhenAll(completions);

        // The last chunk asks for the clip's 3D sequence exactly once; the job moves on when it is built (twice: redelivered).
        await using (var before = await store.Db.CreateDbContextAsync())
        {
            var sequence = Assert.Single(await Messages<BuildFaceSequence>(before, jobId));
            Assert.Equal(24, sequence.Clip.Chunks.Count);
            Assert.Equal(MediaKeys.FaceSequence(jobId, ClipNames.Source), sequence.SequenceKey);
            Assert.Equal(JobState.Reconstructing, (await before.Jobs.SingleAsync(j => j.Id == jobId)).State);
        }

        await Task.WhenAll(Task.Run(() => store.Coordinator.Handle(Sequenced(jobId, frames: 240), CancellationToken.None)), Task.Run(() => store.Coordinator.Handle(Sequenced(jobId, frames: 240), CancellationToken.None)));

        await using var db = await store.Db.CreateDbContextAsync();
        var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Rendering, job.State);
        Assert.Equal(240, job.Stage(StageNames.Reconstruct).FramesDone);
        Assert.Equal(StageState.Completed, job.Stage(StageNames.Reconstruct).State);
        Assert.Equal(StageState.Running, job.Stage(StageNames.Render).State);

        var render = Assert.Single(await Messages<RenderQcSegment>(db, jobId)); // 240 frames: one segment, sent once
        Assert.Equal(MediaKeys.FaceSequence(jobId, ClipNames.Source), render.SequenceKey);
        Assert.Equal((0, 240), (render.FirstFrame, render.FrameCount));
        Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId)); // the join waits for the segments
        Assert.Equal(24, (await Messages<ReconstructFaces>(db, jobId)).Count);
    }

    [Fact]
    public async Task A_redelivered_extraction_result_does_not_add_chunks_twice()
    {
        var jobId = await SubmitAndExtract(chunks: 3);
        await store.Coordinator.Handle(Extracted(jobId, 3), CancellationToken.None);

        await using var db = await store.Db.CreateDbContextAsync();
        Assert.Equal(3, await db.JobChunks.CountAsync(c => c.JobId == jobId));
        Assert.Equal(3, (await Messages<ReconstructFaces>(db, jobId)).Count);
    }

    [Fact]
    public async Task A_failed_stage_fails_the_job_with_its_reason_and_later_results_are_ignored()
    {
        var jobId = await SubmitAndExtract(chunks: 2);

        await store.Coordinator.OnStageFailed(jobId, StageNames.Reconstruct, "test-code", "The clip has no face.", CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 1), CancellationToken.None);

        await using var db = await store.Db.CreateDbContextAsync();
        var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("The clip has no face.", job.FailureReason);
        Assert.Equal("test-code", job.FailureCode);
        Assert.Equal(StageNames.Reconstruct, job.FailedStage);
        Assert.Equal(StageState.Failed, job.Stage(StageNames.Reconstruct).State);
        Assert.Equal(StageState.Completed, job.Stage(StageNames.Extract).State);
        Assert.Equal(0, job.Stage(StageNames.Reconstruct).FramesDone);
        Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId));
    }

    [Fact]
    public async Task A_clip_without_any_face_fails_with_no_face_found_and_is_not_rendered()
    {
        var jobId = await SubmitAndExtract(chunks: 3);

        foreach (var chunk in new[] { 2, 0, 1 })
        {
            await store.Coordinator.Handle(Detected(jobId, chunk, framesWithFaces: 0), CancellationToken.None);
        }

        await using var db = await store.Db.CreateDbContextAsync();
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(StageNames.Reconstruct, job.FailedStage);
        Assert.StartsWith("No face found", job.FailureReason, StringComparison.Ordinal);
        Assert.Equal(FailureCodes.NoFace, job.FailureCode);
        Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId));
    }

    [Fact]
    public async Task Cancel_ends_a_running_job_once()
    {
        var jobId = await Submit();

        Assert.True(await store.Coordinator.Cancel(jobId, CancellationToken.None));
        Assert.False(await store.Coordinator.Cancel(jobId, CancellationToken.None));
        await store.Coordinator.Handle(Extracted(jobId, 2), CancellationToken.None);

        await using var db = await store.Db.CreateDbContextAsync();
        var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.All(job.Stages, s => Assert.Equal(StageState.Cancelled, s.State));
        Assert.Empty(await Messages<ReconstructFaces>(db, jobId));
    }

    [Fact]
    public async Task A_state_change_that_does_not_commit_leaves_no_message_behind()
    {
        var jobId = await Submit();

        // Same job id again: the insert violates the primary key, so the whole transaction
        // (job row and its ExtractFrames outbox row) is rolled back.
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await Assert.ThrowsAsync<DbUpdateException>(() =>
                store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "again.mp4", "jobs/x/input/source.mp4", 1, ChunkSize, CancellationToken.None));
        }

        await using var check = await store.Db.CreateDbContextAsync();
        Assert.Single(await Messages<ExtractFrames>(check, jobId));
    }

    [Fact]
    public async Task A_retarget_job_reconstructs_each_clip_as_it_is_extracted_then_transfers_then_renders_once()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitRetargetJob(
                db, jobId, store.TenantId,
                new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 10),
                new ClipInput(ClipNames.Target, "actor.mov", MediaKeys.Input(jobId, ClipNames.Target, ".mov"), 20),
                ChunkSize, new RetargetSettings(Intensity: 0.8, Pose: PoseSource.Source, ProRes: true, ProRes4444: true), CancellationToken.None);
        }

        // The target is extracted first; its chunks are reconstructed while the source is still being extracted.
        await store.Coordinator.Handle(Extracted(jobId, 2, ClipNames.Target), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0, clip: ClipNames.Target), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 1, clip: ClipNames.Target), CancellationToken.None);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobState.Extracting, job.State);
            Assert.Equal(StageState.Running, job.Stage(StageNames.Reconstruct).State);
            Assert.Empty(await Messages<TransferExpressions>(db, jobId));
        }

        await store.Coordinator.Handle(Extracted(jobId, 3, ClipNames.Source), CancellationToken.None);
        await store.Coordinator.Handle(Extracted(jobId, 3, ClipNames.Source), CancellationToken.None); // redelivered
        foreach (var chunk in new[] { 2, 0, 1, 1 })
        {
            await store.Coordinator.Handle(Detected(jobId, chunk), CancellationToken.None);
        }

        await using (var db = await store.Db.CreateDbContextAsync())
        {
            Assert.Equal([ClipNames.Source, ClipNames.Target], (await Messages<BuildFaceSequence>(db, jobId)).Select(m => m.Clip.Clip).Order());
            Assert.Empty(await Messages<TransferExpressions>(db, jobId)); // not before both sequences are built
        }

        await store.Coordinator.Handle(Sequenced(jobId, ClipNames.Target, frames: 20), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId, ClipNames.Source, frames: 30), CancellationToken.None);

        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).Include(j => j.Clips).SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobState.Transferring, job.State);
            Assert.Equal(50, job.Stage(StageNames.Reconstruct).FramesDone);
            Assert.Equal(50, job.Stage(StageNames.Extract).FramesTotal);
            Assert.Equal(5, await db.JobChunks.CountAsync(c => c.JobId == jobId));
            var transfer = Assert.Single(await Messages<TransferExpressions>(db, jobId));
            Assert.Equal(MediaKeys.FaceSequence(jobId, ClipNames.Target), transfer.Target.SequenceKey);
            Assert.Equal(3, transfer.Source.Chunks.Count);
            Assert.Equal(2, transfer.Target.Chunks.Count);
            Assert.Equal("actor.mov", transfer.Target.FileName);
            Assert.Equal(0.8, transfer.Settings.Intensity);
            Assert.Equal(PoseSource.Source, transfer.Settings.Pose);
            Assert.Equal(5, (await Messages<ReconstructFaces>(db, jobId)).Count);
        }

        var transferred = new ExpressionsTransferred(jobId, MediaKeys.Output(jobId, OutputNames.Transfer), 42, 0);
        await store.Coordinator.Handle(transferred, CancellationToken.None);
        await store.Coordinator.Handle(transferred, CancellationToken.None);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            // 42 output frames: one segment, rendered by a worker, then joined.
            var segment = Assert.Single(await Messages<RenderRetargetSegment>(db, jobId));
            Assert.Equal((0, 0, 42), (segment.Segment, segment.FirstFrame, segment.FrameCount));
            Assert.Null(segment.Outputs.Segments);
            Assert.Empty(await Messages<RenderRetargetOutputs>(db, jobId));
        }

        await store.Coordinator.Handle(new RetargetSegmentRendered(jobId, 0, 42, MediaKeys.Segment(jobId, "retarget", 0, string.Empty)), CancellationToken.None);
        await store.Coordinator.Handle(
            new RetargetOutputsRendered(
                jobId, MediaKeys.Output(jobId, OutputNames.Result), MediaKeys.Output(jobId, OutputNames.Review), MediaKeys.Output(jobId, OutputNames.ResultProRes),
                MatteKey: MediaKeys.Output(jobId, OutputNames.Matte), ProRes4444Key: MediaKeys.Output(jobId, OutputNames.ResultProRes4444)),
            CancellationToken.None);

        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).Include(j => j.Outputs).SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobState.Completed, job.State);
            var render = Assert.Single(await Messages<RenderRetargetOutputs>(db, jobId));
            Assert.Equal([(0, 0, 42)], render.Segments!.Select(s => (s.Index, s.FirstFrame, s.FrameCount)));
            Assert.NotNull(render.ProResKey);
            Assert.Equal(MediaKeys.Output(jobId, OutputNames.Matte), render.MatteKey); // the matte unless turned off
            Assert.Equal(MediaKeys.Output(jobId, OutputNames.ResultProRes4444), render.ProRes4444Key);
            Assert.Null(render.DnxhrKey); // not asked for
            Assert.Equal(42, job.Stage(StageNames.Render).FramesDone);
            Assert.Equal(
                [OutputNames.Matte, OutputNames.ResultProRes, OutputNames.Result, OutputNames.ResultProRes4444, OutputNames.Review, OutputNames.Transfer],
                job.Outputs.Select(o => o.Name).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task A_retarget_whose_target_has_no_face_fails_naming_the_target_clip()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitRetargetJob(
                db, jobId, store.TenantId,
                new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 10),
                new ClipInput(ClipNames.Target, "empty-room.mp4", MediaKeys.Input(jobId, ClipNames.Target, ".mp4"), 20),
                ChunkSize, RetargetSettings.Default, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, 1, ClipNames.Source), CancellationToken.None);
        await store.Coordinator.Handle(Extracted(jobId, 1, ClipNames.Target), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0, framesWithFaces: 0, clip: ClipNames.Target), CancellationToken.None);

        await using var check = await store.Db.CreateDbContextAsync();
        var job = await check.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(FailureCodes.NoFace, job.FailureCode);
        Assert.Contains("target clip 'empty-room.mp4'", job.FailureReason, StringComparison.Ordinal);
        Assert.Empty(await Messages<TransferExpressions>(check, jobId));
    }

    private async Task<Guid> Submit()
    {
        var jobId = Guid.NewGuid();
        await using var db = await store.Db.CreateDbContextAsync();
        await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        return jobId;
    }

    private async Task<Guid> SubmitAndExtract(int chunks)
    {
        var jobId = await Submit();
        await store.Coordinator.Handle(Extracted(jobId, chunks), CancellationToken.None);
        return jobId;
    }
}
