using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Ingest.Api;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// The jobs API (/v1/jobs) in process: what a submission answers and leaves in the outbox, tenancy, failure and cancel.
/// No worker runs: a job stays in its first stage unless a test moves it (through the coordinator or the bus).
/// </summary>
public sealed class JobsApiTests(IngestApiFixture api) : IClassFixture<IngestApiFixture>
{
    /// <summary>What the uploads hold: only stored, never read (no worker runs), so it need not be a video.</summary>
    private static readonly byte[] NotAVideo = "stored as uploaded; no extraction ever reads it"u8.ToArray();

    [Fact]
    public async Task A_track_job_is_accepted_with_extract_reconstruct_and_render_in_frames_the_first_running_and_its_first_command_in_the_outbox()
    {
        using var form = Form("track", ["clip"]);
        using var response = await api.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await IngestApiFixture.Body(response);
        var id = Guid.Parse(job.GetProperty("id").GetString()!);
        Assert.Equal($"/v1/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("track", job.GetProperty("kind").GetString());
        Assert.Equal("extracting", job.GetProperty("state").GetString());
        Assert.False(job.GetProperty("ended").GetBoolean());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("failure").ValueKind);
        var stages = job.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal([StageNames.Extract, StageNames.Reconstruct, StageNames.Render], stages.Select(s => s.GetProperty("name").GetString()));
        Assert.All(stages, s => Assert.Equal("frames", s.GetProperty("unit").GetString()));
        Assert.Equal(["running", "pending", "pending"], stages.Select(s => s.GetProperty("state").GetString()));

        // The first command was written with the job: extract the uploaded clip, stored as it was sent.
        var command = Assert.Single(await OutboxCommands<ExtractFrames>(id));
        Assert.Equal(ClipNames.Source, command.Clip);
        Assert.Equal(new IngestOptions().ChunkSize, command.ChunkSize);
        var stored = api.Factory.Services.GetRequiredService<MediaStore>().PathFor(command.InputKey);
        Assert.StartsWith(api.MediaRoot, stored, StringComparison.Ordinal); // the fixture's media folder, not the environment's
        Assert.Equal(NotAVideo, await File.ReadAllBytesAsync(stored));

        // The outbox dispatcher published it, on the in-memory bus that stands in for RabbitMQ.
        Assert.True(await api.Harness.Published.Any<ExtractFrames>(m => m.Context.Message.JobId == id), "ExtractFrames was not published.");
    }

