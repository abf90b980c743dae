using FacePipeline.Contracts;
using FacePipeline.Persistence;
using FacePipeline.ServiceDefaults;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// A job that fails or is cancelled tells the stage services (<see cref="JobEnded"/>), and they drop its work still
/// waiting in the broker instead of running it against working data that went with the job's end.
/// </summary>
[Trait("Lane", "Fast")]
public sealed class EndedJobsTests
{
    /// <summary>A stage command of a job (any would do).</summary>
    public sealed record ProbeCommand(Guid JobId) : IJobMessage;

    public sealed class ProbeConsumer : IConsumer<ProbeCommand>
    {
        public Task Consume(ConsumeContext<ProbeCommand> context) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_stage_service_drops_the_commands_of_a_job_it_heard_end_and_runs_the_others()
    {
        await using var provider = StageService<ProbeConsumer>();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var ended = Guid.NewGuid();
        var running = Guid.NewGuid();

        await harness.Bus.Publish(new JobEnded(ended, "cancelled"));
        Assert.True(await harness.GetConsumerHarness<JobEndedConsumer>().Consumed.Any<JobEnded>());
        await harness.Bus.Publish(new ProbeCommand(ended));
        await harness.Bus.Publish(new ProbeCommand(running));

        var probe = harness.GetConsumerHarness<ProbeConsumer>();
        Assert.True(await probe.Consumed.Any<ProbeCommand>(m => m.Context.Message.JobId == running));
        Assert.True(await harness.Consumed.Any<ProbeCommand>(m => m.Context.Message.JobId == ended)); // taken off the queue, acknowledged
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        Assert.Empty(await probe.Consumed.SelectAsync<ProbeCommand>(m => m.Context.Message.JobId == ended, now.Token).ToListAsync());
        Assert.Empty(await harness.Published.SelectAsync<Fault<ProbeCommand>>(now.Token).ToListAsync());
    }

    public sealed class CancelListener : IConsumer<JobCancelled>
    {
        public Task Consume(ConsumeContext<JobCancelled> context) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_cancel_heard_after_the_jobs_end_still_reaches_the_service_so_a_training_in_hand_stops()
    {
        // JobEnded and JobCancelled of one cancel travel on different queues: either may arrive first.
        await using var provider = StageService<CancelListener>();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var job = Guid.NewGuid();

        await harness.Bus.Publish(new JobEnded(job, "cancelled"));
        Assert.True(await harness.GetConsumerHarness<JobEndedConsumer>().Consumed.Any<JobEnded>());
        await harness.Bus.Publish(new JobCancelled(job));

        Assert.True(await harness.GetConsumerHarness<CancelListener>().Consumed.Any<JobCancelled>(m => m.Context.Message.JobId == job));
    }

    /// <summary>A stage service's bus in memory: <typeparamref name="TConsumer"/>, the ended-jobs listener, and the job context every service's bus uses.</summary>
    private static ServiceProvider StageService<TConsumer>()
        where TConsumer : class, IConsumer =>
        new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<EndedJobs>()
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(1), testInactivityTimeout: TimeSpan.FromSeconds(20));
                x.AddConsumer<TConsumer>();
                x.AddEndedJobsListener();
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseJobContext(context);
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(true);
}

/// <summary>The coordinator tells the stage services when a job they may have work of ends.</summary>
public sealed class JobEndedNoticeTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task A_running_job_that_is_cancelled_sends_JobEnded_and_a_queued_one_does_not()
    {
        await using var db = await store.Db.CreateDbContextAsync();
        var running = Guid.NewGuid();
        var queued = Guid.NewGuid();
        await store.Submission.SubmitTrackJob(db, running, store.TenantId, "a.mp4", MediaKeys.Input(running, ClipNames.Source, ".mp4"), 100, 64, default);
        await store.Submission.SubmitTrackJob(db, queued, store.TenantId, "b.mp4", MediaKeys.Input(queued, ClipNames.Source, ".mp4"), 100, 64, default,
            placement: new JobPlacement(JobPriorityClass.Overnight));

        Assert.True(await store.Coordinator.Cancel(running, default));
        Assert.True(await store.Coordinator.Cancel(queued, default));

        var ends = await db.Outbox.AsNoTracking().Where(m => m.MessageType == typeof(JobEnded).FullName).Select(m => m.Body).ToListAsync();
        Assert.Single(ends, b => b.Contains(running.ToString(), StringComparison.OrdinalIgnoreCase) && b.Contains("cancelled", StringComparison.Ordinal));
        Assert.DoesNotContain(ends, b => b.Contains(queued.ToString(), StringComparison.OrdinalIgnoreCase)); // nothing of it was ever sent
    }
}
