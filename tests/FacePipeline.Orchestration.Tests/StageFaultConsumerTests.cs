using FacePipeline.Contracts;
using FacePipeline.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration.Tests;

/// <summary>A message that fails on every retry fails its job with the cause, instead of leaving it hanging.</summary>
public sealed class StageFaultConsumerTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task A_coordinator_message_that_keeps_failing_fails_the_job_with_the_cause()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1, 16, CancellationToken.None);
        }

        await using var provider = new ServiceCollection()
            .AddSingleton(store.Coordinator)
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<BrokenFramesExtractedConsumer>();
                x.AddConsumer<StageFaultConsumer>();
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(new FramesExtracted(jobId, ClipNames.Source, new VideoInfo(64, 48, 25, 1, 1, 0.04, false), [], "t", null));

        Assert.True(await harness.GetConsumerHarness<StageFaultConsumer>().Consumed.Any<Fault<FramesExtracted>>());
        await using var check = await store.Db.CreateDbContextAsync();
        var job = await check.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(StageNames.Extract, job.FailedStage);
        Assert.Contains("column \"X\" does not exist", job.FailureReason, StringComparison.Ordinal);
        Assert.Equal(FailureCodes.Internal, job.FailureCode);
    }

    /// <summary>Stands in for the coordinator failing on a broken database.</summary>
    public sealed class BrokenFramesExtractedConsumer : IConsumer<FramesExtracted>
    {
        public Task Consume(ConsumeContext<FramesExtracted> context) => throw new InvalidOperationException("column \"X\" does not exist");
    }
}
