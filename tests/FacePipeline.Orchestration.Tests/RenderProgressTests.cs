using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using FacePipeline.Contracts;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

/// <summary>A render's progress moves the job's render stage while it runs, never back and never past its total.</summary>
public sealed class RenderProgressTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task Render_progress_moves_the_render_stage_forward_only_and_up_to_its_frames()
    {
        var jobId = await Rendering(chunks: 2); // 20 frames

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 7));
        Assert.Equal(7, await RenderedFrames(jobId));

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 5)); // a late report
        Assert.Equal(7, await RenderedFrames(jobId));

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 999));
        Assert.Equal(2 * ChunkSize, await RenderedFrames(jobId));
        await using var db = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Rendering, (await db.Jobs.SingleAsync(j => j.Id == jobId)).State); // progress never completes a stage
    }

    [Fact]
    public async Task Render_progress_for_a_job_that_is_not_rendering_changes_nothing()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        }

        await store.Coordinator.Handle(new OutputsRenderProgressed(jobId, 7));

        Assert.Equal(0, await RenderedFrames(jobId));
    }

    private async Task<Guid> Rendering(int chunks)
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, chunks));
        for (var i = 0; i < chunks; i++)
        {
            await store.Coordinator.Handle(Detected(jobId, i));
        }

        await store.Coordinator.Handle(Sequenced(jobId, frames: chunks * ChunkSize));
        return jobId;
    }

    private async Task<int> RenderedFrames(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return (await db.JobStages.SingleAsync(s => s.JobId == jobId && s.Name == StageNames.Render)).FramesDone;
    }
}
