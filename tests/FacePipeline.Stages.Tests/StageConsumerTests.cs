using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The ceremony every stage consumer shares, and the failure taxonomy it applies, in the in-memory harness.
/// Waits are for the command's consume to finish (with a generous inactivity window, so a loaded machine cannot end the
/// wait before the message is even received); what must not have been published is then read from what was recorded.
/// </summary>
public sealed class StageConsumerTests
{
    [Fact]
    public async Task A_stage_that_finishes_publishes_its_event()
    {
        var (harness, provider) = await Start(_ => Task.FromResult<Done?>(new Done(Guid.Empty, 7)));
        await using var _ = provider;
        var jobId = Guid.NewGuid();

        await harness.Bus.Publish(new DoWork(jobId, "ok"));

        Assert.True(await harness.Consumed.Any<DoWork>(m => m.Context.Message.JobId == jobId));
        Assert.True(await Recorded<Done>(harness, m => m.JobId == jobId));
        Assert.False(await Recorded<StageFailed>(harness));
    }

    [Fact]
    public async Task The_studios_input_fails_the_job_at_once_with_its_code_and_sentence_without_a_fault()
    {
        var (harness, provider) = await Start(_ => throw new JobInputException(FailureCodes.BadSettings, "The neutral frame 900 is beyond the clip's 120 frames."));
        await using var _ = provider;
        var jobId = Guid.NewGuid();

        await harness.Bus.Publish(new DoWork(jobId, "bad"));

        Assert.True(await harness.Consumed.Any<DoWork>(m => m.Context.Message.JobId == jobId));
        Assert.True(await Recorded<StageFailed>(harness, m => m.JobId == jobId));
        var failed = (await RecordedMessages<StageFailed>(harness)).Single();
        Assert.Equal((FailureCodes.BadSettings, "toy", "The neutral frame 900 is beyond the clip's 120 frames."), (failed.Code, failed.Stage, failed.Reason));
        Assert.False(await Recorded<Fault<DoWork>>(harness));
        Assert.False(await Recorded<Done>(harness));
    }

    [Theory]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ServerFaultException))]
    public async Task Anything_else_is_the_servers_fault_left_to_retry_and_the_coordinators_fault_handler(Type exception)
    {
        var (harness, provider) = await Start(_ => throw (Exception)Activator.CreateInstance(exception, "a plain bug")!);
        await using var _ = provider;
        var jobId = Guid.NewGuid();

        await harness.Bus.Publish(new DoWork(jobId, "bug"));

        Assert.True(await harness.Published.Any<Fault<DoWork>>(m => m.Context.Message.Message.JobId == jobId));
        Assert.Equal(exception.FullName, (await RecordedMessages<Fault<DoWork>>(harness)).Single().Exceptions.Single().ExceptionType);
        Assert.False(await Recorded<StageFailed>(harness)); // never blamed on the studio
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException), 5)] // transient until proven otherwise: four retries
    [InlineData(typeof(ServerFaultException), 1)] // a broken install fails the same way again
    [InlineData(typeof(JobInputException), 1)] // the studio's input: never retried
    public async Task The_services_retry_policy_retries_only_what_can_heal(Type exception, int attempts)
    {
        var tried = 0;
        var (harness, provider) = await Start(
            _ =>
            {
                Interlocked.Increment(ref tried);
                throw exception == typeof(JobInputException)
                    ? new JobInputException(FailureCodes.BadSettings, "The neutral frame 900 is beyond the clip's 120 frames.")
                    : (Exception)Activator.CreateInstance(exception, "a fault")!;
            },
            withServiceRetry: true);
        await using var _ = provider;

        await harness.Bus.Publish(new DoWork(Guid.NewGuid(), "retry"));

        Assert.True(await harness.Consumed.Any<DoWork>());
        Assert.Equal(attempts, tried);
    }

    [Fact]
    public async Task A_stage_with_nothing_to_report_publishes_nothing()
    {
        var (harness, provider) = await Start(_ => Task.FromResult<Done?>(null));
        await using var _ = provider;

        await harness.Bus.Publish(new DoWork(Guid.NewGuid(), "cancelled"));

        Assert.True(await harness.Consumed.Any<DoWork>());
        Assert.False(await Recorded<Done>(harness));
        Assert.False(await Recorded<StageFailed>(harness));
        Assert.False(await Recorded<Fault<DoWork>>(harness));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_code_that_is_not_declared_cannot_be_blamed_on_the_studio()
    {
        Assert.Throws<ArgumentException>(() => new JobInputException("made-up", "x"));
        Assert.Throws<ArgumentException>(() => new JobInputException(FailureCodes.Internal, "x"));
    }

    private static async Task<(ITestHarness Harness, ServiceProvider Provider)> Start(Func<DoWork, Task<Done?>> run, bool withServiceRetry = false)
    {
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new ToyStage(run))
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(2), testInactivityTimeout: TimeSpan.FromSeconds(20));
                x.AddConsumer<ToyStageConsumer>();
                if (withServiceRetry)
                {
                    x.UsingInMemory((context, cfg) =>
                    {
                        cfg.UseMessageRetry(ServiceDefaultsExtensions.ConsumeRetry); // what every service's bus uses
                        cfg.ConfigureEndpoints(context);
                    });
                }
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return (harness, provider);
    }

    /// <summary>Whether a message of the type (matching the filter) was already published: no waiting.</summary>
    private static async Task<bool> Recorded<T>(ITestHarness harness, Func<T, bool>? filter = null)
        where T : class => (await RecordedMessages<T>(harness)).Any(m => filter is null || filter(m));

    /// <summary>The messages of the type published so far: no waiting for more.</summary>
    private static async Task<List<T>> RecordedMessages<T>(ITestHarness harness)
        where T : class
    {
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        var messages = new List<T>();
        await foreach (var published in harness.Published.SelectAsync<T>(now.Token))
        {
            messages.Add(published.Context.Message);
        }

        return messages;
    }

    public sealed record DoWork(Guid JobId, string What) : IJobMessage;

    public sealed record Done(Guid JobId, int Frames) : IJobMessage;

    public sealed class ToyStage(Func<DoWork, Task<Done?>> run)
    {
        public async Task<Done?> RunAsync(DoWork command) => await run(command) is { } done ? done with { JobId = command.JobId } : null;
    }

    public sealed class ToyStageConsumer(ToyStage stage, ILogger<ToyStageConsumer> logger) : StageConsumer<DoWork, Done>(logger)
    {
        protected override string Stage => "toy";

        protected override Task<Done?> Run(ConsumeContext<DoWork> context) => stage.RunAsync(context.Message);

        protected override int UnitsDone(DoWork command, Done done) => done.Frames;

        protected override void LogDone(ILogger log, DoWork command, Done done, double seconds) => log.LogInformation("{Frames} frames", done.Frames);
    }
}
