using System.Globalization;
using FacePipeline.Face.Tests.Support;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

/// <summary>
/// The detector against MediaPipe's own runtime (face_detection.short_cpu of
/// ../shared/goldens/mediapipe): same faces, boxes and eyes within 2% of the image size.
/// </summary>
public class MediaPipeGoldenTests : IClassFixture<DetectorFixture>
{
    /// <summary>Tolerance as a fraction of the image size (x of the width, y of the height).</summary>
    public const float Tolerance = 0.02f;

    private readonly BlazeFaceDetector _detector;
    private readonly ITestOutputHelper _output;

    public MediaPipeGoldenTests(DetectorFixture fixture, ITestOutputHelper output)
    {
        _detector = fixture.Detector;
        _output = output;
    }

    public static TheoryData<string> Images()
    {
        var data = new TheoryData<string>();
        foreach (var name in MediaPipeGolden.Names())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void MatchesMediaPipeShortRange(string image)
    {
        var golden = MediaPipeGolden.Load(image);
        var rgb = golden.DecodeImage();

        var faces = _detector.Detect(rgb.Pixels, rgb.Width, rgb.Height);

        if (golden.ShortCpu is not { } expected)
        {
            // How close to the threshold the best candidate came, for the record.
            using var lenient = new BlazeFaceDetector(_detector.ModelPath, new FaceDetectorOptions { MinScore = 0.001f });
            var candidates = lenient.Detect(rgb.Pixels, rgb.Width, rgb.Height);
            var bestCandidate = candidates.Count > 0 ? candidates[0].Score : 0f;
            _output.WriteLine(Row(image, golden, "none", faces.Count == 0 ? $"none (best candidate {bestCandidate:F3})" : $"{faces.Count} (score {faces[0].Score:F3})", "-", "-", "-"));
            Assert.True(faces.Count == 0, $"{image}: MediaPipe finds no face, we find {faces.Count} (best score {(faces.Count > 0 ? faces[0].Score : 0f):F3}).");
            return;
        }

        Assert.True(faces.Count > 0, $"{image}: MediaPipe finds a face (score {expected.Score:F3}), we find none.");
        var best = faces[0];
        float w = golden.Width, h = golden.Height;
        var box = best.BoundingBox;
        var errors = new (string What, float Error)[]
        {
            ("centre x", Math.Abs((box.CenterX / w) - expected.XCenter)),
            ("centre y", Math.Abs((box.CenterY / h) - expected.YCenter)),
            ("width", Math.Abs((box.Width / w) - expected.Width)),
            ("height", Math.Abs((box.Height / h) - expected.Height)),
            ("right eye x", Math.Abs((best.Keypoints[0].X / w) - expected.Keypoints[0].X)),
            ("right eye y", Math.Abs((best.Keypoints[0].Y / h) - expected.Keypoints[0].Y)),
            ("left eye x", Math.Abs((best.Keypoints[1].X / w) - expected.Keypoints[1].X)),
            ("left eye y", Math.Abs((best.Keypoints[1].Y / h) - expected.Keypoints[1].Y)),
        };
        var worst = errors.MaxBy(e => e.Error);
        var keypointMax = 0f;
        for (var k = 0; k < FaceDetection.KeypointCount; k++)
        {
            keypointMax = Math.Max(keypointMax, Math.Max(
                Math.Abs((best.Keypoints[k].X / w) - expected.Keypoints[k].X),
                Math.Abs((best.Keypoints[k].Y / h) - expected.Keypoints[k].Y)));
        }

        var worstPixels = worst.Error * (worst.What.EndsWith('x') || worst.What == "width" ? w : h);
        _output.WriteLine(Row(image, golden, expected.Score.ToString("F4", CultureInfo.InvariantCulture),
            $"{faces.Count} ({best.Score:F4})",
            $"{Percent(worst.Error)} = {worstPixels.ToString("F4", CultureInfo.InvariantCulture)} px ({worst.What})",
            Percent(keypointMax),
            Math.Abs(best.Score - expected.Score).ToString("F5", CultureInfo.InvariantCulture)));

        foreach (var (what, error) in errors)
        {
            Assert.True(error <= Tolerance, $"{image}: {what} is off by {Percent(error)} of the image size (tolerance {Percent(Tolerance)}).");
        }
    }

    private static string Percent(float fraction, string format = "F5") =>
        (fraction * 100f).ToString(format, CultureInfo.InvariantCulture) + "%";

    private static string Row(string image, MediaPipeGolden golden, string mediapipe, string ours, string boxEyeMax, string keypointMax, string scoreDiff) =>
        $"| {image} | {golden.Width}x{golden.Height} | {mediapipe} | {ours} | {boxEyeMax} | {keypointMax} | {scoreDiff} |";
}
