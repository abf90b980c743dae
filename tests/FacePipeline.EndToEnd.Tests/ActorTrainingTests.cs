using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>Actors and train-actor jobs through every service on the real servers, the Training service included.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ActorTrainingTests(PipelineFixture pipeline)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(8);

    private static JsonElement Stage(JsonElement job, string name) =>
        job.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private static async Task<(string ActorId, string JobId)> Create(HttpClient studio, string name, int maxSteps, string clip = "grid_lbbc2a.mp4")
    {
        using var response = await PipelineFixture.PostActor(studio, [RepoPaths.MediaFile(clip)], new Dictionary<string, string>
        {
            ["name"] = name, ["cropSize"] = "64", ["maxSteps"] = maxSteps.ToString(System.Globalization.CultureInfo.InvariantCulture), ["batchSize"] = "2",
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json);
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        return (body.GetProperty("actorId").GetString()!, body.GetProperty("jobId").GetString()!);
    }

    [Fact]
    public async Task An_actor_trains_a_model_version_that_survives_a_killed_training_service_and_is_recorded_with_its_figures()
    {
        var (actorId, jobId) = await Create(pipeline.StudioA, "GRID speaker", maxSteps: 40);

        // Kill the training service outright once it has checkpointed, then start it again: the run resumes.
        await Eventually.UntilAsync(async () =>
        {
            var job = await pipeline.Job(pipeline.StudioA, jobId);
            return job.GetProperty("state").GetString() is "training" && Stage(job, "train").GetProperty("framesDone").GetInt32() >= 10;
        }, JobTimeout, "ten training steps");
        var training = pipeline.Service("Training");
        training.Kill();
        var atKill = await pipeline.Job(pipeline.StudioA, jobId);
        Assert.Equal("training", atKill.GetProperty("state").GetString());
        training.Start();
        await training.WaitReadyAsync(TimeSpan.FromSeconds(90));

        var done = await pipeline.WaitForEnd(pipeline.StudioA, jobId, JobTimeout);

        Assert.Equal("completed", done.GetProperty("state").GetString());
        Assert.Equal("train-actor", done.GetProperty("kind").GetString());
        Assert.Equal(actorId, done.GetProperty("actorId").GetString());
        Assert.Equal(["extract", "reconstruct", "train"], done.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal((40, 40), (Stage(done, "train").GetProperty("framesDone").GetInt32(), Stage(done, "train").GetProperty("framesTotal").GetInt32()));
        Assert.Matches(@"model v1 resumed from step ([1-9]\d*)", training.Log());

        var actor = await pipeline.StudioA.GetFromJsonAsync<JsonElement>($"v1/actors/{actorId}", PipelineFixture.Json);
        Assert.Equal("GRID speaker", actor.GetProperty("name").GetString());
        Assert.Equal(1, actor.GetProperty("latestReadyVersion").GetInt32());
        var model = Assert.Single(actor.GetProperty("models").EnumerateArray());
        Assert.Equal(("ready", 40, 64), (model.GetProperty("state").GetString(), model.GetProperty("step").GetInt32(), model.GetProperty("settings").GetProperty("cropSize").GetInt32()));
        var metrics = model.GetProperty("metrics");
        Assert.InRange(metrics.GetProperty("validation").GetProperty("psnr").GetDouble(), 5, 60);
        Assert.InRange(metrics.GetProperty("warpBaseline").GetProperty("psnr").GetDouble(), 5, 60);
        Assert.True(metrics.GetProperty("validation").GetProperty("pairs").GetInt32() >= 1);

        var onnx = await pipeline.StudioA.GetByteArrayAsync($"v1/jobs/{jobId}/outputs/generator.onnx");
        Assert.True(onnx.Length > 10_000, $"generator.onnx is {onnx.Length} bytes");
        var png = await pipeline.StudioA.GetByteArrayAsync(model.GetProperty("previewUrl").GetString()!.TrimStart('/'));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        var (width, height) = (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(3 * 64, width); // real | warp | neural renderer, one 64 px row per held-out pair
        Assert.True(height >= 64 && height % 64 == 0, $"{height} px high");

        // Another studio sees no such actor, and cannot retarget onto it.
        Assert.Equal(HttpStatusCode.NotFound, (await pipeline.StudioB.GetAsync($"v1/actors/{actorId}")).StatusCode);
        var performer = RepoPaths.MediaFile("grid_bbaf2n.mp4");
        using (var refused = await RetargetOntoActor(pipeline.StudioB, performer, actorId))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        // A retarget onto the actor renders the actor's footage with its model.
        using var accepted = await RetargetOntoActor(pipeline.StudioA, performer, actorId);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var retargetId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json)).GetProperty("id").GetString()!;
        var retarget = await pipeline.WaitForEnd(pipeline.StudioA, retargetId, JobTimeout);
        Assert.Equal("completed", retarget.GetProperty("state").GetString());
        Assert.Equal(1, retarget.GetProperty("settings").GetProperty("actorModelVersion").GetInt32());
        Assert.Equal(actorId, retarget.GetProperty("actorId").GetString());
        var resultPath = Path.Combine(RepoPaths.NewScratchFolder("e2e-actor-retarget"), "result.mp4");
        await File.WriteAllBytesAsync(resultPath, await pipeline.StudioA.GetByteArrayAsync($"v1/jobs/{retargetId}/outputs/result.mp4"));
        var (result, source, target) = (ClipFacts.Of(resultPath), ClipFacts.Of(performer), ClipFacts.Of(RepoPaths.MediaFile("grid_lbbc2a.mp4")));
        Assert.Equal((target.Width, target.Height, target.FrameRate), (result.Width, result.Height, result.FrameRate));
        Assert.InRange(result.DurationSeconds, source.DurationSeconds - 0.05, source.DurationSeconds + 0.05);
        Assert.Contains("neural renderer", pipeline.Service("Rendering").Log(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> RetargetOntoActor(HttpClient studio, string source, string actorId)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("retarget"), "kind" },
            { new StringContent(actorId), "actor" },
            { new ByteArrayContent(await File.ReadAllBytesAsync(source)), "source", Path.GetFileName(source) },
        };
        return await studio.PostAsync("v1/jobs", form);
    }

    [Fact]
    public async Task Cancelling_a_training_stops_it_and_the_model_version_is_cancelled()
    {
        var (actorId, jobId) = await Create(pipeline.StudioA, "to cancel", maxSteps: 100_000);
        await Eventually.UntilAsync(async () =>
            Stage(await pipeline.Job(pipeline.StudioA, jobId), "train").GetProperty("framesDone").GetInt32() > 0, JobTimeout, "training to start");

        using var cancel = await pipeline.StudioA.PostAsync($"v1/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);

        await Eventually.UntilAsync(
            () => Task.FromResult(pipeline.Service("Training").Log().Contains($"Job {jobId}: training cancelled by the studio", StringComparison.Ordinal)),
            TimeSpan.FromMinutes(2), "the training service to stop the run");
        var actor = await pipeline.StudioA.GetFromJsonAsync<JsonElement>($"v1/actors/{actorId}", PipelineFixture.Json);
        Assert.Equal("cancelled", Assert.Single(actor.GetProperty("models").EnumerateArray()).GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, actor.GetProperty("latestReadyVersion").ValueKind);
    }

    [Theory]
    [InlineData("", "Name the actor")]
    [InlineData("cropSize=100", "cropSize must be a multiple of 32")]
    [InlineData("maxSteps=0", "maxSteps must be from 1")]
    public async Task An_actor_request_without_a_name_or_with_bad_settings_is_refused_and_stores_nothing(string field, string expected)
    {
        var fields = new Dictionary<string, string> { ["name"] = "someone" };
        if (field.Length == 0)
        {
            fields.Remove("name");
        }
        else
        {
            fields[field.Split('=')[0]] = field.Split('=')[1];
        }

        var jobs = Path.Combine(pipeline.MediaRoot, "jobs");
        var before = Directory.Exists(jobs) ? Directory.GetDirectories(jobs).Length : 0;
        using var response = await PipelineFixture.PostActor(pipeline.StudioB, [RepoPaths.MediaFile("grid_bbaf2n.mp4")], fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json)).GetProperty("error").GetString()!, StringComparison.Ordinal);
        Assert.Equal(before, Directory.Exists(jobs) ? Directory.GetDirectories(jobs).Length : 0);
    }
}
