using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using System.Globalization;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Orchestration.Notifications;
using FacePipeline.Orchestration.Pipelines.Steps;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// Webhook deliveries on the real PostgreSQL to a real HTTP receiver on loopback: what a job's end sends, signed so that
/// an independent implementation (openssl) verifies it; retries with backoff on the test's clock; giving up.
/// </summary>
public sealed class WebhookDeliveryTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _http = new ServiceCollection().AddWebhookHttpClient().Services.BuildServiceProvider();

    private Guid _studio;

    public async Task InitializeAsync()
    {
        await using var db = await store.Db.CreateDbContextAsync();
        _studio = (await TenantKeys.CreateTenantAsync(db, $"webhook studio {Guid.NewGuid():N}", TimeProvider.System, default)).Tenant.Id;
    }

    public async Task DisposeAsync() => await _http.DisposeAsync();

    [Fact]
    public async Task A_completed_job_is_posted_once_with_its_stored_payload_signed_so_that_openssl_verifies_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var secret = (await Webhooks(TimeProvider.System).Set(_studio, receiver.Url, default)).Secret;
        var jobId = await CompletedTrackJob();

        var dispatcher = Dispatcher(TimeProvider.System, new WebhookOptions());
        await dispatcher.DeliverDueAsync(default);

        var received = Assert.Single(await receiver.WaitForAsync(1, Patience));
        var delivery = Assert.Single(await Deliveries());
        Assert.Equal(JobEventTypes.JobCompleted, delivery.EventType); // queued, started and progress events are not sent
        Assert.Equal(delivery.Payload, received.Body);
        Assert.Equal((1, 200, (string?)null), (delivery.Attempts, delivery.LastStatus, delivery.LastError));
        Assert.NotNull(delivery.DeliveredAt);

        using var payload = JsonDocument.Parse(received.Body);
        Assert.Equal("job.completed", payload.RootElement.GetProperty("type").GetString());
        Assert.Equal(_studio, payload.RootElement.GetProperty("studioId").GetGuid());
        Assert.Equal(jobId, payload.RootElement.GetProperty("job").GetProperty("jobId").GetGuid());
        Assert.Equal("completed", payload.RootElement.GetProperty("job").GetProperty("state").GetString());
        Assert.Equal("job.completed", received.Headers[WebhookSignature.EventHeader]);
        Assert.Equal(payload.RootElement.GetProperty("id").GetString(), received.Headers[WebhookSignature.DeliveryHeader]);
        Assert.StartsWith("application/json", received.Headers["Content-Type"], StringComparison.Ordinal);

        var (timestamp, signature) = Parse(received.Headers[WebhookSignature.SignatureHeader]);
        Assert.Equal(await OpenSsl.HmacSha256Hex(secret, $"{timestamp}.{received.Body}"), signature);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp, 0, 60);
    }

    [Fact]
    public async Task A_receiver_that_answers_500_twice_gets_the_third_attempt_after_the_backoff_and_the_delivery_is_logged_as_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= 2 ? 500 : 200);
        var clock = NewClock();
        var webhooks = Webhooks(clock);
        await webhooks.Set(_studio, receiver.Url, default);
        await webhooks.SendTest(_studio, default);
        var dispatcher = Dispatcher(clock, new WebhookOptions { FirstRetryDelay = TimeSpan.FromSeconds(10) });

        await dispatcher.DeliverDueAsync(default);
        await receiver.WaitForAsync(1, Patience);
        var first = Assert.Single(await Deliveries());
        Assert.Equal((1, 500), (first.Attempts, first.LastStatus));
        Assert.Contains("500", first.LastError, StringComparison.Ordinal);
        Assert.InRange(first.NextAttemptAt - clock.Now, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12));

        // Not due yet: nothing goes out until the clock passes the backoff.
        clock.Advance(TimeSpan.FromSeconds(9));
        await dispatcher.DeliverDueAsync(default);
        Assert.Single(receiver.Received);

        clock.Advance(TimeSpan.FromSeconds(3));
        await dispatcher.DeliverDueAsync(default);
        await receiver.WaitForAsync(2, Patience);
        var second = Assert.Single(await Deliveries());
        Assert.Equal((2, 500), (second.Attempts, second.LastStatus));
        Assert.InRange(second.NextAttemptAt - clock.Now, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(24)); // doubled

        clock.Advance(TimeSpan.FromSeconds(24));
        await dispatcher.DeliverDueAsync(default);
        var all = await receiver.WaitForAsync(3, Patience);
        var delivered = Assert.Single(await Deliveries());
        Assert.Equal((3, 200, (string?)null, clock.Now, (DateTimeOffset?)null), (delivered.Attempts, delivered.LastStatus, delivered.LastError, delivered.DeliveredAt, delivered.GaveUpAt));
        Assert.All(all, r => Assert.Equal(delivered.Payload, r.Body)); // the same body every time, each signed at its own time
        Assert.Single(all.Select(r => r.Headers[WebhookSignature.DeliveryHeader]).Distinct());

        clock.Advance(TimeSpan.FromHours(2));
        await dispatcher.DeliverDueAsync(default);
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task A_receiver_that_always_fails_is_given_up_after_the_last_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 503);
        var clock = NewClock();
        var webhooks = Webhooks(clock);
        await webhooks.Set(_studio, receiver.Url, default);
        await webhooks.SendTest(_studio, default);
        var dispatcher = Dispatcher(clock, new WebhookOptions { MaxAttempts = 3, FirstRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(1) });

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await dispatcher.DeliverDueAsync(default);
            await receiver.WaitForAsync(attempt, Patience);
            clock.Advance(TimeSpan.FromSeconds(2));
        }

        var given = Assert.Single(await Deliveries());
        Assert.Equal((3, 503, (DateTimeOffset?)null), (given.Attempts, given.LastStatus, given.DeliveredAt));
        Assert.NotNull(given.GaveUpAt);
        Assert.Contains("503", given.LastError, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromHours(1));
        await dispatcher.DeliverDueAsync(default);
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task A_retry_after_the_webhook_was_set_again_is_signed_with_the_new_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n == 1 ? 500 : 200);
        var clock = NewClock();
        var webhooks = Webhooks(clock);
        var old = (await webhooks.Set(_studio, receiver.Url, default)).Secret;
        await webhooks.SendTest(_studio, default);
        var dispatcher = Dispatcher(clock, new WebhookOptions());
        await dispatcher.DeliverDueAsync(default);
        await receiver.WaitForAsync(1, Patience);

        var rotated = (await webhooks.Set(_studio, receiver.Url, default)).Secret;
        clock.Advance(TimeSpan.FromMinutes(1));
        await dispatcher.DeliverDueAsync(default);

        var retry = (await receiver.WaitForAsync(2, Patience))[1];
        Assert.NotEqual(old, rotated);
        Assert.True(WebhookSignature.Verify(rotated, retry.Headers[WebhookSignature.SignatureHeader], retry.Body, clock.Now, WebhookSignature.DefaultTolerance));
        Assert.False(WebhookSignature.Verify(old, retry.Headers[WebhookSignature.SignatureHeader], retry.Body, clock.Now, WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public async Task Two_dispatchers_running_at_once_send_each_delivery_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var clock = NewClock();
        var webhooks = Webhooks(clock);
        await webhooks.Set(_studio, receiver.Url, default);
        for (var i = 0; i < 12; i++)
        {
            await webhooks.SendTest(_studio, default);
        }

        var options = new WebhookOptions { BatchSize = 4 };
        var replicas = new[] { Dispatcher(clock, options), Dispatcher(clock, options) };
        for (var round = 0; round < 6; round++)
        {
            await Task.WhenAll(replicas.Select(r => Task.Run(() => r.DeliverDueAsync(default))));
        }

        var received = await receiver.WaitForAsync(12, Patience);
        var deliveries = await Deliveries();
        Assert.Equal(12, received.Select(r => r.Headers[WebhookSignature.DeliveryHeader]).Distinct().Count());
        Assert.Equal(12, receiver.Received.Count);
        Assert.All(deliveries, d => Assert.Equal((1, 200), (d.Attempts, d.LastStatus)));
    }

    [Fact]
    public async Task A_receiver_that_does_not_listen_is_logged_with_the_connection_error_and_no_status()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var url = receiver.Url;
        await receiver.DisposeAsync(); // nothing listens on its port any more
        var clock = NewClock();
        var webhooks = Webhooks(clock);
        var secret = (await webhooks.Set(_studio, url, default)).Secret;
        await webhooks.SendTest(_studio, default);

        await Dispatcher(clock, new WebhookOptions()).DeliverDueAsync(default);

        var failed = Assert.Single(await Deliveries());
        Assert.Equal((1, (int?)null), (failed.Attempts, failed.LastStatus));
        Assert.StartsWith("The request did not reach the receiver", failed.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, failed.LastError, StringComparison.Ordinal);
        Assert.Null(failed.GaveUpAt);
    }

    /// <summary>A clock the test moves, from now in whole microseconds (as PostgreSQL keeps them).</summary>
    private static ManualClock NewClock()
    {
        var now = DateTimeOffset.UtcNow;
        return new ManualClock(new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero));
    }

    private StudioWebhooks Webhooks(TimeProvider clock) => new(store.Db, clock, Options.Create(new WebhookOptions { AllowHttp = true }));

    private WebhookDispatcher Dispatcher(TimeProvider clock, WebhookOptions options) =>
        new(store.Db, _http.GetRequiredService<IHttpClientFactory>(), clock, Options.Create(options), NullLogger<WebhookDispatcher>.Instance);

    private async Task<List<WebhookDelivery>> Deliveries()
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return await db.WebhookDeliveries.AsNoTracking().Where(d => d.TenantId == _studio).OrderBy(d => d.Id).ToListAsync();
    }

    /// <summary>A track job of the test's studio run through the coordinator to its end: one chunk, one QC segment.</summary>
    private async Task<Guid> CompletedTrackJob()
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, _studio, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, 1));
        await store.Coordinator.Handle(Detected(jobId, 0));
        await store.Coordinator.Handle(Sequenced(jobId));
        await store.Coordinator.Handle(new QcSegmentRendered(jobId, 0, ChunkSize, MediaKeys.Segment(jobId, RenderTrackOutputsStep.QcOutput, 0, ".nut")));
        await store.Coordinator.Handle(new TrackOutputsRendered(jobId, MediaKeys.Output(jobId, OutputNames.QcClip), MediaKeys.Output(jobId, OutputNames.Tracking), MediaKeys.Output(jobId, OutputNames.TrackingBinary)));
        await using var check = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Completed, (await check.Jobs.SingleAsync(j => j.Id == jobId)).State);
        return jobId;
    }

    private static (long Timestamp, string Signature) Parse(string header)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (long.Parse(parts["t"], CultureInfo.InvariantCulture), parts["v1"]);
    }
}
