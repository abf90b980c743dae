using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.Benchmarks;

/// <summary>A clip extracted into the bench's store, tracked frame by frame, and built into 3D face records as in a job.</summary>
internal sealed record TrackedClip(ClipTrack Clip, RetargetClip Faces, IReadOnlyList<FrameRecord> RawRecords);

/// <summary>
/// Retargets in-process with the pipeline's own classes, for the retarget and fidelity benchmarks: extraction
/// (<see cref="FrameExtractor"/>), tracking (<see cref="FaceTracker"/>), face records (<see cref="FaceSequenceBuilder"/>),
/// planning (<see cref="RetargetPlanner"/>) and rendering (<see cref="RetargetFrameRenderer"/>).
/// </summary>
internal sealed class RetargetRig(MediaStore store, BlazeFaceDetector detector, FaceLandmarkModel landmarker, CanonicalFaceMesh mesh)
{
    private readonly MetricLandmarks _geometry = new(mesh);

    public CanonicalFaceMesh Mesh => mesh;

    /// <summary>Extracts a clip into the store (as a job would), tracks it and builds its 3D face records.</summary>
    public async Task<TrackedClip> TrackAsync(string path, string name, CancellationToken ct)
    {
        var extraction = await FrameExtractor.ExtractAsync(path, store.PathFor(name), new FrameExtractionOptions { ExtractAudio = false }, ct);
        var sourceKey = $"{name}/upload{Path.GetExtension(path)}"; // the upload in the store, as a job keeps it: frames are decoded from it
        File.Copy(path, store.PathFor(sourceKey), overwrite: true);
        var clip = new ClipTrack(
            name,
            Path.GetFileName(path),
            sourceKey,
            new VideoInfo(extraction.Width, extraction.Height, extraction.FrameRate.Numerator, extraction.FrameRate.Denominator, checked((int)extraction.FrameCount), extraction.Duration.TotalSeconds, false),
            [.. extraction.Chunks.Select(c => new TrackChunk(new Contracts.FrameChunk(c.Index, checked((int)c.FirstFrame), c.FrameCount), string.Empty))],
            $"{name}/{extraction.TimelineFileName}",
            null);
        var raw = new List<FrameRecord>();
        var tracker = new FaceTracker(detector, landmarker);
        using (var reader = new ClipFrameReader(store, clip))
        {
            var buffer = new byte[reader.FrameBytes];
            for (var f = 0; f < reader.FrameCount; f++)
            {
                await reader.ReadAsync(f, buffer, ct);
                raw.Add(Track(tracker, buffer, reader.Width, reader.Height, f));
            }
        }

        // Each chunk's records stored as the reconstruction service stores them (the render stage reads the performer's).
        var chunks = new List<TrackChunk>();
        foreach (var chunk in clip.Chunks)
        {
            var key = $"{name}/faces-{chunk.Frames.Index:D4}.fptk";
            using (var pending = store.BeginWrite(key))
            {
                await using (var file = File.Create(pending.TempPath))
                {
                    TrackingBinary.Write(file, raw.GetRange(chunk.Frames.FirstFrame, chunk.Frames.FrameCount));
                }

                pending.Commit();
            }

            chunks.Add(chunk with { FacesKey = key });
        }

        clip = clip with { Chunks = chunks };
        return new TrackedClip(clip, Build(raw, clip.Video), raw);
    }

    /// <summary>Plans a retarget of <paramref name="source"/> onto <paramref name="target"/> and renders every output frame (RGB24, in memory).</summary>
    /// <param name="neural">Renders the face instead of the warp renderer (an actor's trained generator, not owned), as the rendering stage does for a job that names a model.</param>
    public async Task<(RetargetPlan Plan, List<byte[]> Frames, double RenderMs)> RetargetAsync(
        TrackedClip source, TrackedClip target, RetargetPlanOptions options, RetargetSettings settings, CancellationToken ct, bool restingFace = true, int rounds = ClosedLoopCorrection.DefaultRounds, WarpRendererOptions? warp = null, IFaceRenderer? neural = null)
    {
        var plan = new RetargetPlanner(mesh).Plan(source.Faces, target.Faces, options);
        var command = new TransferExpressions(Guid.Empty, source.Clip, target.Clip, settings, "transfer.json");
        var document = ExpressionTransferStage.Document(command, plan);
        var render = new RenderRetargetOutputs(Guid.Empty, source.Clip, target.Clip, settings, "transfer.json", "result.mp4", "review.mp4", null);
        var frames = new List<byte[]>(plan.Frames.Count);
        using var renderer = new RetargetFrameRenderer(store, render, document, new WarpRenderer(mesh, warp), neural, restingFace: restingFace, feedback: rounds > 0 ? new LandmarkRenderedFaceTracker(landmarker) : null, rounds: rounds);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < plan.Frames.Count; i++)
        {
            frames.Add((await renderer.RenderAsync(i, ct)).ToArray());
        }

