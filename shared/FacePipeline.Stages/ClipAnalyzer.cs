using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;

namespace FacePipeline.Stages;

/// <summary>
/// The face stages in-process on a local image or clip, without servers or queues: what
/// <c>facepipe analyze</c> runs. Same extraction, same models, same records as a track job
/// (the whole clip is tracked as one chunk); like the reconstruction service, the refined landmark
/// model (irises) when it is installed, unless <c>refinedLandmarks</c> is false.
/// </summary>
public static class ClipAnalyzer
{
    public static async Task<TrackingDocument> AnalyzeAsync(
        string path,
        ModelPaths models,
        CancellationToken cancellationToken,
        FaceTrackerOptions? tracking = null,
        FaceSequenceOptions? sequence = null,
        bool refinedLandmarks = true)
    {
        ArgumentNullException.ThrowIfNull(models);
        var scratch = Path.Combine(Path.GetTempPath(), $"facepipe-analyze-{Guid.NewGuid():N}");
        try
        {
            var limits = MediaLimits.Default with { AllowStillImages = true };
            var extraction = await FrameExtractor.ExtractAsync(
                path,
                scratch,
                new FrameExtractionOptions { ChunkSize = 64, ExtractAudio = false, Limits = limits },
                cancellationToken);
            var timeline = FrameTimeline.Load(Path.Combine(scratch, extraction.TimelineFileName));
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarks = models.OpenLandmarkModel(refinedLandmarks);
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);

            // One tracker over the whole clip, decoded in one piece.
            var tracker = new FaceTracker(detector, landmarks, tracking);
            var frames = new List<FrameRecord>(checked((int)extraction.FrameCount));
            var index = 0;
            await foreach (var frame in FrameRangeReader.ReadAllAsync(
                extraction.SourcePath, timeline, extraction.Width, extraction.Height, 0, checked((int)extraction.FrameCount), limits, cancellationToken: cancellationToken))
            {
                var faces = tracker.Process(frame.Span, extraction.Width, extraction.Height);
                frames.Add(new FrameRecord(index, Math.Round(timeline.Seconds[index], 6), [.. faces.Select(ChunkFaceTracking.ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]));
                index++;
            }

            var records = new FaceSequenceBuilder(new MetricLandmarks(mesh))
                .Build([frames], extraction.Width, extraction.Height, sequence ?? FaceSequenceOptions.Default);
            return new TrackingDocument(
                TrackingDocument.SchemaV2,
                Path.GetFileName(path),
                new TrackedVideo(extraction.Width, extraction.Height, extraction.FrameRate.ToString(), records.Count, extraction.Duration.TotalSeconds),
                TrackingModels.For(records),
                records);
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }
}