    [Fact]
    public async Task A_retarget_job_lists_extract_reconstruct_transfer_and_render_and_the_settings_it_was_given()
    {
        using var form = Form("retarget", [ClipNames.Source, ClipNames.Target], ("intensity", "0.8"), ("mouthGain", "1.5"), ("pose", "source"), ("timing", "loop"));
        using var response = await api.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await IngestApiFixture.Body(response);
        var id = Guid.Parse(job.GetProperty("id").GetString()!);
        Assert.Equal("retarget", job.GetProperty("kind").GetString());
        Assert.False(job.GetProperty("ended").GetBoolean());
        var stages = job.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal([StageNames.Extract, StageNames.Reconstruct, StageNames.Transfer, StageNames.Render], stages.Select(s => s.GetProperty("name").GetString()));
        Assert.All(stages, s => Assert.Equal("frames", s.GetProperty("unit").GetString()));
        Assert.Equal(["running", "pending", "pending", "pending"], stages.Select(s => s.GetProperty("state").GetString()));
        Assert.Equal([ClipNames.Source, ClipNames.Target], job.GetProperty("clips").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        var settings = job.GetProperty("settings");
        Assert.Equal(0.8, settings.GetProperty("intensity").GetDouble());
        Assert.Equal(1.5, settings.GetProperty("mouthGain").GetDouble());
        Assert.Equal(RetargetSettings.Default.EyesGain, settings.GetProperty("eyesGain").GetDouble()); // not given: the default
        Assert.Equal("source", settings.GetProperty("pose").GetString());
        Assert.Equal("loop", settings.GetProperty("timing").GetString());
        Assert.False(settings.GetProperty("proRes").GetBoolean());

        // Both clips are extracted, each by its own command.
        Assert.Equal([ClipNames.Source, ClipNames.Target], (await OutboxCommands<ExtractFrames>(id)).Select(c => c.Clip).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_unknown_kind_is_refused_with_400_naming_the_kinds_and_leaves_no_job_and_no_upload()
    {
        var jobsBefore = await Total(api.StudioA);
        var filesBefore = MediaFiles();

        using var form = Form("dance", ["clip"]);
        using var response = await api.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await IngestApiFixture.Body(response)).GetProperty("error").GetString()!;
        Assert.Contains("Unknown job kind 'dance'", error, StringComparison.Ordinal);
        Assert.Contains(JobKinds.Track, error, StringComparison.Ordinal);
        Assert.Contains(JobKinds.Retarget, error, StringComparison.Ordinal);
        Assert.Equal(jobsBefore, await Total(api.StudioA));
        Assert.Equal(filesBefore, MediaFiles());
    }

    [Fact]
    public async Task A_train_actor_job_on_the_jobs_endpoint_is_refused_with_400_pointing_at_the_actors_endpoint()
    {
        var jobsBefore = await Total(api.StudioA);

        using var form = Form(JobKinds.TrainActor, ["clip"]);
        using var response = await api.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("POST /v1/actors", (await IngestApiFixture.Body(response)).GetProperty("error").GetString()!, StringComparison.Ordinal);
        Assert.Equal(jobsBefore, await Total(api.StudioA));
    }

    [Fact]
    public async Task Another_studios_job_answers_404_on_get_cancel_and_download_and_is_left_as_it_was()
    {
        var id = await SubmitTrack(api.StudioA);
        await AddOutput(id, "tracking.json", "{\"frames\":[]}"u8.ToArray());
        using (var own = await api.StudioA.GetAsync($"v1/jobs/{id}/outputs/tracking.json"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode); // the output is there, for its own studio
        }

        using (var get = await api.StudioB.GetAsync($"v1/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }

        using (var cancel = await api.StudioB.PostAsync($"v1/jobs/{id}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        }

        using (var download = await api.StudioB.GetAsync($"v1/jobs/{id}/outputs/tracking.json"))
        {
            Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
        }

        var listB = await api.StudioB.GetFromJsonAsync<JsonElement>("v1/jobs?pageSize=100", IngestApiFixture.Json);
        Assert.DoesNotContain(listB.GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetString() == id.ToString());
        var job = await api.Job(api.StudioA, id.ToString());
        Assert.Equal("extracting", job.GetProperty("state").GetString()); // the other studio's cancel did nothing
        Assert.False(job.GetProperty("ended").GetBoolean());
    }

    [Fact]
    public async Task A_job_failed_by_a_server_fault_shows_its_stage_code_reason_and_correlation_id_and_has_ended()
    {
        var id = await SubmitTrack(api.StudioA);
        var correlationId = Guid.NewGuid().ToString("N");

        await api.Coordinator.OnStageFailed(
            id, StageNames.Extract, FailureCodes.Internal, FailureReasons.ServerFault(StageNames.Extract, correlationId), CancellationToken.None, correlationId);

        var job = await api.Job(api.StudioA, id.ToString());
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("ended").GetBoolean());
        var failure = job.GetProperty("failure");
        Assert.Equal(StageNames.Extract, failure.GetProperty("stage").GetString());
        Assert.Equal(FailureCodes.Internal, failure.GetProperty("code").GetString());
        Assert.Equal(correlationId, failure.GetProperty("correlationId").GetString());
        Assert.Contains(correlationId, failure.GetProperty("reason").GetString()!, StringComparison.Ordinal);
        Assert.Contains("not on your footage or settings", failure.GetProperty("reason").GetString()!, StringComparison.Ordinal);
        Assert.Equal(["failed", "cancelled", "cancelled"], job.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Cancelling_a_failed_job_answers_409_and_it_stays_failed()
    {
        var id = await SubmitTrack(api.StudioA);
        var correlationId = Guid.NewGuid().ToString("N");
        await api.Coordinator.OnStageFailed(
            id, StageNames.Extract, FailureCodes.Internal, FailureReasons.ServerFault(StageNames.Extract, correlationId), CancellationToken.None, correlationId);

        using var response = await api.StudioA.PostAsync($"v1/jobs/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already ended", (await IngestApiFixture.Body(response)).GetProperty("error").GetString()!, StringComparison.Ordinal);
        var job = await api.Job(api.StudioA, id.ToString());
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal(correlationId, job.GetProperty("failure").GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task A_stage_refusal_arriving_on_the_bus_fails_the_job_with_the_stages_code_and_sentence_and_no_correlation_id()
    {
        var id = await SubmitTrack(api.StudioA);
        const string reason = "The upload has no video stream (audio only: aac).";

        // What the frame-extraction worker publishes; the coordinator's consumer, kept on the in-memory bus, handles it.
        await api.Harness.Bus.Publish(new StageFailed(id, StageNames.Extract, reason, FailureCodes.NoVideo));

        var job = await Eventually(() => api.Job(api.StudioA, id.ToString()), j => j.GetProperty("ended").GetBoolean());
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var failure = job.GetProperty("failure");
        Assert.Equal(FailureCodes.NoVideo, failure.GetProperty("code").GetString());
        Assert.Equal(reason, failure.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, failure.GetProperty("correlationId").ValueKind); // the studio's footage, not a server fault
    }

    [Fact]
    public async Task Cancelling_a_running_job_answers_200_with_the_job_cancelled_and_every_pending_or_running_stage_cancelled()
    {
        var id = await SubmitTrack(api.StudioA);

        using var response = await api.StudioA.PostAsync($"v1/jobs/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await IngestApiFixture.Body(response);
        Assert.Equal(id.ToString(), job.GetProperty("id").GetString());
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("ended").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("completedAt").ValueKind);
        Assert.Equal(["cancelled", "cancelled", "cancelled"], job.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("state").GetString()));
        Assert.Equal("cancelled", (await api.Job(api.StudioA, id.ToString())).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("01:00:00;02", "01:00:00;02")] // drop-frame, as extraction writes it into timeline.json
    [InlineData(null, null)] // a source without timecode
    public async Task A_job_shows_its_sources_frame_rate_and_start_timecode_once_extracted(string? written, string? shown)
    {
        var id = await SubmitTrack(api.StudioA);
        Assert.Equal(JsonValueKind.Null, (await api.Job(api.StudioA, id.ToString())).GetProperty("video").ValueKind); // not measured yet

        var extracted = new FramesExtracted(
            id,
            ClipNames.Source,
            new VideoInfo(640, 480, 30000, 1001, 90, 90 / (30000 / 1001.0), false),
            [new FrameChunk(0, 0, 90)],
            $"{MediaKeys.ClipFolder(id, ClipNames.Source)}/timeline.json",
            null);
        // The timeline as FrameExtractor writes it (FrameTimeline): per-frame times, then the start timecode.
        var timeline = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["frameRate"] = "30000/1001",
            ["timeBase"] = "1/30000",
            ["containerStartSeconds"] = 0.0,
            ["source"] = "packets",
            ["pts"] = Enumerable.Range(0, 90).Select(i => i * 1001L),
            ["seconds"] = Enumerable.Range(0, 90).Select(i => i * 1001 / 30000.0),
            ["startTimecode"] = written,
            ["frameCount"] = 90,
        });
        await api.Factory.Services.GetRequiredService<MediaStore>().WriteAllBytesAsync(extracted.TimelineKey, System.Text.Encoding.UTF8.GetBytes(timeline));
        await api.Coordinator.Handle(extracted);

        var video = (await api.Job(api.StudioA, id.ToString())).GetProperty("video");
        Assert.Equal("30000/1001", video.GetProperty("frameRate").GetString());
        Assert.Equal(shown, video.GetProperty("startTimecode").GetString());
    }

    private static MultipartFormDataContent Form(string kind, IEnumerable<string> fileParts, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new StringContent(kind), "kind" } };
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        foreach (var part in fileParts)
        {
            form.Add(new ByteArrayContent(NotAVideo), part, $"{part}.mp4");
        }

        return form;
    }

    private static async Task<Guid> SubmitTrack(HttpClient studio)
    {
        using var form = Form(JobKinds.Track, ["clip"]);
        using var response = await studio.PostAsync("v1/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
    }

    /// <summary>The commands of type <typeparamref name="T"/> the outbox holds for the job, in order.</summary>
    private async Task<IReadOnlyList<T>> OutboxCommands<T>(Guid jobId)
        where T : class, IJobMessage
    {
        await using var db = await api.Db();
        var rows = await db.Outbox.AsNoTracking().Where(r => r.MessageType == typeof(T).FullName).OrderBy(r => r.Id).ToListAsync();
        return [.. rows.Select(r => (T)Outbox.Deserialize(r)).Where(m => m.JobId == jobId)];
    }

    /// <summary>Gives the job an output, as the render stage would: the file in the media store and its row.</summary>
    private async Task AddOutput(Guid jobId, string name, byte[] content)
    {
        var key = MediaKeys.Output(jobId, name);
        await api.Factory.Services.GetRequiredService<MediaStore>().WriteAllBytesAsync(key, content);
        await using var db = await api.Db();
        db.JobOutputs.Add(new JobOutput { JobId = jobId, Name = name, Key = key, ContentType = "application/json" });
        await db.SaveChangesAsync();
    }

    private static async Task<int> Total(HttpClient studio) =>
        (await studio.GetFromJsonAsync<JsonElement>("v1/jobs", IngestApiFixture.Json)).GetProperty("total").GetInt32();

    private string[] MediaFiles() => [.. Directory.EnumerateFiles(api.MediaRoot, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static async Task<JsonElement> Eventually(Func<Task<JsonElement>> read, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
