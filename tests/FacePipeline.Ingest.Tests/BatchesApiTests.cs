using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Ingest.Tests;

/// <summary>An Ingest host whose caps never hold a test's jobs back: every studio and the overnight slots may run 1000 jobs.</summary>
public sealed class BatchesApiFixture : IngestApiFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Scheduling:MaxRunningJobs"] = "1000",
        ["Scheduling:Quotas:MaxRunningJobs"] = "1000",
    };
}

/// <summary>
/// The batches API (/v1/batches) and the studio queue (/v1/queue) in process: manifests accepted and refused, retry,
/// cancel, pause, outputs.zip, quotas, and tenancy. No worker runs: a shot stays where the test puts it.
/// </summary>
public sealed class BatchesApiTests(BatchesApiFixture api) : IClassFixture<BatchesApiFixture>
{
    /// <summary>What the uploads hold: stored, never read (no worker runs).</summary>
    private static readonly byte[] NotAVideo = "stored as uploaded; no extraction ever reads it"u8.ToArray();

    private MediaStore Store => api.Factory.Services.GetRequiredService<MediaStore>();

    [Fact]
    public async Task A_csv_manifest_creates_a_batch_with_a_job_per_shot_each_with_its_own_copy_of_a_shared_file()
    {
        const string manifest = "shot,kind,clip,source,target,maxFaces,intensity\nsh010,track,a.mov,,,2,\nsh020,track,a.mov,,,,\n,retarget,,perf.mov,actor.mov,,0.8\n";

        using var response = await api.StudioA.PostAsync("v1/batches", BatchForm("night.csv", manifest, ["a.mov", "perf.mov", "actor.mov"], ("paused", "true"), ("priority", "7")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batch = await IngestApiFixture.Body(response);
        var id = Guid.Parse(batch.GetProperty("id").GetString()!);
        Assert.Equal($"/v1/batches/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(("night.csv", "running", true, "overnight", 7, 3), (
            batch.GetProperty("name").GetString(), batch.GetProperty("state").GetString(), batch.GetProperty("paused").GetBoolean(),
            batch.GetProperty("class").GetString(), batch.GetProperty("priority").GetInt32(), batch.GetProperty("shotCount").GetInt32()));
        Assert.Equal(3, batch.GetProperty("counts").GetProperty("queued").GetInt32());
        var shots = batch.GetProperty("shots").EnumerateArray().ToList();
        Assert.Equal(["sh010", "sh020", "shot-003"], shots.Select(s => s.GetProperty("shot").GetString()));
        Assert.Equal([1, 2, 3], shots.Select(s => s.GetProperty("index").GetInt32()));
        Assert.Equal(["track", "track", "retarget"], shots.Select(s => s.GetProperty("kind").GetString()));
        Assert.All(shots, s => Assert.Equal("queued", s.GetProperty("state").GetString()));

        await using var db = await api.Db();
        var jobs = await db.Jobs.AsNoTracking().Include(j => j.Clips).Where(j => j.BatchId == id).OrderBy(j => j.ShotIndex).ToListAsync();
        Assert.Equal(shots.Select(s => s.GetProperty("jobId").GetString()), jobs.Select(j => j.Id.ToString()));
        Assert.Equal(2, jobs[0].MaxFaces);
        Assert.All(jobs, j => Assert.Equal((JobPriorityClass.Overnight, 7), (j.PriorityClass, j.Priority)));
        foreach (var clip in jobs.SelectMany(j => j.Clips))
        {
            Assert.StartsWith(MediaKeys.JobPrefix(clip.JobId) + "/", clip.InputKey, StringComparison.Ordinal); // each job's own copy
            Assert.Equal(NotAVideo, await File.ReadAllBytesAsync(Store.PathFor(clip.InputKey)));
        }

        Assert.Equal(["perf.mov", "actor.mov"], jobs[2].Clips.OrderBy(c => c.Name == ClipNames.Source ? 0 : 1).Select(c => c.InputFileName));
        Assert.False(Directory.Exists(Store.PathFor($"batches/{id:N}"))); // the form's files were staged, then removed

        var list = await api.StudioA.GetFromJsonAsync<JsonElement>("v1/batches?pageSize=100", IngestApiFixture.Json);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), b => b.GetProperty("id").GetString() == id.ToString() && b.GetProperty("counts").GetProperty("queued").GetInt32() == 3);
    }

    [Fact]
    public async Task A_json_manifest_naming_a_completed_upload_and_a_file_part_is_accepted()
    {
        var uploadId = await CompletedUpload(await TenantOf("studio A"), "uploaded take"u8.ToArray());
        var manifest = $$"""{"shots":[{"shot":"up","kind":"track","clip":"upload:{{uploadId}}","maxFaces":3},{"shot":"part","kind":"track","clip":"b.mov"}]}""";

        using var response = await api.StudioA.PostAsync("v1/batches", BatchForm("night.json", manifest, ["b.mov"], ("paused", "true")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
        await using var db = await api.Db();
        var fromUpload = await db.Jobs.AsNoTracking().SingleAsync(j => j.BatchId == id && j.ShotName == "up");
        Assert.Equal(3, fromUpload.MaxFaces);
        Assert.Equal("take.mov", fromUpload.InputFileName);
        Assert.Equal("uploaded take"u8.ToArray(), await File.ReadAllBytesAsync(Store.PathFor(fromUpload.InputKey)));
        Assert.StartsWith(MediaKeys.JobPrefix(fromUpload.Id), fromUpload.InputKey, StringComparison.Ordinal);
        Assert.True(Store.Exists((await db.Uploads.SingleAsync(u => u.Id == uploadId)).Key)); // the upload stays the studio's
    }

    [Fact]
    public async Task A_single_job_may_name_a_completed_upload_instead_of_sending_the_clip_and_gets_its_own_copy()
    {
        var uploadId = await CompletedUpload(await TenantOf("studio A"), "uploaded single take"u8.ToArray());
        using var form = new MultipartFormDataContent { { new StringContent($"upload:{uploadId}"), "clip" }, { new StringContent("overnight"), "class" } };

        using var response = await api.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
        await using var db = await api.Db();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
        Assert.Equal("take.mov", job.InputFileName);
        Assert.Equal(JobPriorityClass.Overnight, job.PriorityClass);
        Assert.StartsWith(MediaKeys.JobPrefix(id) + "/", job.InputKey, StringComparison.Ordinal);
        Assert.Equal("uploaded single take"u8.ToArray(), await File.ReadAllBytesAsync(Store.PathFor(job.InputKey)));
        Assert.True(Store.Exists((await db.Uploads.SingleAsync(u => u.Id == uploadId)).Key)); // the upload stays the studio's
    }

    [Theory]
    [InlineData("another studio's upload")]
    [InlineData("not an upload reference")]
    public async Task A_single_job_naming_an_upload_it_may_not_use_is_refused_with_400_and_nothing_is_stored(string what)
    {
        var value = what == "not an upload reference" ? "clips/take.mov" : $"upload:{await CompletedUpload(await TenantOf("studio B"), NotAVideo)}";
        var (jobsBefore, filesBefore) = (await Count<Job>(), MediaFiles());
        using var form = new MultipartFormDataContent { { new StringContent(value), "clip" } };

        using var response = await api.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("upload", (await IngestApiFixture.Body(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(jobsBefore, await Count<Job>());
        Assert.Equal(filesBefore, MediaFiles());
    }

    [Fact]
    public async Task A_bad_row_is_refused_with_400_naming_its_row_and_nothing_is_created()
    {
        var (batchesBefore, jobsBefore, filesBefore) = (await Count<Batch>(), await Count<Job>(), MediaFiles());
        const string manifest = "shot,kind,clip,maxFaces\nsh010,track,a.mov,2\nsh020,track,a.mov,99\n";

        using var response = await api.StudioA.PostAsync("v1/batches", BatchForm("m.csv", manifest, ["a.mov"]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await IngestApiFixture.Body(response)).GetProperty("error").GetString()!;
        Assert.Contains("Row 2 (shot 'sh020'): maxFaces must be a whole number from 1 to 8 (got '99').", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Row 1", error, StringComparison.Ordinal);
        Assert.Equal((batchesBefore, jobsBefore), (await Count<Batch>(), await Count<Job>()));
        Assert.Equal(filesBefore, MediaFiles());
    }

    [Fact]
    public async Task A_row_naming_a_file_the_request_lacks_or_another_studios_upload_is_refused_with_its_row()
    {
        var othersUpload = await CompletedUpload(await TenantOf("studio B"), NotAVideo);
        var manifest = $"kind,clip\ntrack,missing.mov\ntrack,upload:{othersUpload}\n";

        using var response = await api.StudioA.PostAsync("v1/batches", BatchForm("m.csv", manifest, []));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await IngestApiFixture.Body(response)).GetProperty("error").GetString()!;
        Assert.Contains("Row 1 (shot 'shot-001'): clip 'missing.mov' is not among the request's files", error, StringComparison.Ordinal);
        Assert.Contains($"Row 2 (shot 'shot-002'): clip names upload {othersUpload}, which is not a completed upload of your studio", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_failed_creates_new_jobs_only_for_failed_shots_and_the_batch_runs_again()
    {
        var (id, jobIds) = await SubmitBatch(api.StudioA, 3, ("class", "interactive"));
        await api.Coordinator.OnStageFailed(jobIds[1], StageNames.Extract, FailureCodes.NoFace, "No face in the clip.", CancellationToken.None);
        var failed = await api.StudioA.GetFromJsonAsync<JsonElement>($"v1/batches/{id}", IngestApiFixture.Json);
        Assert.Equal(1, failed.GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.Equal(FailureCodes.NoFace, failed.GetProperty("shots")[1].GetProperty("failure").GetProperty("code").GetString());

        using var response = await api.StudioA.PostAsync($"v1/batches/{id}/retry-failed", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batch = await IngestApiFixture.Body(response);
        var shots = batch.GetProperty("shots").EnumerateArray().ToList();
        Assert.Equal([jobIds[0].ToString(), jobIds[2].ToString()], new[] { shots[0], shots[2] }.Select(s => s.GetProperty("jobId").GetString()));
        Assert.NotEqual(jobIds[1].ToString(), shots[1].GetProperty("jobId").GetString());
        Assert.Equal([1, 2, 1], shots.Select(s => s.GetProperty("attempts").GetInt32()));
        Assert.Equal(0, batch.GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.Equal(("running", 0), (batch.GetProperty("state").GetString(), batch.GetProperty("shotsEnded").GetInt32()));
        await using var db = await api.Db();
        var retry = await db.Jobs.AsNoTracking().Include(j => j.Clips).SingleAsync(j => j.Id == Guid.Parse(shots[1].GetProperty("jobId").GetString()!));
        Assert.Equal((id, "shot-002", 2, JobPriorityClass.Interactive), (retry.BatchId!.Value, retry.ShotName, retry.ShotIndex!.Value, retry.PriorityClass));
        Assert.Equal(NotAVideo, await File.ReadAllBytesAsync(Store.PathFor(retry.Clips.Single().InputKey)));
        Assert.Equal(4, await db.Jobs.CountAsync(j => j.BatchId == id));

        using var again = await api.StudioA.PostAsync($"v1/batches/{id}/retry-failed", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("nothing to retry", (await IngestApiFixture.Body(again)).GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_batch_cancels_its_queued_shots_and_ends_it()
    {
        var (id, jobIds) = await SubmitBatch(api.StudioA, 2, ("paused", "true"));

        using var response = await api.StudioA.PostAsync($"v1/batches/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batch = await IngestApiFixture.Body(response);
        Assert.Equal(2, batch.GetProperty("counts").GetProperty("cancelled").GetInt32());
        Assert.Equal(("ended", 2), (batch.GetProperty("state").GetString(), batch.GetProperty("shotsEnded").GetInt32()));
        Assert.NotEqual(JsonValueKind.Null, batch.GetProperty("cancelledAt").ValueKind);
        await using var db = await api.Db();
        Assert.All(await db.Jobs.AsNoTracking().Where(j => jobIds.Contains(j.Id)).ToListAsync(), j => Assert.Equal(JobState.Cancelled, j.State));
    }

    [Fact]
    public async Task A_paused_batch_holds_its_queued_shots_until_it_is_resumed()
    {
        var (id, jobIds) = await SubmitBatch(api.StudioA, 2, ("paused", "true"));
        var scheduler = api.Factory.Services.GetRequiredService<JobScheduler>();

        var started = await scheduler.StartQueuedJobs(CancellationToken.None);

        Assert.DoesNotContain(started, jobIds.Contains);
        Assert.Equal(2, (await Batch(id)).GetProperty("counts").GetProperty("queued").GetInt32());

        using var paused = await api.StudioA.PostAsync($"v1/batches/{id}/pause", null);
        Assert.True((await IngestApiFixture.Body(paused)).GetProperty("paused").GetBoolean());
        using var response = await api.StudioA.PostAsync($"v1/batches/{id}/resume", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await IngestApiFixture.Body(response)).GetProperty("paused").GetBoolean());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement batch;
        do
        {
            await scheduler.StartQueuedJobs(CancellationToken.None); // the resume woke the scheduler too: either round starts them
            batch = await Batch(id);
        }
        while (batch.GetProperty("counts").GetProperty("running").GetInt32() < 2 && DateTime.UtcNow < deadline);

        Assert.Equal(2, batch.GetProperty("counts").GetProperty("running").GetInt32());
        Assert.All(batch.GetProperty("shots").EnumerateArray(), s => Assert.Equal(StageNames.Extract, s.GetProperty("stage").GetString()));
    }

    [Fact]
    public async Task Outputs_zip_holds_each_completed_shots_outputs_under_its_shot_folder_and_reports_every_shot()
    {
        var (id, jobIds) = await SubmitBatch(api.StudioA, 3, ("class", "interactive"));
        var video = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        await Complete(jobIds[0], ("qc.mp4", "video/mp4", video), ("tracking.json", "application/json", "{\"frames\":[]}"u8.ToArray()));
        await api.Coordinator.OnStageFailed(jobIds[1], StageNames.Extract, FailureCodes.NoFace, "No face in the clip.", CancellationToken.None);
        await Complete(jobIds[2], ("tracking.json", "application/json", "{}"u8.ToArray()));
        await using (var db = await api.Db())
        {
            await db.Jobs.Where(j => j.Id == jobIds[2]).ExecuteUpdateAsync(s => s.SetProperty(j => j.MediaDeletedAt, DateTimeOffset.UtcNow));
        }

        using var response = await api.StudioA.GetAsync($"v1/batches/{id}/outputs.zip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        Assert.Equal(["report.csv", "report.json", "shot-001/qc.mp4", "shot-001/tracking.json"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        var qc = zip.GetEntry("shot-001/qc.mp4")!;
        Assert.Equal(qc.Length, qc.CompressedLength); // video is stored, not deflated
        Assert.Equal(video, Read(qc));
        Assert.Equal("{\"frames\":[]}"u8.ToArray(), Read(zip.GetEntry("shot-001/tracking.json")!));
        var report = Encoding.UTF8.GetString(Read(zip.GetEntry("report.csv")!)).Split("\r\n");
        Assert.StartsWith("shot,index,jobId,kind,state,failureCode,failureReason,outputs,note", report[0], StringComparison.Ordinal);
        Assert.StartsWith($"shot-001,1,{jobIds[0]},track,completed,,,shot-001/qc.mp4 shot-001/tracking.json,", report[1], StringComparison.Ordinal);
        Assert.StartsWith($"shot-002,2,{jobIds[1]},track,failed,{FailureCodes.NoFace},No face in the clip.,,", report[2], StringComparison.Ordinal);
        Assert.Contains("outputs deleted by retention", report[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_eta_applies_the_studios_measured_stage_speeds_to_the_frames_its_unfinished_shots_have_left()
    {
        var (studio, tenantId) = await api.NewStudio("studio eta");
        using var client = studio;

        // One track job completed an hour ago: 100 frames from 1000 bytes, extracted in 10 s, reconstructed in 20 s, rendered in 50 s.
        var done = DateTimeOffset.UtcNow.AddHours(-1);
        var measured = Guid.NewGuid();
        await using (var db = await api.Db())
        {
            db.Jobs.Add(new Job
            {
                Id = measured, TenantId = tenantId, Kind = JobKinds.Track, State = JobState.Completed, InputFileName = "m.mov", InputKey = MediaKeys.Input(measured, ClipNames.Source, ".mov"),
                InputBytes = 1000, FrameCount = 100, CreatedAt = done.AddMinutes(-2), UpdatedAt = done, CompletedAt = done,
                Stages =
                [
                    new JobStage { JobId = measured, Name = StageNames.Extract, Order = 0, State = StageState.Completed, FramesDone = 100, FramesTotal = 100, StartedAt = done.AddSeconds(-80), CompletedAt = done.AddSeconds(-70) },
                    new JobStage { JobId = measured, Name = StageNames.Reconstruct, Order = 1, State = StageState.Completed, FramesDone = 100, FramesTotal = 100, StartedAt = done.AddSeconds(-70), CompletedAt = done.AddSeconds(-50) },
                    new JobStage { JobId = measured, Name = StageNames.Render, Order = 2, State = StageState.Completed, FramesDone = 100, FramesTotal = 100, StartedAt = done.AddSeconds(-50), CompletedAt = done },
                ],
            });
            await db.SaveChangesAsync();
        }

        var (id, _) = await SubmitBatch(client, 1, ("class", "interactive"));
        var batch = await client.GetFromJsonAsync<JsonElement>($"v1/batches/{id}", IngestApiFixture.Json);

        // The shot's frames before extraction: its bytes x 0.1 frames per byte; then 10, 5 and 2 frames per second.
        var frames = NotAVideo.Length * 0.1;
        Assert.Equal(Math.Round((frames / 10) + (frames / 5) + (frames / 2), 1), batch.GetProperty("etaSeconds").GetDouble(), 3);
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("etaReason").ValueKind);
    }

    [Fact]
    public async Task A_batch_past_the_studios_queued_cap_answers_429_naming_the_cap_and_creates_nothing()
    {
        var (studio, tenantId) = await api.NewStudio("studio queued-cap");
        using var client = studio;
        await SetCaps(tenantId, maxQueued: 2);

        using var response = await client.PostAsync("v1/batches", BatchForm("m.csv", "kind,clip\ntrack,a.mov\ntrack,a.mov\ntrack,a.mov\n", ["a.mov"]));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(
            "Your studio has 0 jobs waiting and this submission would queue 3 more, past the most it may queue, 2 (Scheduling:Quotas:MaxQueuedJobs or the studio's own cap); wait for some to start, cancel some, or send fewer shots.",
            (await IngestApiFixture.Body(response)).GetProperty("error").GetString());
        await using var db = await api.Db();
        Assert.False(await db.Batches.AnyAsync(b => b.TenantId == tenantId));
    }

    [Fact]
    public async Task A_job_past_the_studios_stored_bytes_cap_answers_429_naming_the_cap_and_leaves_no_job()
    {
        var (studio, tenantId) = await api.NewStudio("studio bytes-cap");
        using var client = studio;
        await SetCaps(tenantId, maxBytes: 10);

        using var form = new MultipartFormDataContent { { new StringContent("track"), "kind" }, { new ByteArrayContent(NotAVideo), "clip", "clip.mp4" } };
        using var response = await client.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = (await IngestApiFixture.Body(response)).GetProperty("error").GetString()!;
        Assert.Equal($"Your studio keeps 0 bytes in the media store and this submission adds {NotAVideo.Length} bytes, past the most it may keep, 10 bytes (Scheduling:Quotas:MaxStoredBytes or the studio's own cap); delete jobs or uploads you no longer need (DELETE /v1/jobs/{{id}}), then send it again.", error);
        await using var db = await api.Db();
        Assert.False(await db.Jobs.AnyAsync(j => j.TenantId == tenantId));
    }

    [Fact]
    public async Task The_studio_queue_shows_its_caps_and_a_paused_queue_holds_a_new_interactive_job()
    {
        var (studio, tenantId) = await api.NewStudio("studio queue");
        using var client = studio;
        await SetCaps(tenantId, maxQueued: 50);

        using var paused = await client.PostAsync("v1/queue/pause", null);
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        using var form = new MultipartFormDataContent { { new StringContent("track"), "kind" }, { new ByteArrayContent(NotAVideo), "clip", "clip.mp4" } };
        using var submitted = await client.PostAsync("v1/jobs", form);
        Assert.Equal("queued", (await IngestApiFixture.Body(submitted)).GetProperty("state").GetString());

        var queue = await client.GetFromJsonAsync<JsonElement>("v1/queue", IngestApiFixture.Json);

        Assert.Equal((true, 0, 1, (long)NotAVideo.Length), (queue.GetProperty("paused").GetBoolean(), queue.GetProperty("running").GetInt32(), queue.GetProperty("queued").GetInt32(), queue.GetProperty("storedBytes").GetInt64()));
        var caps = queue.GetProperty("caps");
        Assert.Equal((1000, 50, new QuotaOptions().MaxStoredBytes, "queue"), (caps.GetProperty("maxRunningJobs").GetInt32(), caps.GetProperty("maxQueuedJobs").GetInt32(), caps.GetProperty("maxStoredBytes").GetInt64(), caps.GetProperty("atRunningCap").GetString()));
        using var resumed = await client.PostAsync("v1/queue/resume", null);
        Assert.False((await IngestApiFixture.Body(resumed)).GetProperty("paused").GetBoolean());
    }

    public static TheoryData<string, string> BatchCalls => new()
    {
        { "GET", "v1/batches/{0}" },
        { "POST", "v1/batches/{0}/retry-failed" },
        { "POST", "v1/batches/{0}/cancel" },
        { "POST", "v1/batches/{0}/pause" },
        { "POST", "v1/batches/{0}/resume" },
        { "GET", "v1/batches/{0}/outputs.zip" },
    };

    [Theory]
    [MemberData(nameof(BatchCalls))]
    public async Task A_batch_of_another_studio_answers_404_as_a_missing_one_and_is_left_as_it_was(string method, string path)
    {
        var (id, jobIds) = await SubmitBatch(api.StudioA, 1, ("paused", "true"));
        var missing = Guid.NewGuid();

        using var other = await api.StudioB.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, path, id)));
        using var none = await api.StudioA.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, path, missing)));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (other.StatusCode, none.StatusCode));
        Assert.Equal(
            (await IngestApiFixture.Body(none)).GetProperty("error").GetString()!.Replace(missing.ToString(), "{id}", StringComparison.Ordinal),
            (await IngestApiFixture.Body(other)).GetProperty("error").GetString()!.Replace(id.ToString(), "{id}", StringComparison.Ordinal));
        var batch = await Batch(id);
        Assert.Equal((true, "running", "queued"), (batch.GetProperty("paused").GetBoolean(), batch.GetProperty("state").GetString(), batch.GetProperty("shots")[0].GetProperty("state").GetString()));
        var listB = await api.StudioB.GetFromJsonAsync<JsonElement>("v1/batches?pageSize=100", IngestApiFixture.Json);
        Assert.DoesNotContain(listB.GetProperty("items").EnumerateArray(), b => b.GetProperty("id").GetString() == id.ToString());
        Assert.Single(jobIds);
    }

    /// <summary>A batch form: the manifest part, and a file part per file name (content <see cref="NotAVideo"/>), with fields.</summary>
    private static MultipartFormDataContent BatchForm(string manifestName, string manifest, IEnumerable<string> files, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(manifest)), "manifest", manifestName } };
        var n = 0;
        foreach (var file in files)
        {
            form.Add(new ByteArrayContent(NotAVideo), $"file-{++n}", file);
        }

        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    /// <summary>A batch of <paramref name="shots"/> track shots (shot-001 …) on one shared clip; its id and its jobs in shot order.</summary>
    private async Task<(Guid Id, IReadOnlyList<Guid> JobIds)> SubmitBatch(HttpClient studio, int shots, params (string Name, string Value)[] fields)
    {
        var manifest = "kind,clip\n" + string.Concat(Enumerable.Repeat("track,take.mov\n", shots));
        using var response = await studio.PostAsync("v1/batches", BatchForm("m.csv", manifest, ["take.mov"], fields));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batch = await IngestApiFixture.Body(response);
        return (Guid.Parse(batch.GetProperty("id").GetString()!), [.. batch.GetProperty("shots").EnumerateArray().Select(s => Guid.Parse(s.GetProperty("jobId").GetString()!))]);
    }

    private Task<JsonElement> Batch(Guid id) => api.StudioA.GetFromJsonAsync<JsonElement>($"v1/batches/{id}", IngestApiFixture.Json);

    /// <summary>Completes a job as the last stage would: its outputs in the media store and their rows, the job completed.</summary>
    private async Task Complete(Guid jobId, params (string Name, string ContentType, byte[] Content)[] outputs)
    {
        await using var db = await api.Db();
        foreach (var (name, contentType, content) in outputs)
        {
            var key = MediaKeys.Output(jobId, name);
            await Store.WriteAllBytesAsync(key, content);
            db.JobOutputs.Add(new JobOutput { JobId = jobId, Name = name, Key = key, ContentType = contentType });
        }

        await db.SaveChangesAsync();
        await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Completed).SetProperty(j => j.CompletedAt, DateTimeOffset.UtcNow));
    }

    /// <summary>A completed upload of the studio (table uploads), its file in the media store.</summary>
    private async Task<Guid> CompletedUpload(Guid tenantId, byte[] content)
    {
        var id = Guid.NewGuid();
        var key = $"uploads/{id:N}/take.mov";
        await Store.WriteAllBytesAsync(key, content);
        await using var db = await api.Db();
        var now = DateTimeOffset.UtcNow;
        db.Uploads.Add(new Upload { Id = id, TenantId = tenantId, FileName = "take.mov", Key = key, Length = content.Length, Offset = content.Length, CreatedAt = now, CompletedAt = now, ExpiresAt = now.AddDays(1) });
        await db.SaveChangesAsync();
        return id;
    }

    private async Task SetCaps(Guid tenantId, int? maxQueued = null, long? maxBytes = null)
    {
        await using var db = await api.Db();
        await db.Tenants.Where(t => t.Id == tenantId).ExecuteUpdateAsync(s => s.SetProperty(t => t.MaxQueuedJobs, maxQueued).SetProperty(t => t.MaxStoredBytes, maxBytes));
    }

    private async Task<Guid> TenantOf(string name)
    {
        await using var db = await api.Db();
        return await db.Tenants.Where(t => t.Name == name).Select(t => t.Id).SingleAsync();
    }

    private async Task<int> Count<T>()
        where T : class
    {
        await using var db = await api.Db();
        return await db.Set<T>().CountAsync();
    }

    private string[] MediaFiles() => [.. Directory.EnumerateFiles(api.MediaRoot, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>An Ingest host that refuses work past a studio's running cap (Scheduling:Quotas:AtRunningCap=Refuse).</summary>
public sealed class RefusingQuotaFixture : IngestApiFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Scheduling:Quotas:AtRunningCap"] = "Refuse",
        ["Scheduling:Quotas:MaxRunningJobs"] = "1",
    };
}

/// <summary>The running cap where the service refuses rather than queues.</summary>
public sealed class RunningCapRefusalTests(RefusingQuotaFixture api) : IClassFixture<RefusingQuotaFixture>
{
    [Fact]
    public async Task A_job_past_the_running_cap_answers_429_naming_the_cap_when_the_service_refuses()
    {
        using var first = await api.StudioA.PostAsync("v1/jobs", Form());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("extracting", (await IngestApiFixture.Body(first)).GetProperty("state").GetString());

        using var second = await api.StudioA.PostAsync("v1/jobs", Form());
        using var batch = await api.StudioA.PostAsync("v1/batches", new MultipartFormDataContent
        {
            { new ByteArrayContent("kind,clip\ntrack,a.mov\n"u8.ToArray()), "manifest", "m.csv" },
            { new ByteArrayContent("x"u8.ToArray()), "file-1", "a.mov" },
        });

        const string sentence = "Your studio runs 1 job, the most it may run at once (Scheduling:Quotas:MaxRunningJobs or the studio's own cap), and this service refuses work past it (Scheduling:Quotas:AtRunningCap is Refuse); wait for a job to end or cancel one, then send it again.";
        Assert.Equal((HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests), (second.StatusCode, batch.StatusCode));
        Assert.Equal(sentence, (await IngestApiFixture.Body(second)).GetProperty("error").GetString());
        Assert.Equal(sentence, (await IngestApiFixture.Body(batch)).GetProperty("error").GetString());
        await using var db = await api.Db();
        Assert.Equal(1, await db.Jobs.CountAsync());
    }

    private static MultipartFormDataContent Form() =>
        new() { { new StringContent("track"), "kind" }, { new ByteArrayContent("x"u8.ToArray()), "clip", "clip.mp4" } };
}
