using System.Globalization;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

/// <summary>
/// The tracker running MediaPipe's refined landmark model (<see cref="RefinedFaceLandmarker"/> through
/// <see cref="FaceLandmarkModel"/>) on a real clip, against the same tracker with the 468-point model.
/// </summary>
public sealed class RefinedTrackingTests(TrackingModelsFixture models, ITestOutputHelper output) : IClassFixture<TrackingModelsFixture>
{
    [Fact]
    public void Either_landmarker_converts_to_the_model_a_tracker_runs_and_says_whether_it_has_irises()
    {
        FaceLandmarkModel mesh = models.Mesh;
        FaceLandmarkModel refined = models.Refined;

        Assert.Equal((468, false, FaceLandmarkModel.MeshName), (mesh.LandmarkCount, mesh.HasIrises, mesh.Name));
        Assert.Equal((478, true, FaceLandmarkModel.RefinedName), (refined.LandmarkCount, refined.HasIrises, refined.Name));
        Assert.Same(refined, new FaceTracker(models.Detector, refined).Landmarker);
        refined.Dispose(); // a view: the landmarker it wraps stays usable
        Assert.Equal(478, refined.Run(RgbImage.Solid(64, 64, 90, 90, 90).Pixels, 64, 64, new RotatedRect(0.5f, 0.5f, 1, 1, 0)).Points.Length);
    }

    [Fact]
    public void Tracking_with_the_refined_model_keeps_the_468_point_mesh_in_its_order_and_adds_irises_inside_the_eyes()
    {
        var frames = RgbImage.DecodeFrames(RepoPaths.MediaFile("grid_lbbc2a.mp4"), 360, 288);
        var meshTracker = new FaceTracker(models.Detector, models.Mesh);
        var refinedTracker = new FaceTracker(models.Detector, models.Refined);

        var differences = new List<double>();
        foreach (var frame in frames)
        {
            var mesh = Assert.Single(meshTracker.Process(frame.Pixels, 360, 288)).Landmarks.Points;
            var refined = Assert.Single(refinedTracker.Process(frame.Pixels, 360, 288)).Landmarks.Points;
            Assert.Equal(478, refined.Length);

            // The two models' meshes differ (refined lips and eyes) but are the same face point for point: a shuffled or
            // shifted mesh would be off by about the face's size.
            var iod = Distance(Mid(mesh[33], mesh[133]), Mid(mesh[362], mesh[263]));
            differences.Add(Enumerable.Range(0, 468).Average(i => Distance(mesh[i], refined[i])) / iod);

            // Each iris centre lies between its eye's corners and lids (468: the subject's right eye 33/133, 159/145;
            // 473: the left eye 362/263, 386/374), its four edge points around it.
            foreach (var (centre, a, b, upper, lower) in new[] { (468, 33, 133, 159, 145), (473, 362, 263, 386, 374) })
            {
                var iris = refined[centre];
                Assert.InRange(iris.X, Math.Min(refined[a].X, refined[b].X), Math.Max(refined[a].X, refined[b].X));
                Assert.InRange(iris.Y, refined[upper].Y - 2, refined[lower].Y + 2);
                var radius = Enumerable.Range(centre + 1, 4).Average(k => Distance(refined[k], iris));
                Assert.InRange(radius / Distance(refined[a], refined[b]), 0.1, 0.4); // an iris is about a quarter of the eye's width across
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"grid_lbbc2a: refined vs 468-point mesh, mean {differences.Average():P2} of the eye distance, worst frame {differences.Max():P2}; detector runs {meshTracker.DetectorRuns}/{refinedTracker.DetectorRuns}"));
        Assert.All(differences, d => Assert.True(d < 0.05, $"mesh difference {d:P2}"));
        Assert.Equal(1, refinedTracker.DetectorRuns); // the refined points make the next crop as well as the 468 do
    }

    private static (float X, float Y) Mid(Landmark a, Landmark b) => ((a.X + b.X) / 2, (a.Y + b.Y) / 2);

    private static double Distance((float X, float Y) a, (float X, float Y) b) => Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2));

    private static double Distance(Landmark a, Landmark b) => Distance((a.X, a.Y), (b.X, b.Y));
}

/// <summary>The converted detector and both landmark models (scripts/fetch-models.sh makes them).</summary>
public sealed class TrackingModelsFixture : IDisposable
{
    public TrackingModelsFixture()
    {
        var folder = Path.Combine(RepoPaths.Models, "mediapipe-face-mesh");
        Detector = new BlazeFaceDetector(RepoPaths.RequireFile(Path.Combine(folder, "face_detection_short_range.onnx")));
        Mesh = new FaceLandmarker(RepoPaths.RequireFile(Path.Combine(folder, "face_landmark.onnx")));
        Refined = new RefinedFaceLandmarker(RepoPaths.RequireFile(Path.Combine(folder, "face_landmark_with_attention.onnx")));
    }

    public BlazeFaceDetector Detector { get; }

    public FaceLandmarker Mesh { get; }

    public RefinedFaceLandmarker Refined { get; }

    public void Dispose()
    {
        Detector.Dispose();
        Mesh.Dispose();
        Refined.Dispose();
    }
}
