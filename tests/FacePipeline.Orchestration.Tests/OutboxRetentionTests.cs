using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Published rows are deleted after the retention, cheaply; pending and quarantined rows never are.</summary>
public sealed class OutboxRetentionTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => OutboxRows.Clear(store);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Published_rows_older_than_the_retention_are_deleted_and_newer_pending_and_quarantined_ones_kept()
    {
        var now = _clock.GetUtcNow();
        var expired = await PublishedRow(now - Retention - TimeSpan.FromMinutes(1));
        var longExpired = await PublishedRow(now - TimeSpan.FromDays(30));
        var recent = await PublishedRow(now - Retention + TimeSpan.FromMinutes(1));
        var oldPending = await OutboxRows.Insert(store, OutboxRows.ExtractFramesType, OutboxRows.ValidBody(), now - TimeSpan.FromDays(30));
        var oldQuarantined = await OutboxRows.Insert(
            store, "FacePipeline.Contracts.RemovedLongAgo", OutboxRows.ValidBody(), now - TimeSpan.FromDays(30), quarantinedAt: now - TimeSpan.FromDays(30));

        Assert.Equal(2, await Dispatcher().DeleteExpiredAsync(CancellationToken.None));

        Assert.Null(await OutboxRows.Find(store, expired.Id));
        Assert.Null(await OutboxRows.Find(store, longExpired.Id));
        Assert.NotNull(await OutboxRows.Find(store, recent.Id));
        Assert.NotNull(await OutboxRows.Find(store, oldPending.Id));
        Assert.NotNull(await OutboxRows.Find(store, oldQuarantined.Id));
    }

    [Fact]
    public async Task The_clean_up_runs_at_most_once_per_interval()
    {
        var dispatcher = Dispatcher();
        Assert.Equal(0, await dispatcher.CleanupIfDueAsync(CancellationToken.None)); // due at start, nothing to delete

        var expired = await PublishedRow(_clock.GetUtcNow() - TimeSpan.FromDays(2));
        _clock.Advance(Interval - TimeSpan.FromSeconds(1));
        Assert.Null(await dispatcher.CleanupIfDueAsync(CancellationToken.None));
        Assert.NotNull(await OutboxRows.Find(store, expired.Id));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await dispatcher.CleanupIfDueAsync(CancellationToken.None));
        Assert.Null(await OutboxRows.Find(store, expired.Id));
    }

    [Fact]
    public async Task A_clean_up_deletes_a_bounded_batch_and_comes_back_at_once_only_while_a_backlog_remains()
    {
        for (var i = 0; i < 5; i++)
        {
            await PublishedRow(_clock.GetUtcNow() - TimeSpan.FromDays(2));
        }

        var dispatcher = Dispatcher(cleanupBatchSize: 2);

        Assert.Equal(2, await dispatcher.CleanupIfDueAsync(CancellationToken.None));
        Assert.Equal(2, await dispatcher.CleanupIfDueAsync(CancellationToken.None)); // a full batch: due again at once
        Assert.Equal(1, await dispatcher.CleanupIfDueAsync(CancellationToken.None));
        Assert.Null(await dispatcher.CleanupIfDueAsync(CancellationToken.None)); // drained: back to the interval
        await using var db = await store.Db.CreateDbContextAsync();
        Assert.Equal(0, await db.Outbox.CountAsync());
    }

    [Fact]
    public async Task A_row_published_by_the_dispatcher_is_deleted_once_its_retention_has_passed()
    {
        await using var provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var rows = await OutboxRows.Enqueue(store, 1, _clock.GetUtcNow());
        var dispatcher = Dispatcher(publisher: harness.Bus);
        Assert.Equal(1, await dispatcher.DispatchPendingAsync(CancellationToken.None));

        _clock.Advance(Retention);
        Assert.Equal(0, await dispatcher.DeleteExpiredAsync(CancellationToken.None)); // exactly the retention: kept
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await dispatcher.DeleteExpiredAsync(CancellationToken.None));
        Assert.Null(await OutboxRows.Find(store, rows[0].Id));
    }

    private OutboxDispatcher Dispatcher(int cleanupBatchSize = 1000, MassTransit.IPublishEndpoint? publisher = null) =>
        OutboxRows.Dispatcher(
            store,
            publisher ?? RecordingPublisher.NothingExpected().Endpoint,
            _clock,
            new OutboxOptions { PublishedRetention = Retention, CleanupInterval = Interval, CleanupBatchSize = cleanupBatchSize });

    private Task<Persistence.OutboxMessage> PublishedRow(DateTimeOffset dispatchedAt) =>
        OutboxRows.Insert(store, OutboxRows.ExtractFramesType, OutboxRows.ValidBody(), dispatchedAt - TimeSpan.FromSeconds(1), dispatchedAt);
}
