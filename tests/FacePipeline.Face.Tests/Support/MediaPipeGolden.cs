using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.Face.Tests.Support;

/// <summary>MediaPipe's short-range detection (<c>face_detection.short_cpu</c>) of one golden image.</summary>
/// <param name="XCenter">Box centre, fraction of the image width.</param>
/// <param name="YCenter">Box centre, fraction of the image height.</param>
/// <param name="Width">Box width, fraction of the image width.</param>
/// <param name="Height">Box height, fraction of the image height.</param>
/// <param name="Keypoints">Six keypoints as fractions of the image size.</param>
public sealed record GoldenDetection(
    float XCenter, float YCenter, float Width, float Height, IReadOnlyList<NormalizedPoint> Keypoints, float Score);

/// <summary>One image of ../shared/goldens/mediapipe and what MediaPipe found in it.</summary>
public sealed record MediaPipeGolden(string Name, string ImagePath, int Width, int Height, GoldenDetection? ShortCpu)
{
    public static string Folder => Path.Combine(RepoPaths.Goldens, "mediapipe");

    /// <summary>The names of all golden images (one JSON each, manifest.json aside).</summary>
    public static IEnumerable<string> Names()
    {
        if (!Directory.Exists(Folder))
        {
            throw new DirectoryNotFoundException($"MediaPipe goldens missing: {Folder} (they live in ../shared/goldens; FACEPIPE_SHARED overrides).");
        }

        return Directory.EnumerateFiles(Folder, "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(name => name != "manifest")
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static MediaPipeGolden Load(string name)
    {
        var json = Path.Combine(Folder, name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.RequireFile(json)));
        var root = doc.RootElement;
        var width = root.GetProperty("width").GetInt32();
        var height = root.GetProperty("height").GetInt32();
        GoldenDetection? detection = null;
        if (root.TryGetProperty("face_detection", out var fd)
            && fd.TryGetProperty("short_cpu", out var sc)
            && sc.ValueKind == JsonValueKind.Object)
        {
            var box = sc.GetProperty("boundingBox");
            var keypoints = sc.GetProperty("keypoints").EnumerateArray()
                .Select(k => new NormalizedPoint(k[0].GetSingle(), k[1].GetSingle()))
                .ToArray();
            detection = new GoldenDetection(
                box.GetProperty("xCenter").GetSingle(),
                box.GetProperty("yCenter").GetSingle(),
                box.GetProperty("width").GetSingle(),
                box.GetProperty("height").GetSingle(),
                keypoints,
                sc.GetProperty("score").GetSingle());
        }

        return new MediaPipeGolden(name, RepoPaths.RequireFile(Path.Combine(Folder, name + ".png")), width, height, detection);
    }

    public RgbImage DecodeImage() => RgbImage.Decode(ImagePath, Width, Height);
}
