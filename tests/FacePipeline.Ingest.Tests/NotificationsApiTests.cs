using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Orchestration.Notifications;
using FacePipeline.Orchestration.Pipelines.Steps;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Tests;

/// <summary>The Ingest host with webhooks to loopback over http, quick retries and a quick event poll.</summary>
public sealed class NotificationsApiFixture() : IngestApiFixture(new Dictionary<string, string>
{
    ["Webhooks:AllowHttp"] = "true",
    ["Webhooks:Interval"] = "00:00:00.050",
    ["Webhooks:FirstRetryDelay"] = "00:00:00.050",
    ["Webhooks:MaxRetryDelay"] = "00:00:00.100",
    ["Webhooks:MaxAttempts"] = "3",
    ["Events:PollInterval"] = "00:00:00.050",
    ["Events:KeepAlive"] = "00:00:01",
});

/// <summary>
/// The webhook API (<c>/v1/webhook</c>, its delivery log) and the live event streams (<c>/v1/jobs/{id}/events</c>,
/// <c>/v1/batches/{id}/events</c>) through the Ingest host, with a real receiver on loopback; studios A and B.
/// </summary>
public sealed class NotificationsApiTests(NotificationsApiFixture api) : IClassFixture<NotificationsApiFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Setting_a_webhook_shows_its_secret_once_and_reading_it_shows_the_url_only()
    {
        using var set = await api.StudioA.PutAsJsonAsync("v1/webhook", new { url = "https://hooks.example.com/facepipeline" });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var body = await IngestApiFixture.Body(set);
        Assert.Equal("https://hooks.example.com/facepipeline", body.GetProperty("url").GetString());
        Assert.Matches("^whsec_[0-9a-f]{64}$", body.GetProperty("secret").GetString());
        Assert.Contains("not shown again", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var read = await api.StudioA.GetAsync("v1/webhook");
        var shown = await IngestApiFixture.Body(read);
        Assert.Equal("https://hooks.example.com/facepipeline", shown.GetProperty("url").GetString());
        Assert.True(shown.GetProperty("secretSet").GetBoolean());
        Assert.False(shown.TryGetProperty("secret", out _));
        Assert.DoesNotContain(body.GetProperty("secret").GetString()!, await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var other = await api.StudioB.GetAsync("v1/webhook");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Contains("PUT /v1/webhook", await ApiChecks.Sentence(other), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"url":"https://user:secret@hooks.example.com/"}""", "user name or password")]
    [InlineData("""{"url":"hooks.example.com/facepipeline"}""", "absolute")]
    [InlineData("""{"url":"https://hooks.example.com/","events":["job.completed"]}""", "one field, 'url'")]
    [InlineData("""{}""", "Send the webhook's address")]
    [InlineData("""not json""", "JSON body")]
    public async Task A_webhook_that_cannot_be_set_is_refused_with_a_sentence(string json, string sentence)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await api.StudioB.PutAsync("v1/webhook", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(sentence, await ApiChecks.Sentence(response), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await api.StudioB.GetAsync("v1/webhook")).StatusCode);
    }

    [Fact]
    public async Task The_delivery_log_shows_each_attempt_to_a_receiver_that_fails_twice_and_not_to_another_studio()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= 2 ? 500 : 200);
        var studio = await NewStudio();
        using var set = await studio.PutAsJsonAsync("v1/webhook", new { url = receiver.Url });
        var secret = (await IngestApiFixture.Body(set)).GetProperty("secret").GetString()!;

        using var test = await studio.PostAsync("v1/webhook/test", null);
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        Assert.Equal(StudioWebhooks.TestEventType, (await IngestApiFixture.Body(test)).GetProperty("eventType").GetString());

        var received = await receiver.WaitForAsync(3, Patience);
        var delivery = await Until(studio, d => d.GetProperty("deliveredAt").ValueKind != JsonValueKind.Null);
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(200, delivery.GetProperty("lastStatus").GetInt32());
        Assert.Equal(receiver.Url, delivery.GetProperty("url").GetString());
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("nextAttemptAt").ValueKind);
        var payload = delivery.GetProperty("payload");
        Assert.Equal(StudioWebhooks.TestEventType, payload.GetProperty("type").GetString());
        Assert.Equal(payload.GetProperty("id").GetString(), received[2].Headers[WebhookSignature.DeliveryHeader]);
        Assert.All(received, r => Assert.True(WebhookSignature.Verify(secret, r.Headers[WebhookSignature.SignatureHeader], r.Body, DateTimeOffset.UtcNow, WebhookSignature.DefaultTolerance)));

        var theirs = await IngestApiFixture.Body(await api.StudioB.GetAsync("v1/webhook/deliveries"));
        Assert.Equal(0, theirs.GetProperty("total").GetInt32());
        Assert.Empty(theirs.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_receiver_that_always_fails_is_given_up_after_the_last_attempt_with_its_status_in_the_log()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 502);
        var studio = await NewStudio();
        (await studio.PutAsJsonAsync("v1/webhook", new { url = receiver.Url })).Dispose();
        (await studio.PostAsync("v1/webhook/test", null)).Dispose();

        var delivery = await Until(studio, d => d.GetProperty("gaveUpAt").ValueKind != JsonValueKind.Null);

        Assert.Equal((3, 502), (delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatus").GetInt32()));
        Assert.Contains("502", delivery.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("deliveredAt").ValueKind);
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task Removing_the_webhook_stops_tests_and_reading_it_until_it_is_set_again()
    {
        var studio = await NewStudio();
        (await studio.PutAsJsonAsync("v1/webhook", new { url = "https://127.0.0.1:1/hook" })).Dispose();

        Assert.Equal(HttpStatusCode.NoContent, (await studio.DeleteAsync("v1/webhook")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await studio.GetAsync("v1/webhook")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await studio.PostAsync("v1/webhook/test", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await studio.DeleteAsync("v1/webhook")).StatusCode);
    }

    [Fact]
    public async Task A_jobs_events_arrive_in_order_from_its_start_to_its_completion_and_the_stream_then_ends()
    {
        var jobId = await SubmitJob(api.StudioA);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{jobId}/events");
        using var response = await api.StudioA.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reading = ReadEvents(response);

        await RunToCompletion(jobId);
        var events = await reading.WaitAsync(Patience); // completes only because the stream ended

        Assert.True(events.Count >= 4, $"Only {events.Count} events arrived.");
        Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(JobEventTypes.JobStarted, events[0].Type); // an interactive job under its studio's cap starts at once
        Assert.All(events.Skip(1).SkipLast(1), e => Assert.Equal(JobEventTypes.JobProgress, e.Type));
        Assert.Equal(JobEventTypes.JobCompleted, events[^1].Type);
        using var last = JsonDocument.Parse(events[^1].Data);
        Assert.Equal("completed", last.RootElement.GetProperty("state").GetString());
        Assert.Equal(jobId, last.RootElement.GetProperty("jobId").GetGuid());

        // Resuming after the second event sends exactly the rest, then ends (the job has ended).
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{jobId}/events");
        resume.Headers.Add("Last-Event-ID", events[1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var resumed = await api.StudioA.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        var rest = await ReadEvents(resumed).WaitAsync(Patience);
        Assert.Equal(events.Skip(2), rest);
    }

    [Fact]
    public async Task A_silent_stream_sends_keep_alive_comments_until_the_client_goes_away()
    {
        var jobId = await SubmitJob(api.StudioA);
        using var response = await api.StudioA.GetAsync($"v1/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var deadline = new CancellationTokenSource(Patience);

        string? line;
        do
        {
            line = await reader.ReadLineAsync(deadline.Token);
        }
        while (line is not null && line != ": keep-alive");

        Assert.Equal(": keep-alive", line);
    }

    [Fact]
    public async Task A_stream_of_a_job_that_is_deleted_ends_and_a_new_one_answers_410()
    {
        var jobId = await SubmitJob(api.StudioA);
        using var response = await api.StudioA.GetAsync($"v1/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead);
        var reading = ReadEvents(response);

        Assert.Equal(HttpStatusCode.OK, (await api.StudioA.DeleteAsync($"v1/jobs/{jobId}")).StatusCode);

        var events = await reading.WaitAsync(Patience); // ends: with job.cancelled if it was read before the deletion, else at a keep-alive
        Assert.Equal(JobEventTypes.JobStarted, events[0].Type);
        using var again = await api.StudioA.GetAsync($"v1/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
    }

    [Fact]
    public async Task Another_studios_or_a_missing_job_or_batch_answers_404_before_any_stream()
    {
        var jobId = await SubmitJob(api.StudioA);
        var batchId = await EndedBatch("studio A");

        foreach (var path in new[] { $"v1/jobs/{jobId}/events", $"v1/batches/{batchId}/events", $"v1/jobs/{Guid.NewGuid()}/events", $"v1/batches/{Guid.NewGuid()}/events" })
        {
            using var response = await api.StudioB.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // The owner gets the batch's stream: its events up to batch.ended, then the end.
        using var own = await api.StudioA.GetAsync($"v1/batches/{batchId}/events", HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEvents(own).WaitAsync(Patience);
        Assert.Equal([JobEventTypes.BatchEnded], events.Select(e => e.Type));
    }

    [Fact]
    public async Task A_last_event_id_that_is_not_a_number_is_refused()
    {
        var jobId = await SubmitJob(api.StudioA);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{jobId}/events");
        request.Headers.Add("Last-Event-ID", "yesterday");

        using var response = await api.StudioA.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Last-Event-ID", await ApiChecks.Sentence(response), StringComparison.Ordinal);
    }

    /// <summary>A studio of its own (its delivery log holds only what the test made).</summary>
    private async Task<HttpClient> NewStudio()
    {
        await using var db = await api.Db();
        var (_, key) = await TenantKeys.CreateTenantAsync(db, $"studio {Guid.NewGuid():N}", TimeProvider.System, CancellationToken.None);
        var client = api.Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>Reads the studio's newest delivery from the log until <paramref name="settled"/> holds (or the patience runs out).</summary>
    private static async Task<JsonElement> Until(HttpClient studio, Func<JsonElement, bool> settled)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var log = await studio.GetFromJsonAsync<JsonElement>("v1/webhook/deliveries?page=1&pageSize=5", IngestApiFixture.Json, deadline.Token);
            var newest = log.GetProperty("items").EnumerateArray().FirstOrDefault();
            if (newest.ValueKind == JsonValueKind.Object && settled(newest))
            {
                Assert.Equal(1, log.GetProperty("total").GetInt32());
                return newest;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token); // the dispatcher records an attempt after the receiver answers
        }
    }

    private static async Task<Guid> SubmitJob(HttpClient studio)
    {
        using var response = await studio.PostAsync("v1/jobs", new RawForm().File("clip", "clip.mp4", RawForm.Clip).Content());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
    }

    /// <summary>A track job's stages report as the workers would: one chunk of 120 frames, one QC segment, the outputs.</summary>
    private async Task RunToCompletion(Guid jobId)
    {
        const int frames = 120;
        await api.Coordinator.Handle(new FramesExtracted(
            jobId, ClipNames.Source, new VideoInfo(640, 480, 25, 1, frames, frames / 25.0, false), [new FrameChunk(0, 0, frames)],
            $"{MediaKeys.ClipFolder(jobId, ClipNames.Source)}/timeline.json", null));
        await api.Coordinator.Handle(new FacesReconstructed(jobId, ClipNames.Source, 0, frames, frames, MediaKeys.Faces(jobId, ClipNames.Source, 0)));
        await api.Coordinator.Handle(new FaceSequenceBuilt(jobId, ClipNames.Source, MediaKeys.FaceSequence(jobId, ClipNames.Source), frames, frames));
        await api.Coordinator.Handle(new QcSegmentRendered(jobId, 0, frames, MediaKeys.Segment(jobId, RenderTrackOutputsStep.QcOutput, 0, ".nut")));
        await api.Coordinator.Handle(new TrackOutputsRendered(jobId, MediaKeys.Output(jobId, OutputNames.QcClip), MediaKeys.Output(jobId, OutputNames.Tracking), MediaKeys.Output(jobId, OutputNames.TrackingBinary)));
    }

    /// <summary>A batch of the studio that has ended, with its batch.ended event.</summary>
    private async Task<Guid> EndedBatch(string studio)
    {
        await using var db = await api.Db();
        var tenantId = (await db.Tenants.SingleAsync(t => t.Name == studio)).Id;
        var batch = new Batch { Id = Guid.NewGuid(), TenantId = tenantId, Name = "night.csv", State = BatchState.Ended, ShotCount = 0, CreatedAt = DateTimeOffset.UtcNow };
        db.Batches.Add(batch);
        db.JobEvents.Add(new JobEvent { TenantId = tenantId, BatchId = batch.Id, Type = JobEventTypes.BatchEnded, Data = """{"batchId":"x","shots":0}""", CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        return batch.Id;
    }

    /// <summary>The stream's events until the server ends it.</summary>
    private static async Task<List<StreamedEvent>> ReadEvents(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<StreamedEvent>();
        var fields = new Dictionary<string, string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (fields.Count > 0)
                {
                    events.Add(new StreamedEvent(long.Parse(fields["id"], System.Globalization.CultureInfo.InvariantCulture), fields["event"], fields["data"]));
                }

                fields.Clear();
            }
            else if (!line.StartsWith(':'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                fields[line[..colon]] = line[(colon + 1)..].TrimStart(' ');
            }
        }

        return events;
    }

    private sealed record StreamedEvent(long Id, string Type, string Data);
}