        return (plan, frames, clock.Elapsed.TotalMilliseconds / Math.Max(1, plan.Frames.Count));
    }

    /// <summary>
    /// The whole render stage of a retarget job (<see cref="RetargetRenderStage"/>: render, H.264 result, review clip),
    /// seconds, for the renderer before issue 13 (each target frame's own face, one pass) and now (the resting face,
    /// closed loop, mouth interior, gaze, and the QC: the result tracked again, identity), best of <paramref name="runs"/> each, alternating.
    /// </summary>
    public async Task<(double Before, double Render, double WithQc)> StageSecondsAsync(TrackedClip source, TrackedClip target, RetargetPlan plan, ModelPaths models, int runs, int rounds, CancellationToken ct)
    {
        var settings = RetargetSettings.Default;
        var transfer = new TransferExpressions(Guid.Empty, source.Clip, target.Clip, settings, "stage/transfer.json");
        using (var pending = store.BeginWrite(transfer.TransferKey))
        {
            await using (var stream = File.Create(pending.TempPath))
            {
                await ExpressionTransferStage.Document(transfer, plan).WriteAsync(stream, ct);
            }

            pending.Commit();
        }

        var command = new RenderRetargetOutputs(Guid.Empty, source.Clip, target.Clip, settings, transfer.TransferKey, "stage/result.mp4", "stage/review.mp4", null);
        var before = new RetargetRenderStage(store, mesh, restingFace: false);
        var after = new RetargetRenderStage(store, mesh, feedback: new LandmarkRenderedFaceTrackerFactory(models), options: new RetargetRenderOptions { ClosedLoopRounds = rounds }, identities: new ModelIdentityEmbedderFactory(models));
        var withQc = command with { QcKey = "stage/qc.json" }; // the stage as a job runs it: also the QC (result tracked again, identity)
        (RetargetRenderStage Stage, RenderRetargetOutputs Command)[] configurations = [(before, command), (after, command), (after, withQc)];
        var best = new[] { double.MaxValue, double.MaxValue, double.MaxValue };
        for (var run = 0; run < runs; run++)
        {
            for (var k = 0; k < configurations.Length; k++)
            {
                var c = (k + run) % configurations.Length; // rotate the order between runs
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await configurations[c].Stage.RunAsync(configurations[c].Command, ct);
                best[c] = Math.Min(best[c], clock.Elapsed.TotalSeconds);
            }
        }

        return (best[0], best[1], best[2]);
    }

    /// <summary>Tracks rendered frames with a fresh tracker, as the result would be tracked in a job.</summary>
    public List<FrameRecord> TrackFrames(IReadOnlyList<byte[]> frames, int width, int height)
    {
        var tracker = new FaceTracker(detector, landmarker);
        return [.. frames.Select((frame, i) => Track(tracker, frame, width, height, i))];
    }

    public RetargetClip Build(List<FrameRecord> raw, VideoInfo video)
    {
        var frames = new FaceSequenceBuilder(_geometry).Build([raw], video.Width, video.Height, FaceSequenceOptions.Default);
        return ClipRecords.ToRetargetClip(frames, _geometry, video.Width, video.Height, new FrameRate(video.FrameRateNumerator, video.FrameRateDenominator), null);
    }

    public static FrameRecord Track(FaceTracker tracker, byte[] frame, int width, int height, int index) =>
        new(index, index, [.. tracker.Process(frame, width, height).Select(ChunkFaceTracking.ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]);
}
