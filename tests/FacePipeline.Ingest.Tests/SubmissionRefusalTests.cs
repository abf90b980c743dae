using System.Net;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// Issue 15: what the API did with a malformed request or a bad value. Each answered a 500 or was silently ignored
/// (the default used instead); each must be refused with a 4xx and a sentence a person can act on, and leave nothing
/// in the media store. A value that can only be checked once the clip is measured (a neutral frame against its frame
/// count, a face point against its picture) fails the job as bad-settings as soon as extraction reports the clip.
/// </summary>
public sealed class SubmissionRefusalTests(IngestApiFixture api) : IClassFixture<IngestApiFixture>
{
    // ---- the body is not a well-formed form: a 500 before ----

    [Theory]
    [InlineData(100)]
    [InlineData(100_000)] // past the bytes the reader looks through for a first boundary
    public async Task A_multipart_body_that_never_matches_its_boundary_is_refused_with_400_and_leaves_no_folder(int clipBytes)
    {
        var form = new RawForm("the-boundary-in-the-body").Field("kind", "track").File("clip", "clip.mp4", new byte[clipBytes]);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content(contentTypeBoundary: "another-boundary")));

        Assert.Contains("boundary '--another-boundary'", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multipart_body_without_its_closing_boundary_is_refused_and_leaves_no_folder()
    {
        var form = new RawForm().Field("kind", "track").File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content(close: false)));

        Assert.Contains("without the closing boundary", sentence, StringComparison.Ordinal);
        Assert.Contains("'clip'", sentence, StringComparison.Ordinal); // where it broke
    }

    [Fact]
    public async Task An_actor_form_without_its_closing_boundary_is_refused_and_leaves_no_folder()
    {
        var form = new RawForm().Field("name", "Ada").File("clip-1", "take1.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/actors", form.Content(close: false)));

        Assert.Contains("without the closing boundary", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_part_file_name_of_20000_characters_is_refused_with_400_and_leaves_no_folder()
    {
        var form = new RawForm().Field("kind", "track").File("clip", new string('n', 20_000) + ".mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("file name", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_name_longer_than_255_characters_is_refused_not_cut_short()
    {
        var form = new RawForm().Field("kind", "track").File("clip", new string('n', 1_000) + ".mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("is 1004 characters long", sentence, StringComparison.Ordinal);
        Assert.Contains("at most 255", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_boundary_longer_than_70_characters_is_refused_with_400()
    {
        var form = new RawForm(new string('b', 5_000)).Field("kind", "track").File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("at most 70", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_part_without_a_content_disposition_is_refused_not_skipped()
    {
        var form = new RawForm().Field("kind", "track").Part("Content-Type: text/plain", "maxFaces=3"u8.ToArray()).File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("Part 2", sentence, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition", sentence, StringComparison.Ordinal);
    }

    // ---- listing: a 500 before ----

    [Fact]
    public async Task Listing_page_2147483647_is_refused_with_400_instead_of_reaching_the_database_as_a_negative_offset()
    {
        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.GetAsync("v1/jobs?page=2147483647"), checkFolders: false);

        Assert.Contains("page must be a whole number from 1 to 107374183 with pageSize 20", sentence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("page=0", "page must be")] // was read as page 1
    [InlineData("page=-5", "page must be")]
    [InlineData("page=abc", "page must be")] // was an empty 400
    [InlineData("pageSize=1000", "pageSize must be a whole number from 1 to 100")] // was cut to 100
    [InlineData("pageSize=0", "pageSize must be")]
    [InlineData("page=1&page=2", "page must be")]
    [InlineData("state=failed", "Unknown query parameter 'state'")] // was ignored: every job listed
    public async Task Listing_with_a_page_or_page_size_out_of_range_or_an_unknown_parameter_is_refused_not_clamped(string query, string expected)
    {
        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.GetAsync($"v1/jobs?{query}"), checkFolders: false);

        Assert.Contains(expected, sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_last_page_that_can_be_asked_for_answers_an_empty_page()
    {
        using var response = await api.StudioA.GetAsync("v1/jobs?page=107374183&pageSize=20");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await IngestApiFixture.Body(response);
        Assert.Equal(107374183, page.GetProperty("page").GetInt32());
        Assert.Empty(page.GetProperty("items").EnumerateArray());
    }

    // ---- a value that did not parse was replaced by the default ----

    [Theory]
    [InlineData("1e9")]
    [InlineData("abc")]
    [InlineData("9")]
    [InlineData("0")]
    [InlineData("")]
    public async Task MaxFaces_that_is_not_a_whole_number_from_1_to_8_is_refused_not_replaced_by_the_default(string value)
    {
        var form = new RawForm().Field("kind", "track").Field("maxFaces", value).File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains($"maxFaces must be a whole number from 1 to 8 (got '{value}')", sentence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("track", "99999999999")]
    [InlineData("track", "abc")]
    [InlineData("retarget", "99999999999")]
    [InlineData("retarget", "0")]
    public async Task A_chunk_size_that_is_not_a_whole_number_from_1_to_10000_is_refused_not_replaced_by_the_default(string kind, string value)
    {
        var form = new RawForm().Field("kind", kind).Field("chunkSize", value);
        foreach (var part in kind == JobKinds.Track ? ["clip"] : new[] { ClipNames.Source, ClipNames.Target })
        {
            form.File(part, $"{part}.mp4", RawForm.Clip);
        }

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains($"chunkSize must be a whole number of frames from 1 to 10000 (got '{value}')", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_actor_chunk_size_of_99999999999_is_refused_not_replaced_by_the_default()
    {
        var form = new RawForm().Field("name", "Ada").Field("chunkSize", "99999999999").File("clip-1", "take1.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/actors", form.Content()));

        Assert.Contains("chunkSize must be a whole number of frames from 1 to 10000 (got '99999999999')", sentence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pose", "target,source")] // Enum.TryParse reads a combination: it was taken as 'source'
    [InlineData("timing", "1")]
    public async Task A_retarget_choice_that_is_not_one_of_its_names_is_refused(string field, string value)
    {
        using var response = await api.StudioA.PostAsync("v1/jobs", Retarget((field, value)).Content());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"{field} must be one of:", await ApiChecks.Sentence(response), StringComparison.Ordinal);
    }

    // ---- fields past the sixteenth were dropped; unknown fields ignored ----

    [Fact]
    public async Task A_kind_sent_as_the_seventeenth_field_is_read_not_dropped()
    {
        // Sixteen fields the endpoint takes, then kind=foo: the kind used to be dropped and a track job started.
        var form = new RawForm();
        foreach (var (name, value) in new[]
        {
            ("chunkSize", "32"), ("maxFaces", "2"), ("neutralFrame", "3"), ("facePoint", "10,10"), ("intensity", "1"), ("mouthGain", "1"),
            ("eyesGain", "1"), ("browsGain", "1"), ("pose", "target"), ("timing", "loop"), ("prores", "false"), ("neutral", "first"),
            ("sourceNeutralFrame", "0"), ("targetNeutralFrame", "0"), ("space", "mesh"), ("modelVersion", "1"),
        })
        {
            form.Field(name, value);
        }

        form.Field("kind", "foo").File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("Unknown job kind 'foo'", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_field_is_refused_with_400_naming_it_and_the_fields_the_request_takes()
    {
        var form = new RawForm().Field("kind", "track").File("clip", "clip.mp4", RawForm.Clip).Field("colour", "red");

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("Unknown field 'colour'", sentence, StringComparison.Ordinal);
        Assert.Contains("maxFaces", sentence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("track", "intensity", "1.2")]
    [InlineData("retarget", "maxFaces", "2")]
    public async Task A_field_of_the_other_job_kind_is_refused_naming_it(string kind, string field, string value)
    {
        var form = kind == JobKinds.Track
            ? new RawForm().Field("kind", kind).Field(field, value).File("clip", "clip.mp4", RawForm.Clip)
            : Retarget((field, value));

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains($"The field '{field}' is not one of a {kind} job", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_field_sent_twice_is_refused_not_overwritten()
    {
        var form = new RawForm().Field("kind", "track").Field("maxFaces", "2").Field("maxFaces", "3").File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("'maxFaces' is sent more than once", sentence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1/jobs?maxFaces=3")]
    [InlineData("v1/actors?maxSteps=10")]
    public async Task Settings_sent_in_the_query_string_of_a_submission_are_refused_not_ignored(string url)
    {
        var form = url.StartsWith("v1/jobs", StringComparison.Ordinal)
            ? new RawForm().Field("kind", "track").File("clip", "clip.mp4", RawForm.Clip)
            : new RawForm().Field("name", "Ada").File("clip-1", "take1.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync(url, form.Content()));

        Assert.Contains("not in the query string", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_on_an_actors_next_version_is_refused_not_ignored()
    {
        using var created = await api.StudioA.PostAsync("v1/actors", new RawForm().Field("name", "Ada").File("clip-1", "take1.mp4", RawForm.Clip).Content());
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var actorId = (await IngestApiFixture.Body(created)).GetProperty("actorId").GetString();
        var form = new RawForm().Field("name", "Someone else").File("clip-1", "take2.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync($"v1/actors/{actorId}/models", form.Content()));

        Assert.Contains("Unknown field 'name'", sentence, StringComparison.Ordinal);
    }

    // ---- facePoint=Infinity,Infinity was accepted, then failed the job as internal-error ----

    [Theory]
    [InlineData("Infinity,Infinity")]
    [InlineData("1e9,1e9")]
    [InlineData("NaN,5")]
    [InlineData("-1,5")]
    [InlineData("640")]
    [InlineData("1,2,3")]
    public async Task A_face_point_that_is_not_finite_is_negative_or_is_absurd_is_refused_at_submission(string value)
    {
        var form = new RawForm().Field("kind", "track").Field("facePoint", value).File("clip", "clip.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.Contains("facePoint must be 'x,y' in pixels of the upright frame, each from 0 to 65535", sentence, StringComparison.Ordinal);
    }

    // ---- values only the clip can check: the job fails as bad-settings once the clip is measured ----

    [Fact]
    public async Task A_neutral_frame_beyond_the_clip_fails_the_job_as_bad_settings_as_soon_as_extraction_counts_its_frames()
    {
        var id = await Submit(new RawForm().Field("kind", "track").Field("neutralFrame", "999999").File("clip", "clip.mp4", RawForm.Clip));

        await api.Coordinator.Handle(Extracted(id, ClipNames.Source, frames: 120));

        var failure = await Failure(id);
        Assert.Equal(FailureCodes.BadSettings, failure.GetProperty("code").GetString());
        Assert.Equal(StageNames.Extract, failure.GetProperty("stage").GetString());
        Assert.StartsWith("The neutral frame 999999 is beyond the clip's 120 frames (numbered 0 to 119)", failure.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, failure.GetProperty("correlationId").ValueKind); // the studio's settings, not a server fault
        Assert.Equal(0, await Commands(id, typeof(ReconstructFaces))); // nothing of the clip is reconstructed
    }

    [Fact]
    public async Task The_clips_last_frame_as_neutral_frame_lets_reconstruction_start()
    {
        var id = await Submit(new RawForm().Field("kind", "track").Field("neutralFrame", "119").File("clip", "clip.mp4", RawForm.Clip));

        await api.Coordinator.Handle(Extracted(id, ClipNames.Source, frames: 120));

        var job = await api.Job(api.StudioA, id.ToString());
        Assert.Equal("reconstructing", job.GetProperty("state").GetString());
        Assert.Equal(1, await Commands(id, typeof(ReconstructFaces)));
    }

    [Theory]
    [InlineData(ClipNames.Source, "sourceNeutralFrame")]
    [InlineData(ClipNames.Target, "targetNeutralFrame")]
    public async Task A_retarget_neutral_frame_beyond_its_clip_fails_the_job_as_bad_settings_as_soon_as_that_clip_is_measured(string clip, string field)
    {
        var id = await Submit(Retarget((field, "120")));
        var other = clip == ClipNames.Source ? ClipNames.Target : ClipNames.Source;

        await api.Coordinator.Handle(Extracted(id, other, frames: 500)); // the other clip is long enough: no failure yet
        Assert.Equal("extracting", (await api.Job(api.StudioA, id.ToString())).GetProperty("state").GetString());
        await api.Coordinator.Handle(Extracted(id, clip, frames: 120));

        var failure = await Failure(id);
        Assert.Equal(FailureCodes.BadSettings, failure.GetProperty("code").GetString());
        Assert.StartsWith($"The {clip} neutral frame 120 is beyond the 120 frames of the {clip} clip (numbered 0 to 119): name one of its frames in {field}", failure.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_neutral_frame_beyond_the_actors_footage_is_refused_at_submission()
    {
        var actorId = await ReadyActor(footageFrames: 50);
        var form = new RawForm().Field("kind", "retarget").Field("actor", actorId.ToString()).Field("targetNeutralFrame", "50").File(ClipNames.Source, "performer.mp4", RawForm.Clip);

        var sentence = await Refused(HttpStatusCode.BadRequest, () => api.StudioA.PostAsync("v1/jobs", form.Content()));

        Assert.StartsWith("The target neutral frame 50 is beyond the 50 frames of the actor's footage (numbered 0 to 49)", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_face_point_off_the_clips_picture_fails_the_job_as_bad_settings_as_soon_as_extraction_measures_it()
    {
        var id = await Submit(new RawForm().Field("kind", "track").Field("facePoint", "5000,10").File("clip", "clip.mp4", RawForm.Clip));

        await api.Coordinator.Handle(Extracted(id, ClipNames.Source, frames: 120));

        var failure = await Failure(id);
        Assert.Equal(FailureCodes.BadSettings, failure.GetProperty("code").GetString());
        Assert.StartsWith("The face point 5000,10 is off the clip's 640x480 picture", failure.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_problem_answers_of_a_submission()
    {
        using var anonymous = api.Factory.CreateClient();
        using var document = JsonDocument.Parse(await anonymous.GetStringAsync("openapi/v1.json"));

        var responses = document.RootElement.GetProperty("paths").GetProperty("/v1/jobs").GetProperty("post").GetProperty("responses");
        Assert.True(responses.GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _), responses.GetRawText());
    }

    [Fact]
    public async Task A_call_that_does_not_exist_answers_404_with_a_sentence()
    {
        var sentence = await Refused(HttpStatusCode.NotFound, () => api.StudioA.GetAsync("v1/nothing-here"), checkFolders: false);

        Assert.Contains("There is no GET /v1/nothing-here", sentence, StringComparison.Ordinal);
    }

    // ---- helpers ----

    private static RawForm Retarget(params (string Name, string Value)[] fields)
    {
        var form = new RawForm().Field("kind", "retarget");
        foreach (var (name, value) in fields)
        {
            form.Field(name, value);
        }

        return form.File(ClipNames.Source, "performer.mp4", RawForm.Clip).File(ClipNames.Target, "actor.mp4", RawForm.Clip);
    }

    /// <summary>Sends the request; asserts the status, a problem answer with a sentence, and (for a submission) that no job folder or file was left.</summary>
    private async Task<string> Refused(HttpStatusCode status, Func<Task<HttpResponseMessage>> send, bool checkFolders = true)
    {
        var folders = ApiChecks.JobFolders(api.MediaRoot);
        var files = ApiChecks.MediaFiles(api.MediaRoot);
        using var response = await send();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

        var sentence = await ApiChecks.Sentence(response);
        if (checkFolders)
        {
            Assert.Equal(folders, ApiChecks.JobFolders(api.MediaRoot));
            Assert.Equal(files, ApiChecks.MediaFiles(api.MediaRoot));
        }

        return sentence;
    }

    private async Task<Guid> Submit(RawForm form)
    {
        using var response = await api.StudioA.PostAsync("v1/jobs", form.Content());
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
    }

    /// <summary>What the frame-extraction worker reports for a clip of <paramref name="frames"/> 640x480 frames, in one chunk.</summary>
    private static FramesExtracted Extracted(Guid jobId, string clip, int frames) => new(
        jobId,
        clip,
        new VideoInfo(640, 480, 25, 1, frames, frames / 25.0, false),
        [new FrameChunk(0, 0, frames)],
        $"jobs/{jobId:N}/timeline-{clip}.json",
        null);

    private async Task<JsonElement> Failure(Guid id)
    {
        var job = await api.Job(api.StudioA, id.ToString());
        Assert.Equal("failed", job.GetProperty("state").GetString());
        return job.GetProperty("failure");
    }

    /// <summary>How many commands of <paramref name="type"/> the outbox holds for the job.</summary>
    private async Task<int> Commands(Guid jobId, Type type)
    {
        await using var db = await api.Db();
        var rows = await db.Outbox.AsNoTracking().Where(r => r.MessageType == type.FullName).ToListAsync();
        return rows.Select(r => Outbox.Deserialize(r)).OfType<IJobMessage>().Count(m => m.JobId == jobId);
    }

    /// <summary>An actor of studio A with a ready model version 1, trained on footage of <paramref name="footageFrames"/> frames.</summary>
    private async Task<Guid> ReadyActor(int footageFrames)
    {
        await using var db = await api.Db();
        var tenantId = (await db.Tenants.SingleAsync(t => t.Name == "studio A")).Id;
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
            Clips =
            [
                new JobClip
                {
                    JobId = trainingId, Name = "clip-1", InputFileName = "take1.mp4", InputKey = MediaKeys.Input(trainingId, "clip-1", ".mp4"), Extracted = true,
                    Width = 640, Height = 480, FrameRate = "25/1", FrameCount = footageFrames, DurationSeconds = footageFrames / 25.0, HasAudio = false,
                    TimelineKey = $"jobs/{trainingId:N}/timeline.json",
                },
            ],
        };
        db.Actors.Add(actor);
        db.Jobs.Add(training);
        db.ActorModels.Add(new ActorModel
        {
            Id = Guid.NewGuid(), ActorId = actor.Id, Version = 1, JobId = trainingId, State = ActorModelState.Ready, Settings = JobSettings.Serialize(TrainingSettings.Default),
            GeneratorKey = "actors/g.onnx", CheckpointKey = "actors/c.pt", PreviewKey = "actors/p.png", CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return actor.Id;
    }
}
