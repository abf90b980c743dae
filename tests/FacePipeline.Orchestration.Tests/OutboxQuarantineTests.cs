using FacePipeline.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Rows that can never be published are set aside with their error, and do not hold up the rows after them.</summary>
public sealed class OutboxQuarantineTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IAsyncLifetime
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        await OutboxRows.Clear(store);
        _provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task A_row_whose_type_no_longer_resolves_is_quarantined_and_later_rows_still_go()
    {
        var unknown = await OutboxRows.Insert(store, "FacePipeline.Contracts.RemovedLongAgo", OutboxRows.ValidBody(), _clock.GetUtcNow());
        var later = await OutboxRows.Enqueue(store, 2, _clock.GetUtcNow());
        var publisher = RecordingPublisher.Wrap(_harness.Bus);

        Assert.Equal(3, await OutboxRows.Dispatcher(store, publisher.Endpoint, _clock).DispatchPendingAsync(CancellationToken.None));

        var row = await OutboxRows.Find(store, unknown.Id);
        Assert.Equal(_clock.GetUtcNow(), row!.QuarantinedAt);
        Assert.Null(row.DispatchedAt);
        Assert.Contains("RemovedLongAgo", row.Error);
        Assert.Equal(0, publisher.Count(unknown.MessageId));
        Assert.All(later, m => Assert.Equal(1, publisher.Count(m.MessageId)));
        foreach (var m in later)
        {
            Assert.NotNull((await OutboxRows.Find(store, m.Id))!.DispatchedAt);
        }
    }

    [Fact]
    public async Task A_row_whose_body_does_not_fit_its_type_is_quarantined_with_the_json_error_and_later_rows_still_go()
    {
        var before = await OutboxRows.Enqueue(store, 1, _clock.GetUtcNow());
        var malformed = await OutboxRows.Insert(store, OutboxRows.ExtractFramesType, """{"jobId":"not-a-guid","clip":"source"}""", _clock.GetUtcNow());
        var after = await OutboxRows.Enqueue(store, 2, _clock.GetUtcNow());
        var publisher = RecordingPublisher.Wrap(_harness.Bus);

        await OutboxRows.DrainAsync(OutboxRows.Dispatcher(store, publisher.Endpoint, _clock));

        var row = await OutboxRows.Find(store, malformed.Id);
        Assert.NotNull(row!.QuarantinedAt);
        Assert.Null(row.DispatchedAt);
        Assert.StartsWith("System.Text.Json.JsonException", row.Error);
        Assert.Equal(0, publisher.Count(malformed.MessageId));
        Assert.Equal(before.Concat(after).Select(m => m.MessageId), publisher.Published); // the others, once each, in order
    }

    [Fact]
    public async Task A_message_the_brokers_serializer_rejects_is_quarantined_and_later_rows_still_go()
    {
        var rows = await OutboxRows.Enqueue(store, 3, _clock.GetUtcNow());
        var publisher = RecordingPublisher.Wrap(
            _harness.Bus,
            (call, _) => call == 2 ? new System.Runtime.Serialization.SerializationException("Failed to serialize message", new NotSupportedException("no converter")) : null);

        await OutboxRows.DrainAsync(OutboxRows.Dispatcher(store, publisher.Endpoint, _clock));

        var rejected = await OutboxRows.Find(store, rows[1].Id);
        Assert.NotNull(rejected!.QuarantinedAt);
        Assert.Null(rejected.DispatchedAt);
        Assert.Contains("no converter", rejected.Error);
        Assert.Equal([rows[0].MessageId, rows[2].MessageId], publisher.Published);
    }

    [Fact]
    public async Task A_quarantined_row_is_not_claimed_again()
    {
        var unknown = await OutboxRows.Insert(store, "FacePipeline.Contracts.RemovedLongAgo", OutboxRows.ValidBody(), _clock.GetUtcNow());
        var publisher = RecordingPublisher.Wrap(_harness.Bus);
        var dispatcher = OutboxRows.Dispatcher(store, publisher.Endpoint, _clock);
        Assert.Equal(1, await dispatcher.DispatchPendingAsync(CancellationToken.None));
        var quarantinedAt = (await OutboxRows.Find(store, unknown.Id))!.QuarantinedAt;

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await dispatcher.DispatchPendingAsync(CancellationToken.None));

        Assert.NotNull(quarantinedAt);
        Assert.Equal(quarantinedAt, (await OutboxRows.Find(store, unknown.Id))!.QuarantinedAt);
        Assert.Empty(publisher.Published);
    }

    [Fact]
    public async Task A_transient_publish_failure_is_not_a_quarantine()
    {
        var rows = await OutboxRows.Enqueue(store, 1, _clock.GetUtcNow());
        var failing = RecordingPublisher.Wrap(_harness.Bus, (_, _) => new IOException("broker unreachable"));

        await Assert.ThrowsAsync<IOException>(() => OutboxRows.Dispatcher(store, failing.Endpoint, _clock).DispatchPendingAsync(CancellationToken.None));

        var row = await OutboxRows.Find(store, rows[0].Id);
        Assert.Null(row!.QuarantinedAt);
        Assert.Null(row.DispatchedAt);
    }
}
