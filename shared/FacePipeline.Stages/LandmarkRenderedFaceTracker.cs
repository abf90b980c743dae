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

/// <summary>
/// Closed-loop and QC trackers on MediaPipe's landmark model from the models folder: the refined one (irises, for the
/// gaze) when installed (<see cref="ModelPaths.OpenLandmarkModel"/>). The models stay open between renders
/// (<see cref="ModelPool{T}"/>): each lease returns its model.
/// </summary>
public sealed class LandmarkRenderedFaceTrackerFactory(ModelPaths models) : IRenderedFaceTrackerFactory, IDisposable
{
    private readonly ModelPool<FaceLandmarkModel> _models = new(() => models.OpenLandmarkModel(refined: true));

    public RenderedFaceTrackerLease Open()
    {
        var lease = _models.Rent();
        return new RenderedFaceTrackerLease(new LandmarkRenderedFaceTracker(lease.Item), lease);
    }

    public void Dispose() => _models.Dispose();
}

/// <summary>The face-recognition network for one render, rented (<see cref="IIdentityEmbedderFactory"/>).</summary>
/// <param name="Embedder">The network (not thread-safe: one user at a time).</param>
/// <param name="Owned">What to dispose with it (its return to the pool).</param>
public sealed record IdentityEmbedderLease(FaceIdentityEmbedder Embedder, IDisposable? Owned) : IDisposable
{
    public void Dispose() => Owned?.Dispose();
}

/// <summary>Opens the face-recognition network for a retarget's QC identity check.</summary>
public interface IIdentityEmbedderFactory
{
    /// <summary>An embedder for one render (the caller disposes the lease), or null when the model is not installed.</summary>
    IdentityEmbedderLease? Open();
}

/// <summary>The face-recognition network from the models folder (<see cref="FaceIdentityEmbedder.ModelPath"/>), when installed; kept open between renders.</summary>
public sealed class ModelIdentityEmbedderFactory(ModelPaths models) : IIdentityEmbedderFactory, IDisposable
{
    private readonly ModelPool<FaceIdentityEmbedder> _embedders = new(() => new FaceIdentityEmbedder(FaceIdentityEmbedder.ModelPath(models.Root)));

    public IdentityEmbedderLease? Open()
    {
        if (!File.Exists(FaceIdentityEmbedder.ModelPath(models.Root)))
        {
            return null;
        }

        var lease = _embedders.Rent();
        return new IdentityEmbedderLease(lease.Item, lease);
    }

    public void Dispose() => _embedders.Dispose();
}
