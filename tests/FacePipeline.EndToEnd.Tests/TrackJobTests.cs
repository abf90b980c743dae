using System.Net;
using System.Text.Json;
using FacePipeline.Stages;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>Track jobs through every service on the real servers.</summary>
[Collection(PipelineCollection.Name)]
public sealed class TrackJobTests(PipelineFixture pipeline)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Theory]
    [InlineData("obama_wh_closeup.mp4", 0.95)] // 2997/100, AAC, one close face
    [InlineData("intel_headpose_male.mp4", 0.95)] // 12/1, no audio
    public async Task A_track_job_passes_every_stage_and_its_QC_clip_matches_the_input(string name, double minFramesWithFaces)
    {
        var clip = RepoPaths.MediaFile(name);
        var submitted = await pipeline.Submit(pipeline.StudioA, clip);
        var id = submitted.GetProperty("id").GetString()!;

        var job = await pipeline.WaitForEnd(pipeline.StudioA, id, JobTimeout);

        Assert.Equal("completed", job.GetProperty("state").GetString());
        var input = ClipFacts.Of(clip);
        foreach (var stage in job.GetProperty("stages").EnumerateArray())
        {
            Assert.Equal("completed", stage.GetProperty("state").GetString());
            Assert.Equal(input.Frames, stage.GetProperty("framesDone").GetInt32());
        }

        var folder = RepoPaths.NewScratchFolder("e2e-out");
        var qcPath = Path.Combine(folder, "qc.mp4");
        await File.WriteAllBytesAsync(qcPath, await pipeline.StudioA.GetByteArrayAsync($"v1/jobs/{id}/outputs/qc.mp4"));
        var qc = ClipFacts.Of(qcPath);
        Assert.Equal(input.Frames, qc.Frames);
        Assert.Equal(input.FrameRate, qc.FrameRate);
        var frameSeconds = 1 / Media.Rational.Parse(input.FrameRate).ToDouble();
        Assert.InRange(qc.DurationSeconds, input.DurationSeconds - frameSeconds, input.DurationSeconds + frameSeconds);
        Assert.Equal("h264", qc.VideoCodec);
        Assert.Equal(input.HasAudio, qc.HasAudio);
        Assert.Equal((input.Width, input.Height), (qc.Width, qc.Height));

        await using var trackingStream = await pipeline.StudioA.GetStreamAsync($"v1/jobs/{id}/outputs/tracking.json");
        var tracking = await TrackingJson.ReadAsync(trackingStream, CancellationToken.None);
        Assert.Equal(TrackingDocument.SchemaV2, tracking.Schema);
        Assert.Equal(Enumerable.Range(0, input.Frames), tracking.Frames.Select(f => f.Index));
        Assert.True(tracking.Frames.Count(f => f.Faces.Count > 0) >= input.Frames * minFramesWithFaces, "faces on (nearly) every frame");
        Assert.All(tracking.Frames.SelectMany(f => f.Faces), face =>
        {
            Assert.Equal(468, face.Landmarks.Length);
            Assert.NotNull(face.Pose);
            Assert.NotNull(face.Expression);
        });
        Assert.Equal(HttpStatusCode.OK, (await pipeline.StudioA.GetAsync($"v1/jobs/{id}/outputs/tracking.fptk")).StatusCode);
        Assert.All(tracking.Frames.Zip(tracking.Frames.Skip(1)), pair => Assert.True(pair.Second.Time > pair.First.Time));

        // Blendshape curves (the setup unpacks the ICT-FaceKit model into the models folder): one Live Link Face row per frame.
        var curves = (await pipeline.StudioA.GetStringAsync($"v1/jobs/{id}/outputs/blendshapes.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Timecode,BlendShapeCount,EyeBlinkLeft,", curves[0], StringComparison.Ordinal);
        Assert.Equal(input.Frames + 1, curves.Length);
        Assert.All(curves.Skip(1), row => Assert.Equal(63, row.Split(',').Length));
        Assert.Equal(HttpStatusCode.OK, (await pipeline.StudioA.GetAsync($"v1/jobs/{id}/outputs/blendshapes.json")).StatusCode);
    }

    [Fact]
    public async Task Killing_reconstruction_mid_job_and_restarting_it_still_gives_every_frame_exactly_once()
    {
        // 511 frames in chunks of 2: a few seconds of reconstruction, so the kill lands mid-job.
        var clip = RepoPaths.MediaFile("new_face_video-90.mp4");
        var frames = ClipFacts.Of(clip).Frames;
        var id = (await pipeline.Submit(pipeline.StudioA, clip, chunkSize: 2)).GetProperty("id").GetString()!;

        // Wait until some, not all, chunks are reconstructed, then kill the worker outright.
        await Eventually.UntilAsync(async () =>
        {
            var done = Stage(await pipeline.Job(pipeline.StudioA, id), "reconstruct").GetProperty("framesDone").GetInt32();
            return done > 0;
        }, JobTimeout, "first reconstructed chunk");
        pipeline.Reconstruction.Kill();
        var doneAtKill = Stage(await pipeline.Job(pipeline.StudioA, id), "reconstruct").GetProperty("framesDone").GetInt32();
        Assert.InRange(doneAtKill, 1, frames - 1);

        pipeline.Reconstruction.Start();
        await pipeline.Reconstruction.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var job = await pipeline.WaitForEnd(pipeline.StudioA, id, JobTimeout);

        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(frames, Stage(job, "reconstruct").GetProperty("framesDone").GetInt32());
        var qcPath = Path.Combine(RepoPaths.NewScratchFolder("e2e-kill"), "qc.mp4");
        await File.WriteAllBytesAsync(qcPath, await pipeline.StudioA.GetByteArrayAsync($"v1/jobs/{id}/outputs/qc.mp4"));
        var qc = ClipFacts.Of(qcPath);
        Assert.Equal((frames, "30000/1001"), (qc.Frames, qc.FrameRate)); // the exact NTSC rate survives
        Assert.Equal((640, 480), (qc.Width, qc.Height)); // the -90 rotation tag is applied
        await using var trackingStream = await pipeline.StudioA.GetStreamAsync($"v1/jobs/{id}/outputs/tracking.json");
        var tracking = await TrackingJson.ReadAsync(trackingStream, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, frames), tracking.Frames.Select(f => f.Index));
    }

    [Fact]
    public async Task Stopping_reconstruction_with_SIGTERM_mid_job_loses_nothing()
    {
        var clip = RepoPaths.MediaFile("new_face_video-90.mp4");
        var frames = ClipFacts.Of(clip).Frames;
        var id = (await pipeline.Submit(pipeline.StudioA, clip, chunkSize: 2)).GetProperty("id").GetString()!;
        await Eventually.UntilAsync(
            async () => Stage(await pipeline.Job(pipeline.StudioA, id), "reconstruct").GetProperty("framesDone").GetInt32() > 0,
            JobTimeout,
            "first reconstructed chunk");

        // A graceful stop: the chunk in hand is finished (or handed back), then the process exits cleanly.
        var exitCode = await pipeline.Reconstruction.TerminateAsync(TimeSpan.FromSeconds(60));
        var doneAtStop = Stage(await pipeline.Job(pipeline.StudioA, id), "reconstruct").GetProperty("framesDone").GetInt32();
        pipeline.Reconstruction.Start();
        await pipeline.Reconstruction.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var job = await pipeline.WaitForEnd(pipeline.StudioA, id, JobTimeout);

        Assert.Equal(0, exitCode);
        Assert.InRange(doneAtStop, 1, frames - 1);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        await using var trackingStream = await pipeline.StudioA.GetStreamAsync($"v1/jobs/{id}/outputs/tracking.json");
        var tracking = await TrackingJson.ReadAsync(trackingStream, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, frames), tracking.Frames.Select(f => f.Index));
    }

    [Theory]
    [InlineData("empty", "empty", "empty")]
    [InlineData("png-renamed", "still image", "still-image")]
    [InlineData("truncated", "truncated", "corrupt")]
    [InlineData("audio-only", "no video stream", "no-video")]
    [InlineData("text", "could not be read", "unreadable")]
    public async Task A_bad_upload_fails_its_own_job_with_a_reason(string kind, string reasonContains, string code)
    {
        var path = BadInputs.Make(kind);

        var id = (await pipeline.Submit(pipeline.StudioB, path)).GetProperty("id").GetString()!;
        var job = await pipeline.WaitForEnd(pipeline.StudioB, id, JobTimeout);

        Assert.Equal("failed", job.GetProperty("state").GetString());
        var failure = job.GetProperty("failure");
        Assert.Equal("extract", failure.GetProperty("stage").GetString());
        Assert.Contains(reasonContains, failure.GetProperty("reason").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(code, failure.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_clip_without_any_face_fails_with_no_face_found()
    {
        var id = (await pipeline.Submit(pipeline.StudioB, BadInputs.Make("no-face"))).GetProperty("id").GetString()!;

        var job = await pipeline.WaitForEnd(pipeline.StudioB, id, JobTimeout);

        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal("reconstruct", job.GetProperty("failure").GetProperty("stage").GetString());
        Assert.StartsWith("No face found", job.GetProperty("failure").GetProperty("reason").GetString()!, StringComparison.Ordinal);
        Assert.Equal("no-face", job.GetProperty("failure").GetProperty("code").GetString());
    }

    [Fact]
    public async Task After_bad_uploads_the_services_still_serve_other_jobs()
    {
        var bad = await Task.WhenAll(new[] { "empty", "text", "truncated" }.Select(k => pipeline.Submit(pipeline.StudioB, BadInputs.Make(k))));
        var good = await pipeline.Submit(pipeline.StudioB, RepoPaths.MediaFile("grid_lbbc2a.mp4"));

        foreach (var job in bad)
        {
            Assert.Equal("failed", (await pipeline.WaitForEnd(pipeline.StudioB, job.GetProperty("id").GetString()!, JobTimeout)).GetProperty("state").GetString());
        }

        var done = await pipeline.WaitForEnd(pipeline.StudioB, good.GetProperty("id").GetString()!, JobTimeout);
        Assert.Equal("completed", done.GetProperty("state").GetString());
        Assert.All(PipelineFixture.ServiceNames, name =>
            Assert.Equal(HttpStatusCode.OK, new HttpClient { BaseAddress = pipeline.Service(name).BaseAddress }.GetAsync("health/live").Result.StatusCode));
    }

    private static JsonElement Stage(JsonElement job, string name) =>
        job.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
}
