using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// Reconstruction's two ways of getting a chunk's frames (<see cref="ChunkFaceTracking"/>): 4:2:0 planes converted where the
/// models read them, for the clips whose timeline names a matrix, and RGB24 from ffmpeg for the rest. Because the
/// conversion is ffmpeg's own bit for bit, the records are the same whichever way the frames came.
/// </summary>
public sealed class ChunkPixelPathTests : IDisposable
{
    private static readonly ModelPaths Models = new(RepoPaths.Models);
    private readonly string _scratch = RepoPaths.NewScratchFolder("chunk-pixels");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Theory]
    [InlineData("grid_lbbc2a.mp4", 10, 48)]
    [InlineData("obama_wh_closeup.mp4", 30, 40)]
    public async Task A_chunk_tracked_from_4_2_0_planes_gives_the_records_of_the_same_chunk_tracked_from_RGB24(string clip, int firstFrame, int frameCount)
    {
        var path = RepoPaths.MediaFile(clip);
        var extraction = await FrameExtractor.ExtractAsync(path, Path.Combine(_scratch, "clip"), new FrameExtractionOptions { ExtractAudio = false });
        var timeline = FrameTimeline.Load(extraction.TimelinePath);
        Assert.Equal("bt601", timeline.PlanesMatrix); // untagged 8-bit 4:2:0
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = Models.OpenLandmarkModel(refined: true);
        var tracking = new ChunkFaceTracking(detector, landmarker);
        var (w, h) = (extraction.Width, extraction.Height);

        var fromPlanes = await tracking.TrackAsync(path, timeline, w, h, firstFrame, frameCount, new FaceTrackerOptions(), CancellationToken.None);
        var fromRgb24 = await tracking.TrackAsync(path, timeline with { PlanesMatrix = null }, w, h, firstFrame, frameCount, new FaceTrackerOptions(), CancellationToken.None);

        Assert.Equal(frameCount, fromPlanes.Count);
        Assert.All(fromPlanes, f => Assert.Single(f.Faces));
        for (var i = 0; i < frameCount; i++)
        {
            Assert.Equal(fromRgb24[i].Index, fromPlanes[i].Index);
            var (a, b) = (fromRgb24[i].Faces[0], fromPlanes[i].Faces[0]);
            Assert.Equal(a.FaceScore, b.FaceScore);
            Assert.Equal(a.Landmarks.SelectMany(p => p), b.Landmarks.SelectMany(p => p));
            Assert.Equal(a.Irises!.SelectMany(p => p), b.Irises!.SelectMany(p => p));
        }
    }
}
