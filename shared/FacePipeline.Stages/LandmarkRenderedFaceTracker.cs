using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.Stages;

/// <summary>
/// The closed loop's and the QC's eye: MediaPipe's landmark model (<see cref="FaceLandmarkModel"/>, the one the pipeline
/// tracks with: the refined one, whose 478 points add the irises, when installed) run on the rendered frame in the region
/// of interest the expected mesh gives, as the tracker would follow the face from one frame to the next. Returns all the
/// model's points (the 468-point mesh first). Not thread-safe (one per renderer).
/// </summary>
public sealed class LandmarkRenderedFaceTracker(FaceLandmarkModel landmarker, float minFaceScore = 0.5f) : IRenderedFaceTracker
{
    private readonly Landmark[] expectedPoints = new Landmark[FaceLandmarker.LandmarkCount];

    public Point2[]? Track(ReadOnlySpan<byte> rgb24, int width, int height, ReadOnlySpan<Point2> expected)
    {
        for (var k = 0; k < expectedPoints.Length; k++)
        {
            expectedPoints[k] = new Landmark((float)expected[k].X, (float)expected[k].Y, 0);
        }

        var found = landmarker.Run(rgb24, width, height, FaceRoi.FromLandmarks(expectedPoints, width, height));
        return found.FaceScore < minFaceScore ? null : [.. found.Points.Select(p => new Point2(p.X, p.Y))];
    }
}

/// <summary>One closed-loop tracker for one render (the landmark model's session is not shared between threads).</summary>
/// <param name="Tracker">The tracker.</param>
/// <param name="Owned">What to dispose with it (the model's session).</param>
public sealed record RenderedFaceTrackerLease(IRenderedFaceTracker Tracker, IDisposable? Owned) : IDisposable
{
    public void Dispose() => Owned?.Dispose();
}

/// <summary>Opens closed-loop trackers for retarget renders.</summary>
public interface IRenderedFaceTrackerFactory
{
    /// <summary>A tracker for one render.</summary>
    RenderedFaceTrackerLease Open();
}

/// <summary>Closed-loop and QC trackers on MediaPipe's landmark model from the models folder: the refined one (irises, for the gaze) when installed (<see cref="ModelPaths.OpenLandmarkModel"/>).</summary>
public sealed class LandmarkRenderedFaceTrackerFactory(ModelPaths models) : IRenderedFaceTrackerFactory
{
    public RenderedFaceTrackerLease Open()
    {
        var landmarker = models.OpenLandmarkModel(refined: true);
        return new RenderedFaceTrackerLease(new LandmarkRenderedFaceTracker(landmarker), landmarker);
    }
}

/// <summary>Opens the face-recognition network for a retarget's QC identity check.</summary>
public interface IIdentityEmbedderFactory
{
    /// <summary>An embedder for one render (the caller disposes it), or null when the model is not installed.</summary>
    FaceIdentityEmbedder? Open();
}

/// <summary>The face-recognition network from the models folder (<see cref="FaceIdentityEmbedder.ModelPath"/>), when installed.</summary>
public sealed class ModelIdentityEmbedderFactory(ModelPaths models) : IIdentityEmbedderFactory
{
    public FaceIdentityEmbedder? Open()
    {
        var path = FaceIdentityEmbedder.ModelPath(models.Root);
        return File.Exists(path) ? new FaceIdentityEmbedder(path) : null;
    }
}
