using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// Retention of job events and webhook deliveries on the real PostgreSQL: a job's events (and the deliveries made from
/// them) go with the job's row; events older than Retention:Events are swept with their deliveries.
/// </summary>
public sealed class EventRetentionTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IDisposable
{
    private readonly RetentionWorld _world = new(store, new RetentionOptions { Events = TimeSpan.FromDays(30) });

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Deleting_a_job_removes_its_events_and_their_webhook_deliveries_and_leaves_other_jobs_events()
    {
        await SetWebhook();
        var deleted = await _world.CompletedTrackJob();
        var kept = await _world.CompletedTrackJob();
        Assert.True(await Deliveries(deleted) == 1 && await Events(deleted) > 2, "The completed job has its events and its job.completed delivery.");

        var outcome = await _world.Deletions.DeleteJob(_world.TenantId, deleted, CancellationToken.None);

        Assert.Equal(DeletionStatus.Deleted, outcome.Status);
        Assert.Equal((0, 0), (await Events(deleted), await Deliveries(deleted)));
        Assert.Equal(1, await Deliveries(kept));
        Assert.True(await Events(kept) > 2);
    }

    [Fact]
    public async Task Events_older_than_the_retention_are_swept_with_their_deliveries_and_younger_ones_stay()
    {
        await SetWebhook();
        var old = await _world.CompletedTrackJob();
        _world.Clock.Advance(TimeSpan.FromDays(20));
        var young = await _world.CompletedTrackJob();
        var oldEvents = await Events(old);

        _world.Clock.Advance(TimeSpan.FromDays(11)); // the old job's events are 31 days old, the young job's 11
        var expired = await ExpiredEvents(); // the old job's, and those of other tests of the class that are as old
        var round = await _world.Retention.SweepAsync(CancellationToken.None);

        Assert.True(oldEvents > 2);
        Assert.True(expired >= oldEvents);
        Assert.Equal(expired, round.Events);
        Assert.Equal(0, await ExpiredEvents());
        Assert.Equal((0, 0), (await Events(old), await Deliveries(old)));
        Assert.Equal(1, await Deliveries(young));
        Assert.True(await Events(young) > 2);
    }

    private async Task SetWebhook()
    {
        await using var db = await _world.Db();
        await db.Tenants.Where(t => t.Id == _world.TenantId)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookUrl, "https://127.0.0.1:1/hook").SetProperty(t => t.WebhookSecret, "whsec_test"));
    }

    private async Task<int> Events(Guid jobId)
    {
        await using var db = await _world.Db();
        return await db.JobEvents.CountAsync(e => e.JobId == jobId);
    }

    private async Task<int> ExpiredEvents()
    {
        var cutoff = _world.Clock.GetUtcNow() - _world.Options.Events;
        await using var db = await _world.Db();
        return await db.JobEvents.CountAsync(e => e.CreatedAt < cutoff);
    }

    private async Task<int> Deliveries(Guid jobId)
    {
        await using var db = await _world.Db();
        return await db.WebhookDeliveries.CountAsync(d => d.Event!.JobId == jobId);
    }
}
