using FacePipeline.Orchestration.Notifications;
using FacePipeline.Persistence;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The live event stream on the real PostgreSQL: what a batch stream sends while its shots commit out of id order.</summary>
public sealed class EventStreamTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task A_batch_stream_holds_back_an_event_until_a_lower_id_still_in_flight_commits_and_sends_both_in_id_order()
    {
        var batch = new Batch { Id = Guid.NewGuid(), TenantId = store.TenantId, ShotCount = 2, CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            db.Batches.Add(batch);
            await db.SaveChangesAsync();
        }

        // Shot 1's transaction takes the lower id and stays open; shot 2's takes the next id and commits first.
        await using var slow = await store.Db.CreateDbContextAsync();
        await using var slowCommit = await slow.Database.BeginTransactionAsync();
        var first = Event(batch.Id, JobEventTypes.JobCompleted);
        slow.JobEvents.Add(first);
        await slow.SaveChangesAsync();
        var second = Event(batch.Id, JobEventTypes.JobFailed);
        await using (var fast = await store.Db.CreateDbContextAsync())
        {
            fast.JobEvents.Add(second);
            await fast.SaveChangesAsync();
        }

        Assert.True(first.Id < second.Id);
        var stream = new JobEventStream(store.Db, TimeProvider.System, Options.Create(new EventStreamOptions { PollInterval = TimeSpan.FromMilliseconds(20), KeepAlive = TimeSpan.FromSeconds(1) }));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = stream.Follow(EventStreamSubject.Batch(batch.Id), 0, endedAtStart: false, deadline.Token).GetAsyncEnumerator(deadline.Token);

        // A second of polls while shot 1 is uncommitted: nothing is sent (shot 2's event would skip shot 1's for good), a keep-alive is.
        Assert.True(await events.MoveNextAsync());
        Assert.Null(events.Current);

        await slowCommit.CommitAsync();
        var ended = Event(batch.Id, JobEventTypes.BatchEnded);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            db.JobEvents.Add(ended);
            await db.SaveChangesAsync();
        }

        var sent = new List<long>();
        while (await events.MoveNextAsync())
        {
            if (events.Current is { } row)
            {
                sent.Add(row.Id);
            }
        }

        Assert.Equal([first.Id, second.Id, ended.Id], sent); // and the stream ended after batch.ended
    }

    private JobEvent Event(Guid batchId, string type) =>
        new() { TenantId = store.TenantId, BatchId = batchId, Type = type, Data = "{}", CreatedAt = DateTimeOffset.UtcNow };
}
