using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Stages;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>Retarget jobs through every service on the real servers.</summary>
[Collection(PipelineCollection.Name)]
public sealed class RetargetJobTests(PipelineFixture pipeline)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_retarget_job_gives_the_sources_duration_at_the_targets_size_and_rate_with_audio_a_review_clip_and_ProRes()
    {
        // 115 frames at 29.97 fps (3.84 s, AAC) onto 75 frames at 25 fps, 360x288: rates differ and the target is shorter.
        var (sourcePath, targetPath) = (RepoPaths.MediaFile("obama_wh_closeup.mp4"), RepoPaths.MediaFile("grid_lbbc2a.mp4"));
        using var response = await PipelineFixture.PostRetarget(pipeline.StudioA, sourcePath, targetPath, new Dictionary<string, string> { ["prores"] = "true", ["intensity"] = "1.2" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json)).GetProperty("id").GetString()!;

        var job = await pipeline.WaitForEnd(pipeline.StudioA, id, JobTimeout);

        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal("retarget", job.GetProperty("kind").GetString());
        Assert.Equal(["extract", "reconstruct", "transfer", "render"], job.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.All(job.GetProperty("stages").EnumerateArray(), s => Assert.Equal("completed", s.GetProperty("state").GetString()));
        Assert.Equal(["source", "target"], job.GetProperty("clips").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(1.2, job.GetProperty("settings").GetProperty("intensity").GetDouble());

        var (source, target) = (ClipFacts.Of(sourcePath), ClipFacts.Of(targetPath));
        var folder = RepoPaths.NewScratchFolder("e2e-retarget");
        async Task<ClipFacts> Download(string name)
        {
            var path = Path.Combine(folder, name);
            await File.WriteAllBytesAsync(path, await pipeline.StudioA.GetByteArrayAsync($"v1/jobs/{id}/outputs/{name}"));
            return ClipFacts.Of(path);
        }

        var result = await Download("result.mp4");
        var targetFrame = 1 / Media.Rational.Parse(target.FrameRate).ToDouble();
        Assert.Equal(target.FrameRate, result.FrameRate);
        Assert.Equal((target.Width, target.Height), (result.Width, result.Height));
        Assert.Equal("h264", result.VideoCodec);
        Assert.True(result.HasAudio, "the result carries the source's audio");
        Assert.InRange(result.Frames * targetFrame, source.DurationSeconds - targetFrame, source.DurationSeconds + targetFrame);

        var review = await Download("review.mp4");
        Assert.Equal(result.Frames, review.Frames);
        Assert.True(review.Width > 2 * review.Height, $"three panels side by side: {review.Width}x{review.Height}");

        var proRes = await Download("result.mov");
        Assert.Equal("prores", proRes.VideoCodec);
        Assert.Equal(result.Frames, proRes.Frames);

        await using var stream = await pipeline.StudioA.GetStreamAsync($"v1/jobs/{id}/outputs/transfer.json");
        var document = await RetargetDocument.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(result.Frames, document.Frames.Count);
        Assert.Equal(target.Frames, document.TargetFrames.Count);
        Assert.True(document.Frames.Count(f => f.Target == "tracked") >= document.Frames.Count * 0.95, "the target's face is driven on (nearly) every frame");
        Assert.All(document.Frames.Where(f => f.Destination is not null), f => Assert.Equal(468, f.Destination!.Length));
        Assert.Equal(73, document.Frames[75].TargetFrame); // ping-pong past the target's last frame (74)

        // The QC verdict: the result tracked again against the performer and the actor (issue 13's measure).
        await using var qcStream = await pipeline.StudioA.GetStreamAsync($"v1/jobs/{id}/outputs/qc.json");
        var qc = await Retarget.RetargetQcReport.ReadAsync(qcStream, CancellationToken.None);
        Assert.Equal(result.Frames, qc.OutputFrames);
        Assert.True(qc.MeasuredFrames >= result.Frames * 0.9, $"{qc.MeasuredFrames} of {result.Frames} frames measured");
        Assert.Equal(Retarget.ExpressionFeatures.All.Count, qc.Features.Count);
        Assert.Contains(qc.Verdict, new[] { "pass", "review" });
        Assert.Equal(qc.Verdict == "review", qc.Findings.Count > 0);
        var mouth = qc.Features.Single(f => f.Feature == "mouthOpening");
        Assert.True(mouth.Judged, "the performer talks: the mouth opening is judged");
        Assert.True(mouth.PerformerR >= 0.9, $"the result's mouth follows the performer's: r {mouth.PerformerR}");
        Assert.DoesNotContain(qc.TrackingLost, r => r.Reason == "result-face-lost" && r.Last - r.First >= 4);

        // The transferred expression's blendshape curves: one Live Link Face row per output frame.
        var curves = (await pipeline.StudioA.GetStringAsync($"v1/jobs/{id}/outputs/blendshapes.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Timecode,BlendShapeCount,", curves[0], StringComparison.Ordinal);
        Assert.Equal(result.Frames + 1, curves.Length);
    }

    [Fact]
    public async Task A_retarget_in_blendshape_space_completes_and_its_transfer_document_says_so()
    {
        // One GRID talker onto another (75 frames each, 25 fps): the ICT model is fitted to both on the transfer service.
        var (sourcePath, targetPath) = (RepoPaths.MediaFile("grid_bbaf2n.mp4"), RepoPaths.MediaFile("grid_lbbc2a.mp4"));
        using var response = await PipelineFixture.PostRetarget(pipeline.StudioB, sourcePath, targetPath, new Dictionary<string, string> { ["space"] = "blendshapes" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json)).GetProperty("id").GetString()!;

        var job = await pipeline.WaitForEnd(pipeline.StudioB, id, JobTimeout);

        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal("blendshapes", job.GetProperty("settings").GetProperty("space").GetString());
        await using var stream = await pipeline.StudioB.GetStreamAsync($"v1/jobs/{id}/outputs/transfer.json");
        var document = await RetargetDocument.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(Contracts.TransferSpace.Blendshapes, document.Settings.Space);
        Assert.Equal(ClipFacts.Of(sourcePath).Frames, document.Frames.Count); // same rate: one output frame per source frame

        // The talker's expression arrives: the face moves on some frames (mean over the 468 points, cm).
        var motion = document.Frames.Where(f => f.Expression is not null)
            .Select(f => f.Expression!.Average(d => Math.Sqrt((d[0] * d[0]) + (d[1] * d[1]) + (d[2] * d[2]))))
            .ToList();
        Assert.True(motion.Count >= document.Frames.Count * 0.9, $"{motion.Count} of {document.Frames.Count} frames driven");
        Assert.True(motion.Max() > 0.02, $"largest mean expression {motion.Max():F4} cm");
    }

    [Fact]
    public async Task A_retarget_whose_target_has_no_face_fails_naming_the_target()
    {
        using var response = await PipelineFixture.PostRetarget(pipeline.StudioB, RepoPaths.MediaFile("grid_bbaf2n.mp4"), BadInputs.Make("no-face"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json)).GetProperty("id").GetString()!;

        var job = await pipeline.WaitForEnd(pipeline.StudioB, id, JobTimeout);

        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal("no-face", job.GetProperty("failure").GetProperty("code").GetString());
        Assert.Contains("target clip", job.GetProperty("failure").GetProperty("reason").GetString()!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false, "", "'source' (performer) and 'target' (actor)")]
    [InlineData(true, true, "pose=sideways", "pose must be one of: target, source")]
    [InlineData(true, true, "mouthGain=7", "mouthGain must be a number from 0 to 3")]
    [InlineData(true, true, "prores=maybe", "prores must be true or false")]
    [InlineData(true, true, "space=pixels", "space must be one of: mesh, blendshapes.")]
    [InlineData(true, true, "neutral=median", "neutral must be one of: resting, first.")]
    public async Task A_retarget_request_missing_a_clip_or_with_a_bad_setting_is_refused_and_stores_nothing(bool withSource, bool withTarget, string field, string expected)
    {
        var clip = RepoPaths.MediaFile("grid_bbaf2n.mp4");
        var fields = field.Length == 0 ? null : new Dictionary<string, string> { [field.Split('=')[0]] = field.Split('=')[1] };
        var before = Directory.Exists(Path.Combine(pipeline.MediaRoot, "jobs")) ? Directory.GetDirectories(Path.Combine(pipeline.MediaRoot, "jobs")).Length : 0;

        using var response = await PipelineFixture.PostRetarget(pipeline.StudioB, withSource ? clip : null, withTarget ? clip : null, fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json)).GetProperty("error").GetString()!, StringComparison.Ordinal);
        var after = Directory.Exists(Path.Combine(pipeline.MediaRoot, "jobs")) ? Directory.GetDirectories(Path.Combine(pipeline.MediaRoot, "jobs")).Length : 0;
        Assert.Equal(before, after);
    }
}
