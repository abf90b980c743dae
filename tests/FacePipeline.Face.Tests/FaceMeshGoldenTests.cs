using System.Globalization;
using System.Text.Json;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

/// <summary>
/// The whole single-image face mesh pipeline — the project's converted detector, MediaPipe's crop,
/// the converted landmark model at 192x192, projection back — against MediaPipe's own runtime
/// (<c>landmarks_cpu</c> of ../shared/goldens/mediapipe). Error: mean distance over the 468 points
/// (x, y in pixels) divided by the distance between the eye centres.
/// </summary>
public sealed class FaceMeshGoldenTests(FaceMeshFixture mesh, ITestOutputHelper output) : IClassFixture<FaceMeshFixture>
{
    [Theory]
    [MemberData(nameof(MediaPipeGoldenTests.Images), MemberType = typeof(MediaPipeGoldenTests))]
    public void Landmarks_match_MediaPipe_within_one_percent_of_the_eye_distance(string name)
    {
        var (expected, found) = Run(name);

        if (expected is null)
        {
            Assert.Null(found); // MediaPipe finds no face: neither do we
            return;
        }

        Assert.NotNull(found);
        var error = FaceMeshError.Relative(found.Points, expected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {error * FaceMeshError.EyeDistance(expected):F4} | {FaceMeshError.EyeDistance(expected):F1} | {error * 100:F5} | {found.FaceScore:F4} |"));
        Assert.True(error <= 0.01, $"{name}: mean error {error:P3} of the eye distance");
        Assert.True(found.FaceScore > 0.5f);
    }

    [Fact]
    public void The_average_error_over_all_images_is_at_most_half_a_percent()
    {
        var errors = new List<double>();
        foreach (var name in MediaPipeGolden.Names())
        {
            var (expected, found) = Run(name);
            if (expected is not null && found is not null)
            {
                errors.Add(FaceMeshError.Relative(found.Points, expected));
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{errors.Count} faces, average {errors.Average() * 100:F4}%, worst {errors.Max() * 100:F4}%"));
        Assert.True(errors.Count >= 20);
        Assert.True(errors.Average() <= 0.005, $"average {errors.Average():P3}");
    }

    private (Landmark[]? Expected, FaceLandmarks? Found) Run(string name)
    {
        var golden = MediaPipeGolden.Load(name);
        var image = golden.DecodeImage();
        var expected = FaceMeshError.ReadLandmarksCpu(Path.Combine(MediaPipeGolden.Folder, name + ".json"), golden.Width, golden.Height);
        var detections = mesh.Detector.Detect(image.Pixels, image.Width, image.Height);
        if (detections.Count == 0)
        {
            return (expected, null);
        }

        var roi = FaceRoi.FromDetection(detections[0], image.Width, image.Height);
        return (expected, mesh.Landmarker.Run(image.Pixels, image.Width, image.Height, roi));
    }
}

/// <summary>The project's converted MediaPipe models (scripts/fetch-models.sh makes them).</summary>
public sealed class FaceMeshFixture : IDisposable
{
    public FaceMeshFixture()
    {
        var folder = Path.Combine(RepoPaths.Models, "mediapipe-face-mesh");
        Detector = new BlazeFaceDetector(RepoPaths.RequireFile(Path.Combine(folder, "face_detection_short_range.onnx")));
        Landmarker = new FaceLandmarker(RepoPaths.RequireFile(Path.Combine(folder, "face_landmark.onnx")));
    }

    public BlazeFaceDetector Detector { get; }

    public FaceLandmarker Landmarker { get; }

    public void Dispose()
    {
        Detector.Dispose();
        Landmarker.Dispose();
    }
}

public static class FaceMeshError
{
    /// <summary>Eye centres: the midpoints of each eye's corners (33–133, subject's right; 362–263, left).</summary>
    public static double EyeDistance(IReadOnlyList<Landmark> p)
    {
        var (rx, ry) = ((p[33].X + p[133].X) / 2.0, (p[33].Y + p[133].Y) / 2.0);
        var (lx, ly) = ((p[362].X + p[263].X) / 2.0, (p[362].Y + p[263].Y) / 2.0);
        return Math.Sqrt(((lx - rx) * (lx - rx)) + ((ly - ry) * (ly - ry)));
    }

    public static double Relative(IReadOnlyList<Landmark> found, IReadOnlyList<Landmark> expected)
    {
        double sum = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            sum += Math.Sqrt(Math.Pow(found[i].X - expected[i].X, 2) + Math.Pow(found[i].Y - expected[i].Y, 2));
        }

        return sum / expected.Count / EyeDistance(expected);
    }

    /// <summary>MediaPipe's <c>landmarks_cpu</c> in pixels, or null when it found no face.</summary>
    public static Landmark[]? ReadLandmarksCpu(string jsonPath, int width, int height)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        if (!doc.RootElement.TryGetProperty("landmarks_cpu", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return null;
        }

        return [.. list.EnumerateArray().Select(p => new Landmark(p[0].GetSingle() * width, p[1].GetSingle() * height, p[2].GetSingle() * width))];
    }
}
