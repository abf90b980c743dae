using System.Diagnostics;
using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Stages;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// Issue 15, timing fidelity of the QC clip: a variable-frame-rate upload made from real footage with a face goes through
/// the real extraction, reconstruction and rendering stages; frame k of qc.mp4 is shown when the source showed frame k
/// (within half a frame), tracking.json says the same times, and the durations match.
/// </summary>
public sealed class QcTimingTests : IDisposable
{
    private readonly MediaStore _store = new(RepoPaths.NewScratchFolder("qc-timing"));
    private static readonly ModelPaths Models = new(RepoPaths.Models);
    private readonly Guid _jobId = Guid.NewGuid();

    public void Dispose() => Directory.Delete(_store.Root, recursive: true);

    [Fact]
    public async Task A_variable_frame_rate_upload_gets_a_qc_clip_with_the_sources_frame_times()
    {
        // grid_lbbc2a.mp4 re-timed (RetimedUpload): frames 0–29 every 40 ms, 30–44 every 80 ms, 45–74 every 20 ms, 3.02 s.
        var (inputKey, upload) = RetimedUpload(ClipNames.Source);
        var source = MediaCli.FrameTimes(upload);
        Assert.Equal(75, source.Count);
        Assert.Equal(1.20, source[30] - source[0], 3);

        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default)
            .RunAsync(new ExtractFrames(_jobId, ClipNames.Source, inputKey, 16), CancellationToken.None);
        Assert.Equal(75, extracted.Video.FrameCount);
        var chunks = new List<TrackChunk>();
        using (var detector = new BlazeFaceDetector(Models.FaceDetector))
        using (var landmarker = new FaceLandmarker(Models.FaceLandmarks))
        {
            var reconstruction = new FaceReconstructionStage(_store, detector, landmarker);
            foreach (var chunk in extracted.Chunks)
            {
                var key = MediaKeys.Faces(_jobId, ClipNames.Source, chunk.Index);
                await reconstruction.RunAsync(
                    new ReconstructFaces(_jobId, ClipNames.Source, inputKey, chunk, extracted.Video.Width, extracted.Video.Height, extracted.TimelineKey, key, MaxFaces: 1), CancellationToken.None);
                chunks.Add(new TrackChunk(chunk, key));
            }
        }

        var mesh = CanonicalFaceMesh.Load(Models.FaceGeometry);
        var rendered = await new TrackRenderStage(_store, mesh).RunAsync(
            new RenderTrackOutputs(
                _jobId, "vfr.mp4", inputKey, extracted.Video, chunks, extracted.TimelineKey, extracted.AudioKey,
                MediaKeys.Output(_jobId, OutputNames.QcClip), MediaKeys.Output(_jobId, OutputNames.Tracking), MediaKeys.Output(_jobId, OutputNames.TrackingBinary), NeutralFrame: null),
            CancellationToken.None);

        var qcPath = _store.PathFor(rendered.QcClipKey);
        var qc = MediaCli.FrameTimes(qcPath);
        TrackingDocument tracking;
        await using (var stream = _store.OpenRead(rendered.TrackingKey))
        {
            tracking = await TrackingJson.ReadAsync(stream, CancellationToken.None);
        }

        // Every frame, once, with a face, at the source's time: frame k of qc.mp4 within half a frame of frame k of the source.
        Assert.Equal(75, qc.Count);
        Assert.Equal(75, tracking.Frames.Count);
        Assert.True(tracking.Frames.Count(f => f.Faces.Count > 0) >= 70, "the talker is tracked");
        for (var k = 0; k < source.Count; k++)
        {
            var halfFrame = (k + 1 < source.Count ? source[k + 1] - source[k] : source[k] - source[k - 1]) / 2;
            var expected = source[k] - source[0];
            Assert.True(
                Math.Abs((qc[k] - qc[0]) - expected) <= halfFrame,
                $"frame {k}: {qc[k] - qc[0]:F4} s in qc.mp4, {expected:F4} s in the source");
            Assert.True(
                Math.Abs((tracking.Frames[k].Time - tracking.Frames[0].Time) - expected) <= halfFrame,
                $"frame {k}: {tracking.Frames[k].Time - tracking.Frames[0].Time:F4} s in tracking.json, {expected:F4} s in the source");
        }

