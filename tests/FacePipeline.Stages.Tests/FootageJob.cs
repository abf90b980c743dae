using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// One job's media store (a scratch folder, deleted at the end) and the tracking models, for tests that chain the stages
/// by hand on real footage (no broker): an uploaded clip extracted and its chunks reconstructed as the coordinator would.
/// </summary>
internal sealed class FootageJob : IDisposable
{
    public FootageJob(string label)
    {
        Store = new MediaStore(RepoPaths.NewScratchFolder(label));
        Detector = new BlazeFaceDetector(Models.FaceDetector);
        Landmarker = new FaceLandmarker(Models.FaceLandmarks);
        Mesh = CanonicalFaceMesh.Load(Models.FaceGeometry);
    }

    public static ModelPaths Models { get; } = new(RepoPaths.Models);

    public MediaStore Store { get; }

    public Guid JobId { get; } = Guid.NewGuid();

    public BlazeFaceDetector Detector { get; }

    public FaceLandmarker Landmarker { get; }

    public CanonicalFaceMesh Mesh { get; }

    /// <summary>The extraction and reconstruction stages on the job's <paramref name="clip"/> uploaded at <paramref name="inputKey"/>: every chunk's faces, each chunk whole.</summary>
    public async Task<(FramesExtracted Extracted, List<TrackChunk> Chunks)> ExtractAndReconstructAsync(string clip, string inputKey, int chunkSize)
    {
        var extracted = await new FrameExtractionStage(Store, MediaLimits.Default).RunAsync(new ExtractFrames(JobId, clip, inputKey, chunkSize), CancellationToken.None);
        var reconstruction = new FaceReconstructionStage(Store, Detector, Landmarker);
        var chunks = new List<TrackChunk>();
        foreach (var chunk in extracted.Chunks)
        {
            var key = MediaKeys.Faces(JobId, clip, chunk.Index);
            var detected = await reconstruction.RunAsync(
                new ReconstructFaces(JobId, clip, inputKey, chunk, extracted.Video.Width, extracted.Video.Height, extracted.TimelineKey, key, MaxFaces: 1), CancellationToken.None);
            Assert.Equal(chunk.FrameCount, detected.FrameCount);
            chunks.Add(new TrackChunk(chunk, key));
        }

        return (extracted, chunks);
    }

    public void Dispose()
    {
        Detector.Dispose();
        Landmarker.Dispose();
        Directory.Delete(Store.Root, recursive: true);
    }
}
