using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration.Tests;

/// <summary>A publish that fails part-way through a batch does not send again what already went out.</summary>
public sealed class OutboxPartialFailureTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IAsyncLifetime
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
    public async Task A_publish_failing_on_the_third_of_five_rows_keeps_the_first_two_stamped_and_the_retry_sends_only_the_rest()
    {
        var rows = await OutboxRows.Enqueue(store, 5, _clock.GetUtcNow());
        var publisher = RecordingPublisher.Wrap(_harness.Bus, (call, _) => call == 3 ? new IOException("broker connection lost") : null);
        var dispatcher = OutboxRows.Dispatcher(store, publisher.Endpoint, _clock);

        await Assert.ThrowsAsync<IOException>(() => dispatcher.DispatchPendingAsync(CancellationToken.None));

        var afterFailure = new List<Persistence.OutboxMessage>();
        foreach (var row in rows)
        {
            afterFailure.Add((await OutboxRows.Find(store, row.Id))!);
        }

        Assert.All(afterFailure[..2], m => Assert.Equal(_clock.GetUtcNow(), m.DispatchedAt));
        Assert.All(afterFailure[2..], m => Assert.Null(m.DispatchedAt));
        Assert.All(afterFailure, m => Assert.Null(m.QuarantinedAt));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, await dispatcher.DispatchPendingAsync(CancellationToken.None));

        Assert.All(rows, m => Assert.Equal(1, publisher.Count(m.MessageId))); // each exactly once
        Assert.Equal(rows.Select(m => m.MessageId), publisher.Published); // and in order
        Assert.Equal(0, await dispatcher.DispatchPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_dispatch_cancelled_at_shutdown_keeps_what_went_out_stamped()
    {
        var rows = await OutboxRows.Enqueue(store, 3, _clock.GetUtcNow());
        using var shutdown = new CancellationTokenSource();
        var publisher = RecordingPublisher.Wrap(_harness.Bus, (call, _) =>
        {
            if (call != 2)
            {
                return null;
            }

            shutdown.Cancel();
            return new OperationCanceledException(shutdown.Token);
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => OutboxRows.Dispatcher(store, publisher.Endpoint, _clock).DispatchPendingAsync(shutdown.Token));

        Assert.NotNull((await OutboxRows.Find(store, rows[0].Id))!.DispatchedAt);
        Assert.Null((await OutboxRows.Find(store, rows[1].Id))!.DispatchedAt);
        Assert.Null((await OutboxRows.Find(store, rows[2].Id))!.DispatchedAt);
    }
}
