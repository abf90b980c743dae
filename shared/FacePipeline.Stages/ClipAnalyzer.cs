using FacePipeline.Face;
using FacePipeline.Media;

namespace FacePipeline.Stages;

/// <summary>
/// The face stages in-process on a local image or clip, without servers or queues: what
/// <c>facepipe analyze</c> runs. Same extraction, same detector, same records as a track job.
/// </summary>
public static class ClipAnalyzer
{
    public static async Task<TrackingDocument> AnalyzeAsync(string path, ModelPaths models, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"facepipe-analyze-{Guid.NewGuid():N}");
        try
        {
            var extraction = await FrameExtractor.ExtractAsync(
                path,
                scratch,
                new FrameExtractionOptions { ChunkSize = 64, ExtractAudio = false, Limits = MediaLimits.Default with { AllowStillImages = true } },
                cancellationToken);
            var timeline = FrameTimeline.Load(Path.Combine(scratch, extraction.TimelineFileName));
            using var detector = new BlazeFaceDetector(models.BlazeFace);
            var detection = new ChunkFaceDetection(detector);
            var frames = new List<FrameRecord>(checked((int)extraction.FrameCount));
            foreach (var chunk in extraction.Chunks)
            {
                frames.AddRange(await detection.DetectAsync(
                    extraction.PathOf(chunk), extraction.Width, extraction.Height, checked((int)chunk.FirstFrame), chunk.FrameCount, timeline.Seconds, cancellationToken));
            }

            return new TrackingDocument(
                TrackingDocument.SchemaV1,
                Path.GetFileName(path),
                new TrackedVideo(extraction.Width, extraction.Height, extraction.FrameRate.ToString(), frames.Count, extraction.Duration.TotalSeconds),
                TrackingDocument.BlazeFaceShortRange,
                frames);
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
