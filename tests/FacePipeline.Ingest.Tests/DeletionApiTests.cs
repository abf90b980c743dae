using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// Issue 16, retention and deletion, through the API in process (real PostgreSQL, media in the fixture's scratch folder):
/// DELETE /v1/jobs/{id} and DELETE /v1/actors/{id} remove everything under the job's or actor's keys at once and nothing
/// else (byte for byte), answer 404 for another studio's and 409 for an actor's training job, leave a deletion record,
/// and what was deleted then answers 410 with a sentence; retention's deletion of a job's outputs answers 410 too.
/// </summary>
public sealed class DeletionApiTests(IngestApiFixture api) : IClassFixture<IngestApiFixture>
{
    private MediaStore Media => api.Factory.Services.GetRequiredService<MediaStore>();

    [Fact]
    public async Task Deleting_a_running_job_answers_200_with_what_it_removed_and_afterwards_the_job_answers_410()
    {
        var bystander = await ExtractedTrackJob(api.StudioA);
        var bystanderFiles = Files(MediaKeys.JobPrefix(bystander));
        var id = await ExtractedTrackJob(api.StudioA);
        var (files, bytes) = Count(MediaKeys.JobPrefix(id));
        Assert.Equal(2, files); // the upload and the timeline (no frames are stored)

        using (var response = await api.StudioA.DeleteAsync($"v1/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await IngestApiFixture.Body(response);
            Assert.Equal(("job", id.ToString(), JobKinds.Track, DeletionReasons.StudioRequest), (body.GetProperty("deleted").GetString(), body.GetProperty("id").GetString(), body.GetProperty("kind").GetString(), body.GetProperty("reason").GetString()));
            Assert.Equal((files, bytes), (body.GetProperty("files").GetInt32(), body.GetProperty("bytes").GetInt64()));
            Assert.True(body.GetProperty("complete").GetBoolean());
            Assert.Equal([id.ToString()], body.GetProperty("cancelledJobs").EnumerateArray().Select(j => j.GetString()));
            Assert.StartsWith($"Job {id} was deleted after cancelling 1 running job(s): {files} file(s)", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Media.PathFor(MediaKeys.JobPrefix(id))));
        AssertUnchanged(MediaKeys.JobPrefix(bystander), bystanderFiles);

        foreach (var request in new Func<Task<HttpResponseMessage>>[]
        {
            () => api.StudioA.GetAsync($"v1/jobs/{id}"),
            () => api.StudioA.PostAsync($"v1/jobs/{id}/cancel", null),
            () => api.StudioA.GetAsync($"v1/jobs/{id}/outputs/{OutputNames.QcClip}"),
            () => api.StudioA.DeleteAsync($"v1/jobs/{id}"),
        })
        {
            using var gone = await request();
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.StartsWith($"Job {id} was deleted at your request on ", await ApiChecks.Sentence(gone), StringComparison.Ordinal);
        }

        // Another studio learns nothing of it: 404, as for a job that never was.
        using (var other = await api.StudioB.GetAsync($"v1/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            Assert.Equal($"No job {id}.", await ApiChecks.Sentence(other));
        }

        var list = await api.StudioA.GetFromJsonAsync<JsonElement>("v1/jobs?pageSize=100", IngestApiFixture.Json);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetString() == id.ToString());
        await using var db = await api.Db();
        Assert.False(await db.Jobs.AnyAsync(j => j.Id == id));
        var record = await db.Deletions.SingleAsync(d => d.SubjectId == id);
        Assert.Equal((await Tenant("studio A"), files, bytes), (record.TenantId, record.Files, record.Bytes));
    }

    [Fact]
    public async Task Another_studios_job_and_actor_answer_404_on_delete_and_stay_as_they_were()
    {
        var id = await ExtractedTrackJob(api.StudioA);
        var (actorId, training) = await ReadyActor("studio A");
        var before = new[] { MediaKeys.JobPrefix(id), MediaKeys.JobPrefix(training), $"actors/{actorId:N}" }.ToDictionary(p => p, Files);

        using (var job = await api.StudioB.DeleteAsync($"v1/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, job.StatusCode);
            Assert.Equal($"No job {id}.", await ApiChecks.Sentence(job));
        }

        using (var actor = await api.StudioB.DeleteAsync($"v1/actors/{actorId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, actor.StatusCode);
            Assert.Equal($"No actor {actorId}.", await ApiChecks.Sentence(actor));
        }

        foreach (var (prefix, files) in before)
        {
            AssertUnchanged(prefix, files);
        }

        Assert.Equal("reconstructing", (await api.Job(api.StudioA, id.ToString())).GetProperty("state").GetString());
        using (var own = await api.StudioA.GetAsync($"v1/actors/{actorId}"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        await using var db = await api.Db();
        Assert.False(await db.Deletions.AnyAsync(d => d.SubjectId == id || d.SubjectId == actorId || d.SubjectId == training));
    }

    [Fact]
    public async Task A_query_string_on_a_delete_is_refused_not_ignored()
    {
        var id = await ExtractedTrackJob(api.StudioA);
        var before = Files(MediaKeys.JobPrefix(id));

        using var response = await api.StudioA.DeleteAsync($"v1/jobs/{id}?keepOutputs=true");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("takes no parameters (got 'keepOutputs')", await ApiChecks.Sentence(response), StringComparison.Ordinal);
        AssertUnchanged(MediaKeys.JobPrefix(id), before);
    }

    [Fact]
    public async Task An_actors_training_job_answers_409_naming_the_actor_to_delete_instead_and_nothing_is_removed()
    {
        var (actorId, training) = await CreateActor(api.StudioA, "Ada");
        var before = Files(MediaKeys.JobPrefix(training));

        using var response = await api.StudioA.DeleteAsync($"v1/jobs/{training}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var sentence = await ApiChecks.Sentence(response);
        Assert.StartsWith($"Job {training} trained version 1 of actor {actorId}: its clips are the actor's footage", sentence, StringComparison.Ordinal);
        Assert.Contains($"Delete the actor instead (DELETE /v1/actors/{actorId}", sentence, StringComparison.Ordinal);
        AssertUnchanged(MediaKeys.JobPrefix(training), before);
        Assert.Equal("extracting", (await api.Job(api.StudioA, training.ToString())).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Deleting_an_actor_cancels_its_training_removes_its_footage_and_models_and_then_the_actor_and_its_job_answer_410()
    {
        var (bystander, bystanderJob) = await CreateActor(api.StudioA, "Bea");
        var (actorId, training) = await CreateActor(api.StudioA, "Cy");
        await Media.WriteAllBytesAsync(MediaKeys.ActorModel(actorId, 1, ActorModelFiles.Checkpoint), new byte[512]); // a checkpoint of the training so far
        var kept = new[] { MediaKeys.JobPrefix(bystanderJob) }.ToDictionary(p => p, Files);
        var expected = Count(MediaKeys.JobPrefix(training)).Files + 1;

        using (var response = await api.StudioA.DeleteAsync($"v1/actors/{actorId}"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await IngestApiFixture.Body(response);
            Assert.Equal(("actor", actorId.ToString()), (body.GetProperty("deleted").GetString(), body.GetProperty("id").GetString()));
            Assert.Equal([training.ToString()], body.GetProperty("cancelledJobs").EnumerateArray().Select(j => j.GetString()));
            Assert.Equal([training.ToString()], body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
            Assert.Equal(expected, body.GetProperty("files").GetInt32());
        }

        Assert.False(Directory.Exists(Media.PathFor(MediaKeys.JobPrefix(training))));
        Assert.False(Directory.Exists(Media.PathFor($"actors/{actorId:N}")));
        foreach (var (prefix, files) in kept)
        {
            AssertUnchanged(prefix, files);
        }

        using (var actor = await api.StudioA.GetAsync($"v1/actors/{actorId}"))
        {
            Assert.Equal(HttpStatusCode.Gone, actor.StatusCode);
            Assert.StartsWith($"Actor {actorId} was deleted at your request on ", await ApiChecks.Sentence(actor), StringComparison.Ordinal);
        }

        using (var job = await api.StudioA.GetAsync($"v1/jobs/{training}"))
        {
            Assert.Equal(HttpStatusCode.Gone, job.StatusCode);
            Assert.StartsWith($"Job {training} was deleted with actor {actorId}, at your request, on ", await ApiChecks.Sentence(job), StringComparison.Ordinal);
        }

        using (var next = await api.StudioA.PostAsync($"v1/actors/{actorId}/models", new RawForm().File("clip-1", "take2.mp4", RawForm.Clip).Content()))
        {
            Assert.Equal(HttpStatusCode.Gone, next.StatusCode);
        }

        var retarget = new RawForm().Field("kind", "retarget").Field("actor", actorId.ToString()).File(ClipNames.Source, "performer.mp4", RawForm.Clip);
        using (var onto = await api.StudioA.PostAsync("v1/jobs", retarget.Content()))
        {
            Assert.Equal(HttpStatusCode.BadRequest, onto.StatusCode);
            Assert.StartsWith($"Actor {actorId} was deleted on ", await ApiChecks.Sentence(onto), StringComparison.Ordinal);
        }

        var actors = await api.StudioA.GetFromJsonAsync<JsonElement>("v1/actors", IngestApiFixture.Json);
        Assert.Contains(actors.EnumerateArray(), a => a.GetProperty("id").GetString() == bystander.ToString());
        Assert.DoesNotContain(actors.EnumerateArray(), a => a.GetProperty("id").GetString() == actorId.ToString());

        await using var db = await api.Db();
        var cancels = await db.Outbox.AsNoTracking().Where(r => r.MessageType == typeof(JobCancelled).FullName).ToListAsync();
        Assert.Contains(cancels.Select(r => (JobCancelled)Outbox.Deserialize(r)), c => c.JobId == training); // the training service stops the run
        Assert.Equal(
            [(DeletionSubjects.Actor, actorId), (DeletionSubjects.Job, training)],
            (await db.Deletions.Where(d => d.ActorId == actorId).OrderBy(d => d.Subject).ToListAsync()).Select(d => (d.Subject, d.SubjectId)));
    }

    [Fact]
    public async Task A_retarget_rendered_onto_a_deleted_actor_keeps_its_outputs()
    {
        var (actorId, _) = await ReadyActor("studio A");
        var form = new RawForm().Field("kind", "retarget").Field("actor", actorId.ToString()).File(ClipNames.Source, "performer.mp4", RawForm.Clip);
        Guid retarget;
        using (var submitted = await api.StudioA.PostAsync("v1/jobs", form.Content()))
        {
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            retarget = Guid.Parse((await IngestApiFixture.Body(submitted)).GetProperty("id").GetString()!);
        }

        var result = "the actor performing the performer's expressions"u8.ToArray();
        await Complete(retarget, (OutputNames.Result, result));
        var kept = Files(MediaKeys.JobPrefix(retarget));

        using (var deleted = await api.StudioA.DeleteAsync($"v1/actors/{actorId}"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        AssertUnchanged(MediaKeys.JobPrefix(retarget), kept);
        var job = await api.Job(api.StudioA, retarget.ToString());
        Assert.Equal(("completed", actorId.ToString()), (job.GetProperty("state").GetString(), job.GetProperty("actorId").GetString()));
        Assert.Equal(result, await api.StudioA.GetByteArrayAsync($"v1/jobs/{retarget}/outputs/{OutputNames.Result}"));
    }

    [Fact]
    public async Task Outputs_that_retention_deleted_answer_410_and_the_job_keeps_its_record()
    {
        var id = await ExtractedTrackJob(api.StudioA);
        await Complete(id, (OutputNames.Tracking, "{\"frames\":[]}"u8.ToArray()));
        var ended = (await api.Job(api.StudioA, id.ToString())).GetProperty("completedAt").GetDateTimeOffset();
        var retention = api.Factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RetentionOptions>>().Value;
        Assert.Equal(ended + retention.JobMedia, (await api.Job(api.StudioA, id.ToString())).GetProperty("mediaKeptUntil").GetDateTimeOffset());

        var (files, bytes) = Count(MediaKeys.JobPrefix(id));
        var clock = new Clock(ended + retention.JobMedia + TimeSpan.FromMinutes(1));
        var sweeper = ActivatorUtilities.CreateInstance<MediaRetention>(api.Factory.Services, (TimeProvider)clock);
        await sweeper.SweepAsync(CancellationToken.None);

        Assert.False(Directory.Exists(Media.PathFor(MediaKeys.JobPrefix(id))));
        var job = await api.Job(api.StudioA, id.ToString());
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(120, job.GetProperty("video").GetProperty("frameCount").GetInt32()); // its figures stay
        Assert.Equal(clock.GetUtcNow(), job.GetProperty("mediaDeletedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("mediaKeptUntil").ValueKind);
        Assert.Contains(job.GetProperty("outputs").EnumerateArray(), o => o.GetProperty("name").GetString() == OutputNames.Tracking);

        using var download = await api.StudioA.GetAsync($"v1/jobs/{id}/outputs/{OutputNames.Tracking}");
        Assert.Equal(HttpStatusCode.Gone, download.StatusCode);
        var sentence = await ApiChecks.Sentence(download);
        Assert.StartsWith($"The inputs and outputs of job {id} were deleted on ", sentence, StringComparison.Ordinal);
        Assert.Contains("the service keeps them for 30 days after a job ends", sentence, StringComparison.Ordinal);

        await using var db = await api.Db();
        var record = await db.Deletions.SingleAsync(d => d.SubjectId == id);
        Assert.Equal((DeletionReasons.Retention, files, bytes), (record.Reason, record.Files, record.Bytes));
    }

    // ---- helpers ----

    /// <summary>A track job submitted through the API and extracted (120 frames in one chunk): its upload and timeline are in the media store.</summary>
    private async Task<Guid> ExtractedTrackJob(HttpClient studio)
    {
        using var response = await studio.PostAsync("v1/jobs", new RawForm().Field("kind", "track").File("clip", "clip.mp4", RawForm.Clip).Content());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
        var extracted = new FramesExtracted(
            id,
            ClipNames.Source,
            new VideoInfo(640, 480, 25, 1, 120, 120 / 25.0, false),
            [new FrameChunk(0, 0, 120)],
            $"{MediaKeys.ClipFolder(id, ClipNames.Source)}/timeline.json",
            null);
        await Media.WriteAllBytesAsync(extracted.TimelineKey, "{\"frames\":[]}"u8.ToArray());
        await api.Coordinator.Handle(extracted);
        Assert.Equal("reconstructing", (await api.Job(studio, id.ToString())).GetProperty("state").GetString());
        return id;
    }

    /// <summary>An actor created through the API: its train-actor job is extracting its uploaded clip.</summary>
    private async Task<(Guid ActorId, Guid JobId)> CreateActor(HttpClient studio, string name)
    {
        using var response = await studio.PostAsync("v1/actors", new RawForm().Field("name", name).File("clip-1", "take1.mp4", RawForm.Clip).Content());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await IngestApiFixture.Body(response);
        return (Guid.Parse(body.GetProperty("actorId").GetString()!), Guid.Parse(body.GetProperty("jobId").GetString()!));
    }

    /// <summary>An actor with a ready model version 1, as a completed training leaves it: rows, and its footage and model files.</summary>
    private async Task<(Guid ActorId, Guid JobId)> ReadyActor(string studio)
    {
        await using var db = await api.Db();
        var tenantId = await Tenant(studio);
        var actor = new Actor { Id = Guid.NewGuid(), TenantId = tenantId, Name = "Ada", CreatedAt = DateTimeOffset.UtcNow };
        var trainingId = Guid.NewGuid();
        var training = new Job
        {
            Id = trainingId,
            TenantId = tenantId,
            Kind = JobKinds.TrainActor,
            State = JobState.Completed,
            ActorId = actor.Id,
            InputFileName = "take1.mp4",
            InputKey = MediaKeys.Input(trainingId, "clip-1", ".mp4"),
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
            CompletedAt = DateTimeOffset.UtcNow,
            Clips =
            [
                new JobClip
                {
                    JobId = trainingId, Name = "clip-1", InputFileName = "take1.mp4", InputKey = MediaKeys.Input(trainingId, "clip-1", ".mp4"), Extracted = true,
                    Width = 640, Height = 480, FrameRate = "25/1", FrameCount = 50, DurationSeconds = 2, HasAudio = false,
                    TimelineKey = $"{MediaKeys.ClipFolder(trainingId, "clip-1")}/timeline.json", SequenceKey = MediaKeys.FaceSequence(trainingId, "clip-1"),
                },
            ],
            Chunks = [new JobChunk { JobId = trainingId, Clip = "clip-1", Index = 0, FirstFrame = 0, FrameCount = 50, FacesKey = MediaKeys.Faces(trainingId, "clip-1", 0), Reconstructed = true, FramesWithFaces = 50 }],
        };
        var model = new ActorModel
        {
            Id = Guid.NewGuid(), ActorId = actor.Id, Version = 1, JobId = trainingId, State = ActorModelState.Ready, Settings = JobSettings.Serialize(TrainingSettings.Default),
            GeneratorKey = MediaKeys.ActorModel(actor.Id, 1, ActorModelFiles.Generator), CheckpointKey = MediaKeys.ActorModel(actor.Id, 1, ActorModelFiles.Checkpoint),
            PreviewKey = MediaKeys.ActorModel(actor.Id, 1, ActorModelFiles.Preview), CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Actors.Add(actor);
        db.Jobs.Add(training);
        db.ActorModels.Add(model);
        await db.SaveChangesAsync();
        foreach (var key in new[] { training.InputKey, training.Clips[0].TimelineKey!, training.Chunks[0].FacesKey, training.Clips[0].SequenceKey!, model.GeneratorKey, model.CheckpointKey, model.PreviewKey })
        {
            await Media.WriteAllBytesAsync(key, System.Text.Encoding.UTF8.GetBytes(key));
        }

        return (actor.Id, trainingId);
    }

    /// <summary>Ends a job as completed with the given outputs (files and rows), as its render stage would.</summary>
    private async Task Complete(Guid jobId, params (string Name, byte[] Content)[] outputs)
    {
        await using var db = await api.Db();
        foreach (var (name, content) in outputs)
        {
            var key = MediaKeys.Output(jobId, name);
            await Media.WriteAllBytesAsync(key, content);
            db.JobOutputs.Add(new JobOutput { JobId = jobId, Name = name, Key = key, ContentType = "application/octet-stream" });
        }

        await db.SaveChangesAsync();
        var now = DateTimeOffset.UtcNow;
        await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Completed).SetProperty(j => j.CompletedAt, now));
    }

    private async Task<Guid> Tenant(string name)
    {
        await using var db = await api.Db();
        return (await db.Tenants.SingleAsync(t => t.Name == name)).Id;
    }

    private SortedDictionary<string, byte[]> Files(string prefix)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var path = Media.PathFor(prefix);
        foreach (var file in Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories) : [])
        {
            files[Path.GetRelativePath(Media.Root, file)] = File.ReadAllBytes(file);
        }

        Assert.NotEmpty(files);
        return files;
    }

    private (int Files, long Bytes) Count(string prefix)
    {
        var files = Files(prefix);
        return (files.Count, files.Values.Sum(b => (long)b.Length));
    }

    private void AssertUnchanged(string prefix, SortedDictionary<string, byte[]> before)
    {
        var now = Files(prefix);
        Assert.Equal(before.Keys, now.Keys);
        Assert.All(before, f => Assert.True(f.Value.AsSpan().SequenceEqual(now[f.Key]), $"{f.Key} changed."));
    }

    /// <summary>A clock set by the test, for the retention's sweep.</summary>
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        private readonly DateTimeOffset _now = new(now.Ticks - (now.Ticks % 10), TimeSpan.Zero); // whole microseconds, as PostgreSQL keeps them

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
