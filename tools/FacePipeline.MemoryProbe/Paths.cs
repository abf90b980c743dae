using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.MemoryProbe;

/// <summary>The record paths of the rendering service, without the pixels (no video: the frame pixels are not the issue here).</summary>
public static class Paths
{
    /// <summary>A track job's outputs from the clip's sequence: tracking.json, tracking.fptk and the blendshape curves (as TrackRenderStage).</summary>
    public static async Task TrackOutputsAsync(MediaStore store, CanonicalFaceMesh mesh, ModelPaths models, ClipTrack clip, CancellationToken cancellationToken)
    {
        // The QC clip's segments are missing and the clip is there: the stage takes it as joined by an earlier delivery.
        store.Write("out/qc.mp4", _ => { });
        var curves = new FacePipeline.Rendering.IctTrackCurvesWriter(models, mesh, NullLogger<FacePipeline.Rendering.IctTrackCurvesWriter>.Instance);
        var command = new RenderTrackOutputs(
            Guid.Empty, clip.FileName, clip.SourceKey, clip.Video, clip.Chunks, clip.TimelineKey, null, "out/qc.mp4", "out/tracking.json", "out/tracking.fptk", null, clip.SequenceKey,
            [new RenderedSegment(0, 0, clip.Video.FrameCount, "out/segments/missing.mp4")]);
        await new TrackRenderStage(store, mesh, curves).RunAsync(command, cancellationToken);
    }

    /// <summary>
    /// What every segment of a retarget render reads before it renders a frame (as RetargetRenderStage.RunSegmentAsync):
    /// transfer.json opened, the output timing, the QC's identity frames and the renderer's set-up (its donors and face
    /// bases), with the frames located by a walk of the document and by the transfer's index. Prints the milliseconds of
    /// each, the best of <paramref name="runs"/>, as a markdown row.
    /// </summary>
    public static string SegmentSetup(MediaStore store, CanonicalFaceMesh mesh, ClipTrack clip, int runs)
    {
        var command = new RenderRetargetOutputs(Guid.Empty, clip, clip with { Clip = "target" }, RetargetSettings.Default, "out/transfer.json", "out/result.mp4", "out/review.mp4", null, null, "out/qc.json");
        var path = store.PathFor(command.TransferKey);
        var index = store.PathFor(MediaKeys.TransferIndex(Guid.Empty));
        double Best(string? indexPath, bool expectIndexed)
        {
            var best = double.PositiveInfinity;
            for (var run = 0; run < runs; run++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var documentFile = RetargetDocumentFile.Open(path, indexPath);
                var document = documentFile.Document;
                GC.KeepAlive(RetargetRenderStage.OutputTiming(store, command, document));
                GC.KeepAlive(new RetargetQcTracker(document, new ExpectedFaceTracker(), clip.Video.Width, clip.Video.Height));
                using (new RetargetFrameRenderer(store, command, document, new WarpRenderer(mesh)))
                {
                }

                clock.Stop();
                if (documentFile.Indexed != expectIndexed)
                {
                    throw new InvalidOperationException($"The document was {(documentFile.Indexed ? "" : "not ")}read by its index.");
                }

                best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
            }

            return best;
        }

        var walked = Best(null, expectIndexed: false);
        var indexed = Best(index, expectIndexed: true);
        return $"| segment set-up | {clip.Video.FrameCount} | {new FileInfo(path).Length / 1048576.0:F0} | {walked:F0} | {indexed:F0} | {walked / indexed:F0} |";
    }

    /// <summary>
    /// A retarget render's records (as RetargetRenderStage and RetargetFrameRenderer): transfer.json read, the target
    /// frames' meshes and openings, the QC (every result frame "tracked" by a tracker that finds the face where it was
    /// expected), the performer's faces, the report and the transferred curves.
    /// </summary>
    private static void Stage(string name)
    {
        if (Environment.GetEnvironmentVariable("MEMPROBE_STAGES") == "1")
        {
            Console.Error.WriteLine($"{name}: retained {GC.GetTotalMemory(true) / 1048576.0:F1} MB");
        }
    }

    public static async Task RetargetRecordsAsync(MediaStore store, CanonicalFaceMesh mesh, ModelPaths models, ClipTrack clip, CancellationToken cancellationToken)
    {
        Stage("start");
        using var documentFile = RetargetDocumentFile.Open(store.PathFor("out/transfer.json"));
        var document = documentFile.Document;
        Stage("document");
        var command = new RenderRetargetOutputs(Guid.Empty, clip, clip with { Clip = "target" }, RetargetSettings.Default, "out/transfer.json", "out/result.mp4", "out/review.mp4", null, null, "out/qc.json");

        // The renderer's own set-up (its meshes, donors and face bases; no frame is decoded until one is rendered).
        using (new RetargetFrameRenderer(store, command, document, new WarpRenderer(mesh)))
        {
        }

        Stage("renderer");
        // What rendering each frame reads of the records: the output frame, its target frame's mesh, the face base chosen.
        var hasMesh = document.TargetFrames.Select(f => f.Landmarks is not null).ToArray();
        var tracked = new LazyList<Point2[]?>(hasMesh.Length, t => document.TargetFrames[t].Landmarks?.Select(p => new Point2(p[0], p[1])).ToArray(), t => hasMesh[t]);
        var bases = new FaceBaseChooser(tracked, document.TargetRestingFrames ?? []);
        for (var i = 0; i < document.Frames.Count; i++)
        {
            var t = document.Frames[i].TargetFrame;
            if (hasMesh[t])
            {
                bases.Choose(t);
                GC.KeepAlive(document.TargetFrames[t]);
            }
        }

        Stage("bases");
        var qc = new RetargetQcTracker(document, new ExpectedFaceTracker(), clip.Video.Width, clip.Video.Height);
        await qc.TrackAllAsync(Frames(document.Frames.Count), cancellationToken);
        Stage("qc tracked");
        using var performerFaces = ClipRecords.ReadForRetarget(store, new MetricLandmarks(mesh), clip, cancellationToken);
        var performer = ClipRecords.RetargetClipOf(performerFaces, clip, null);
        Stage("performer");
        var report = qc.Assess(RetargetQcTracker.PerformerFeatures(performer));
        Stage("assessed");
        await store.WriteAsync("out/qc.json", report.WriteAsync, cancellationToken);
        ITrackCurvesWriter curves = new FacePipeline.Rendering.IctTrackCurvesWriter(models, mesh, NullLogger<FacePipeline.Rendering.IctTrackCurvesWriter>.Instance);
        if (RetargetRenderStage.CurvesSource(command, document, performer) is { } input)
        {
            CurvesFiles.Write(store, Guid.Empty, (csv, json) => curves.TryWriteTransferred(input, csv, json));
        }

        Stage("curves");
        GC.KeepAlive(bases);
        GC.KeepAlive(qc);
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Frames(int count)
    {
        var pixels = new byte[3];
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return pixels;
        }
    }

    /// <summary>Finds the face exactly where it was expected (the pixels are not looked at).</summary>
    private sealed class ExpectedFaceTracker : IRenderedFaceTracker
    {
        public Point2[]? Track(ReadOnlySpan<byte> rgb24, int width, int height, ReadOnlySpan<Point2> expected) => expected.ToArray();
    }
}