        Assert.Equal(2.40, qc[45] - qc[0], 3);
        Assert.Equal(2.98, qc[74] - qc[0], 3);
        Assert.Equal(MediaCli.VideoDuration(upload), MediaCli.VideoDuration(qcPath), 2); // 3.02 s both: the last frame's 40 ms kept
        Assert.True(MediaCli.HasAudio(qcPath));
    }

    [Fact]
    public async Task A_variable_frame_rate_performer_gets_a_retarget_result_on_its_own_clock()
    {
        // The performer: the re-timed grid_lbbc2a (25, 12.5 and 50 fps); the actor: grid_lbbc2a as it is (25 fps, 75
        // frames). Real extraction, reconstruction, transfer and rendering stages.
        var (sourceKey, upload) = RetimedUpload(ClipNames.Source);
        var targetKey = MediaKeys.Input(_jobId, ClipNames.Target, ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(targetKey))!);
        File.Copy(RepoPaths.MediaFile("grid_lbbc2a.mp4"), _store.PathFor(targetKey));
        var performer = MediaCli.FrameTimes(upload);
        var mesh = CanonicalFaceMesh.Load(Models.FaceGeometry);
        var source = await ExtractAndTrackAsync(ClipNames.Source, "performer.mp4", sourceKey);
        var target = await ExtractAndTrackAsync(ClipNames.Target, "actor.mp4", targetKey);
        var settings = RetargetSettings.Default;
        var transferKey = MediaKeys.Output(_jobId, OutputNames.Transfer);

        await new ExpressionTransferStage(_store, mesh).RunAsync(new TransferExpressions(_jobId, source, target, settings, transferKey), CancellationToken.None);
        var rendered = await new RetargetRenderStage(_store, mesh).RunAsync(
            new RenderRetargetOutputs(_jobId, source, target, settings, transferKey, MediaKeys.Output(_jobId, OutputNames.Result), MediaKeys.Output(_jobId, OutputNames.Review), null),
            CancellationToken.None);

        RetargetDocument document;
        await using (var stream = _store.OpenRead(transferKey))
        {
            document = await RetargetDocument.ReadAsync(stream, CancellationToken.None);
        }

        // transfer.json: one output frame per performer frame, at the performer's time, showing the performer's frame
        // shown then; the target frame shown then (the 25 fps actor's frame ⌊t · 25⌋, the actor lasting as long).
        Assert.Equal(75, document.Frames.Count);
        Assert.Equal(3.02, document.Output.DurationSeconds, 3);
        for (var k = 0; k < 75; k++)
        {
            var time = performer[k] - performer[0];
            Assert.Equal(time, document.Frames[k].Time, 4);
            Assert.Equal(k, document.Frames[k].SourcePosition);
            Assert.Equal((int)Math.Floor((time * 25) + 1e-6), document.Frames[k].TargetFrame);
        }

        // result.mp4 and review.mp4: frame k at the performer's frame-k time (within half a frame), same duration, audio.
        foreach (var key in new[] { rendered.ResultKey, rendered.ReviewKey })
        {
            var path = _store.PathFor(key);
            var times = MediaCli.FrameTimes(path);
            Assert.Equal(75, times.Count);
            for (var k = 0; k < 75; k++)
            {
                var halfFrame = (k + 1 < 75 ? performer[k + 1] - performer[k] : performer[k] - performer[k - 1]) / 2;
                var expected = performer[k] - performer[0];
                Assert.True(
                    Math.Abs((times[k] - times[0]) - expected) <= halfFrame,
                    $"{Path.GetFileName(path)} frame {k}: {times[k] - times[0]:F4} s, the performer's frame {k} at {expected:F4} s");
            }

            Assert.Equal(MediaCli.VideoDuration(upload), MediaCli.VideoDuration(path), 2); // 3.02 s
            Assert.True(MediaCli.HasAudio(path));
        }
    }

    /// <summary>
    /// grid_lbbc2a.mp4 (a talker, 75 frames at 25 fps, AAC) re-timed by ffmpeg into the job's upload of
    /// <paramref name="clip"/>: frames 0–29 every 40 ms, 30–44 every 80 ms, 45–74 every 20 ms (25, 12.5 and 50 fps),
    /// 3.02 s; the audio as it is.
    /// </summary>
    private (string Key, string Path) RetimedUpload(string clip)
    {
        var key = MediaKeys.Input(_jobId, clip, ".mp4");
        var path = _store.PathFor(key);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        MediaCli.Ffmpeg(
            "-i", RepoPaths.MediaFile("grid_lbbc2a.mp4"),
            "-vf", "setpts='if(lt(N,30),N*0.04,if(lt(N,45),1.2+(N-30)*0.08,2.4+(N-45)*0.02))/TB'",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-fps_mode", "passthrough", "-enc_time_base", "1/90000", "-c:a", "copy", path);
        return (key, path);
    }

    /// <summary>The real extraction and reconstruction stages on one clip of the job, as the coordinator would run them.</summary>
    private async Task<ClipTrack> ExtractAndTrackAsync(string clip, string fileName, string inputKey)
    {
        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default)
            .RunAsync(new ExtractFrames(_jobId, clip, inputKey, 32), CancellationToken.None);
        var chunks = new List<TrackChunk>();
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = new FaceLandmarker(Models.FaceLandmarks);
        var reconstruction = new FaceReconstructionStage(_store, detector, landmarker);
        foreach (var chunk in extracted.Chunks)
        {
            var key = MediaKeys.Faces(_jobId, clip, chunk.Index);
            await reconstruction.RunAsync(
                new ReconstructFaces(_jobId, clip, inputKey, chunk, extracted.Video.Width, extracted.Video.Height, extracted.TimelineKey, key, MaxFaces: 1), CancellationToken.None);
            chunks.Add(new TrackChunk(chunk, key));
        }

        return new ClipTrack(clip, fileName, inputKey, extracted.Video, chunks, extracted.TimelineKey, extracted.AudioKey);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Retarget_outputs_are_timed_by_transfer_json_on_the_performers_clock()
    {
        // The performer's first frame is 1001/30000 s after its audio starts (an edit list): the result starts there too.
        var timelineKey = MediaKeys.ClipFolder(_jobId, ClipNames.Source) + "/" + FrameTimeline.FileName;
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(timelineKey))!);
        new FrameTimeline("30000/1001", "1/30000", 0, "packets", [1001, 2002, 3003], [1001 / 30000.0, 2002 / 30000.0, 3003 / 30000.0]).Save(_store.PathFor(timelineKey));
        var video = new VideoInfo(360, 288, 25, 1, 3, 0.12, true);
        var source = new ClipTrack(ClipNames.Source, "performer.mp4", "performer.mp4", video, [], timelineKey, null);
        var target = source with { Clip = "target", FileName = "actor.mp4", TimelineKey = "missing/timeline.json" };
        var tracked = new TrackedVideo(360, 288, "25/1", 4, 0.16);
        RetargetOutputFrame Frame(int index, double time) => new(index, time, index, index, "tracked", "untracked", null, null, null);
        var document = new RetargetDocument(
            RetargetDocument.SchemaV1, new RetargetInput("performer.mp4", tracked), new RetargetInput("actor.mp4", tracked), tracked,
            RetargetSettings.Default, [], [], [], [Frame(0, 0), Frame(1, 0.04), Frame(2, 0.08), Frame(3, 0.12)]);
        var command = new RenderRetargetOutputs(_jobId, source, target, RetargetSettings.Default, "transfer.json", "result.mp4", "review.mp4", null);

        var timing = RetargetRenderStage.OutputTiming(_store, command, document)!;

        Assert.Equal([0.0334, 0.0734, 0.1134, 0.1534], timing.Seconds.Select(s => Math.Round(s, 4)));
        Assert.Equal([0L, 3_600, 7_200, 10_800], timing.Ticks);
        Assert.Equal(3_600, timing.LastDurationTicks); // ends at the document's 0.16 s
        Assert.True(timing.IsConstantRate(new Rational(25, 1))); // written at exactly 25 fps, as transfer.json says

        // Output frames at variable times (a planner that follows a variable-rate performer) are written at those times.
        var variable = document with { Frames = [Frame(0, 0), Frame(1, 0.04), Frame(2, 0.2), Frame(3, 0.22)] };
        Assert.False(RetargetRenderStage.OutputTiming(_store, command, variable)!.IsConstantRate(new Rational(25, 1)));
    }
}

/// <summary>The ffmpeg and ffprobe command-line tools, run as the tests' independent check (not through the code under test).</summary>
internal static class MediaCli
{
    public static void Ffmpeg(params string[] arguments) => Run("ffmpeg", ["-v", "error", "-y", .. arguments]);

    /// <summary>Every video frame's presentation time (s), in presentation order.</summary>
    public static List<double> FrameTimes(string path) =>
        [.. Run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => double.Parse(t.TrimEnd(','), CultureInfo.InvariantCulture))];

    /// <summary>The video stream's duration (s).</summary>
    public static double VideoDuration(string path) =>
        double.Parse(Run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration", "-of", "csv=p=0", path]).Trim(), CultureInfo.InvariantCulture);

    public static bool HasAudio(string path) =>
        Run("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0", path]).Trim().Length > 0;

    public static string Run(string tool, string[] arguments)
    {
        var info = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} failed: {error.Result}");
        return output;
    }
}
