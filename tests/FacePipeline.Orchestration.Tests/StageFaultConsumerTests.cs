using FacePipeline.Contracts;
using FacePipeline.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration.Tests;

/// <summary>A message that fails on every retry is a server fault: its job fails as internal, with a correlation id, not blaming the studio.</summary>
public sealed class StageFaultConsumerTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task A_coordinator_message_that_keeps_failing_fails_the_job_as_internal_with_a_correlation_id_and_no_internals()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1, 16, CancellationToken.None);
        }

        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(store.Coordinator)
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<BrokenFramesExtractedConsumer>();
                x.AddConsumer<StepFaultConsumer<FramesExtracted>>();
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        var messageId = NewId.NextGuid();
        await harness.Bus.Publish(
            new FramesExtracted(jobId, ClipNames.Source, new VideoInfo(64, 48, 25, 1, 1, 0.04, false), [], "t", null),
            context => context.MessageId = messageId);

        Assert.True(await harness.GetConsumerHarness<StepFaultConsumer<FramesExtracted>>().Consumed.Any<Fault<FramesExtracted>>());
        await using var check = await store.Db.CreateDbContextAsync();
        var job = await check.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(StageNames.Extract, job.FailedStage);
        Assert.Equal(FailureCodes.Internal, job.FailureCode);
        Assert.Equal(messageId.ToString("N"), job.FailureCorrelationId);
        Assert.Contains(messageId.ToString("N"), job.FailureReason, StringComparison.Ordinal);
        Assert.Contains("not on your footage or settings", job.FailureReason, StringComparison.Ordinal);
        Assert.DoesNotContain("column", job.FailureReason, StringComparison.Ordinal); // the cause stays in the logs
    }

    /// <summary>Stands in for the coordinator failing on a broken database (the real event consumer is replaced).</summary>
    public sealed class BrokenFramesExtractedConsumer : IConsumer<FramesExtracted>
    {
        public Task Consume(ConsumeContext<FramesExtracted> context) => throw new InvalidOperationException("column \"X\" does not exist");
    }
}
