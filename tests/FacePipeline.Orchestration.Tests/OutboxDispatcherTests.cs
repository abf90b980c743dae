using System.Reflection;
using FacePipeline.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The outbox on the real PostgreSQL, publishing into MassTransit's in-memory test harness.</summary>
public sealed class OutboxDispatcherTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task Publishes_each_pending_message_with_its_id_and_stamps_it()
    {
        await using var provider = new ServiceCollection().AddMassTransitTestHarness(x => x.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(30))).BuildServiceProvider(true); // the dispatcher publishes after a poll: no 1.2 s quiet window
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var jobId = await Submit();
        var messageId = await PendingMessageId(jobId);

        var dispatcher = Dispatcher(harness.Bus);
        Assert.True(await dispatcher.DispatchPendingAsync(CancellationToken.None) >= 1);

        Assert.True(await harness.Published.Any<ExtractFrames>(m => m.Context.Message.JobId == jobId && m.Context.MessageId == messageId));
        await using var db = await store.Db.CreateDbContextAsync();
        Assert.NotNull((await db.Outbox.SingleAsync(m => m.MessageId == messageId)).DispatchedAt);
        Assert.Equal(0, await dispatcher.DispatchPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_publish_failing_mid_batch_keeps_what_went_out_stamped_and_the_rest_goes_out_later()
    {
        await using var provider = new ServiceCollection().AddMassTransitTestHarness(x => x.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(30))).BuildServiceProvider(true); // the dispatcher publishes after a poll: no 1.2 s quiet window
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var first = await Submit();
        var second = await Submit();

        // The broker takes the first message, then the second publish fails: the first one's stamp is committed.
        var crashing = CrashingPublisher.Wrap(harness.Bus, crashOnCall: 2);
        await Assert.ThrowsAsync<IOException>(() => Dispatcher(crashing).DispatchPendingAsync(CancellationToken.None));
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            Assert.NotNull((await db.Outbox.SingleAsync(m => m.MessageId == PendingMessageIdSync(db, first))).DispatchedAt);
            Assert.Null((await db.Outbox.SingleAsync(m => m.MessageId == PendingMessageIdSync(db, second))).DispatchedAt);
        }

        // The next dispatch publishes the rest.
        while (await Dispatcher(harness.Bus).DispatchPendingAsync(CancellationToken.None) > 0)
        {
        }

        Assert.True(await harness.Published.Any<ExtractFrames>(m => m.Context.Message.JobId == first));
        Assert.True(await harness.Published.Any<ExtractFrames>(m => m.Context.Message.JobId == second));
        await using var check = await store.Db.CreateDbContextAsync();
        Assert.Equal(0, await check.Outbox.CountAsync(m => m.DispatchedAt == null));
    }

    [Fact]
    public async Task A_message_is_published_in_the_trace_of_the_transaction_that_enqueued_it()
    {
        await using var provider = new ServiceCollection().AddMassTransitTestHarness(x => x.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(30))).BuildServiceProvider(true); // the dispatcher publishes after a poll: no 1.2 s quiet window
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var started = new List<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "FacePipeline.Outbox",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a => { lock (started) { started.Add(a); } },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        System.Diagnostics.ActivityTraceId traceId;
        Guid jobId;
        using (var request = new System.Diagnostics.Activity("upload").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start())
        {
            traceId = request.TraceId;
            jobId = await Submit();
        }

        while (await Dispatcher(harness.Bus).DispatchPendingAsync(CancellationToken.None) > 0)
        {
        }

        Assert.True(await harness.Published.Any<ExtractFrames>(m => m.Context.Message.JobId == jobId));
        lock (started)
        {
            Assert.Contains(started, a => a.TraceId == traceId && a.OperationName == "outbox dispatch");
        }
    }

    private OutboxDispatcher Dispatcher(IPublishEndpoint publisher) =>
        new(store.Db, publisher, store.Pipelines, store.Signal, TimeProvider.System, Options.Create(new OutboxOptions()), NullLogger<OutboxDispatcher>.Instance);

    private async Task<Guid> Submit()
    {
        var jobId = Guid.NewGuid();
        await using var db = await store.Db.CreateDbContextAsync();
        await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1, 16, CancellationToken.None);
        return jobId;
    }

    private async Task<Guid> PendingMessageId(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return PendingMessageIdSync(db, jobId);
    }

    private static Guid PendingMessageIdSync(Persistence.JobsDbContext db, Guid jobId) =>
        db.Outbox.AsEnumerable().Single(m => m.Body.Contains(jobId.ToString(), StringComparison.Ordinal)).MessageId;

    /// <summary>A publish endpoint whose process dies (throws) on its Nth publish.</summary>
    public class CrashingPublisher : DispatchProxy
    {
        private IPublishEndpoint _inner = null!;
        private int _crashOnCall;
        private int _calls;

        public static IPublishEndpoint Wrap(IPublishEndpoint inner, int crashOnCall)
        {
            var proxy = Create<IPublishEndpoint, CrashingPublisher>();
            var self = (CrashingPublisher)(object)proxy;
            self._inner = inner;
            self._crashOnCall = crashOnCall;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IPublishEndpoint.Publish) && Interlocked.Increment(ref _calls) == _crashOnCall)
            {
                throw new IOException("simulated crash");
            }

            return targetMethod.Invoke(_inner, args);
        }
    }
}
