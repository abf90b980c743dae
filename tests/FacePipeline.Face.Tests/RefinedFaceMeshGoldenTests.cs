using System.Globalization;
using System.Text.Json;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

/// <summary>
/// The refined face mesh — the project's converted detector, MediaPipe's crop, the converted
/// face_landmark_with_attention model (its custom operators as ONNX subgraphs), MediaPipe's
/// assembly into 478 points — against MediaPipe's own CPU runtime (<c>refined_cpu</c> of
/// ../shared/goldens/mediapipe). Error: distance in x, y (pixels) divided by the distance between
/// the eye centres; per image the mean over the 478 points, the worst point, and the irises alone.
/// </summary>
public sealed class RefinedFaceMeshGoldenTests(RefinedFaceMeshFixture mesh, ITestOutputHelper output) : IClassFixture<RefinedFaceMeshFixture>
{
    [Theory]
    [MemberData(nameof(MediaPipeGoldenTests.Images), MemberType = typeof(MediaPipeGoldenTests))]
    public void Refined_landmarks_match_MediaPipe_within_one_percent_of_the_eye_distance(string name)
    {
        var (expected, found) = Run(name);

        if (expected is null)
        {
            Assert.Null(found); // MediaPipe finds no face: neither do we
            return;
        }

        Assert.NotNull(found);
        Assert.Equal(RefinedFaceLandmarker.LandmarkCount, found.Points.Length);
        var e = RefinedError.Of(found.Points, expected);
        output.WriteLine(e.Row(name));
        Assert.True(e.Mean <= 0.01, $"{name}: mean error {e.Mean:P3} of the eye distance");
        Assert.True(e.IrisMean <= 0.01, $"{name}: iris mean error {e.IrisMean:P3} of the eye distance");
        Assert.True(e.DepthMax <= 0.01, $"{name}: depth error up to {e.DepthMax:P3} of the eye distance");
        Assert.True(found.FaceScore > 0.5f);
    }

    [Fact]
    public void Over_all_faces_the_mean_error_is_at_most_half_a_percent_and_the_worst_image_at_most_one_percent()
    {
        var errors = new List<RefinedError>();
        output.WriteLine(RefinedError.Header);
        foreach (var name in MediaPipeGolden.Names())
        {
            var (expected, found) = Run(name);
            if (expected is not null && found is not null)
            {
                var e = RefinedError.Of(found.Points, expected);
                errors.Add(e);
                output.WriteLine(e.Row(name));
            }
        }

        var mean = errors.Average(e => e.Mean);
        var worst = errors.Max(e => e.Mean);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{errors.Count} faces: mean {mean * 100:F4}%, worst image {worst * 100:F4}%, worst point {errors.Max(e => e.Max) * 100:F4}%; " +
            $"irises: mean {errors.Average(e => e.IrisMean) * 100:F4}%, worst image {errors.Max(e => e.IrisMean) * 100:F4}%, worst iris point {errors.Max(e => e.IrisMax) * 100:F4}%"));
        Assert.True(errors.Count >= 20);
        Assert.True(mean <= 0.005, $"mean {mean:P3}");
        Assert.True(worst <= 0.01, $"worst image {worst:P3}");
    }

    [Fact]
    public void Iris_depth_is_the_mean_depth_of_its_eye_contour_and_irises_sit_inside_the_eyes()
    {
        var golden = MediaPipeGolden.Load("astronaut");
        var (_, found) = Run(golden.Name);

        Assert.NotNull(found);
        var p = found.Points;
        foreach (var (start, eye) in new[] { (RefinedLandmarkAssembly.LeftIrisStart, RefinedLandmarkAssembly.LeftEye.ToArray()), (RefinedLandmarkAssembly.RightIrisStart, RefinedLandmarkAssembly.RightEye.ToArray()) })
        {
            var contour = eye[..RefinedLandmarkAssembly.IrisDepthSourceCount];
            var z = contour.Average(i => (double)p[i].Z);
            var (minX, maxX) = (contour.Min(i => p[i].X), contour.Max(i => p[i].X));
            for (var k = 0; k < RefinedLandmarkAssembly.IrisCount; k++)
            {
                Assert.Equal(z, p[start + k].Z, 3);
            }

            Assert.InRange(p[start].X, minX, maxX); // the iris centre lies between the eye corners
        }
    }

    private (Landmark[]? Expected, FaceLandmarks? Found) Run(string name)
    {
        var golden = MediaPipeGolden.Load(name);
        var image = golden.DecodeImage();
        var expected = RefinedError.ReadRefinedCpu(Path.Combine(MediaPipeGolden.Folder, name + ".json"), golden.Width, golden.Height);
        var detections = mesh.Detector.Detect(image.Pixels, image.Width, image.Height);
        if (detections.Count == 0)
        {
            return (expected, null);
        }

        var roi = FaceRoi.FromDetection(detections[0], image.Width, image.Height);
        return (expected, mesh.Landmarker.Run(image.Pixels, image.Width, image.Height, roi));
    }
}

/// <summary>The converted detector and refined landmark model (scripts/fetch-models.sh makes them).</summary>
public sealed class RefinedFaceMeshFixture : IDisposable
{
    public RefinedFaceMeshFixture()
    {
        var folder = Path.Combine(RepoPaths.Models, "mediapipe-face-mesh");
        Detector = new BlazeFaceDetector(RepoPaths.RequireFile(Path.Combine(folder, "face_detection_short_range.onnx")));
        Landmarker = new RefinedFaceLandmarker(RepoPaths.RequireFile(Path.Combine(folder, "face_landmark_with_attention.onnx")));
    }

    public BlazeFaceDetector Detector { get; }

    public RefinedFaceLandmarker Landmarker { get; }

    public void Dispose()
    {
        Detector.Dispose();
        Landmarker.Dispose();
    }
}

/// <summary>One image's errors as fractions of the eye distance: mean and worst over the 478 points, mean over the 10 iris points.</summary>
public sealed record RefinedError(double Mean, double Max, double IrisMean, double IrisMax, double DepthMax, double EyeDistance)
{
    public const string Header = "| image | mean % IOD | max % IOD | iris mean % IOD | iris max % IOD | z max % IOD | mean px | IOD px |";

    public static RefinedError Of(IReadOnlyList<Landmark> found, IReadOnlyList<Landmark> expected)
    {
        var iod = FaceMeshError.EyeDistance(expected);
        var errors = new double[expected.Count];
        var depth = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            errors[i] = Math.Sqrt(Math.Pow(found[i].X - expected[i].X, 2) + Math.Pow(found[i].Y - expected[i].Y, 2)) / iod;
            depth = Math.Max(depth, Math.Abs(found[i].Z - expected[i].Z) / iod);
        }

        var irises = errors[RefinedLandmarkAssembly.MeshCount..];
        return new RefinedError(errors.Average(), errors.Max(), irises.Average(), irises.Max(), depth, iod);
    }

    public string Row(string name) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {Mean * 100:F4} | {Max * 100:F4} | {IrisMean * 100:F4} | {IrisMax * 100:F4} | {DepthMax * 100:F4} | {Mean * EyeDistance:F4} | {EyeDistance:F1} |");

    /// <summary>MediaPipe's <c>refined_cpu</c> in pixels, or null when it found no face.</summary>
    public static Landmark[]? ReadRefinedCpu(string jsonPath, int width, int height)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        if (!doc.RootElement.TryGetProperty("refined_cpu", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return null;
        }

        return [.. list.EnumerateArray().Select(p => new Landmark(p[0].GetSingle() * width, p[1].GetSingle() * height, p[2].GetSingle() * width))];
    }
}
