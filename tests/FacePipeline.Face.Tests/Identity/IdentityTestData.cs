using System.Text.Json;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;

namespace FacePipeline.Face.Tests.Identity;

/// <summary>A golden still of ../shared/goldens/mediapipe with MediaPipe's own CPU landmarks (no detector needed).</summary>
public sealed record IdentityGolden(string Name, RgbImage Image, Landmark[] Landmarks)
{
    /// <summary>Loads the PNG and its <c>landmarks_cpu</c> (468 points as fractions of width and height) in pixels.</summary>
    public static IdentityGolden Load(string name)
    {
        var golden = MediaPipeGolden.Load(name);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(MediaPipeGolden.Folder, name + ".json")));
        var field = doc.RootElement.GetProperty("landmarks_cpu");
        var points = (field.ValueKind == JsonValueKind.Array ? field.EnumerateArray() : default)
            .Select(p => new Landmark(p[0].GetSingle() * golden.Width, p[1].GetSingle() * golden.Height, p[2].GetSingle() * golden.Width))
            .ToArray();
        if (points.Length != 468)
        {
            throw new InvalidDataException($"{name}: {points.Length} landmarks_cpu, expected 468 (MediaPipe found no face there).");
        }

        return new IdentityGolden(name, golden.DecodeImage(), points);
    }
}

/// <summary>The identity model (scripts/fetch-identity-model.sh), one embedder per test class.</summary>
public sealed class IdentityModelFixture : IDisposable
{
    public IdentityModelFixture()
    {
        var path = FaceIdentityEmbedder.ModelPath(RepoPaths.Models);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Identity model missing at {path}. Run scripts/fetch-identity-model.sh (it fetches npm @vladmandic/face-api and runs the importer).", path);
        }

        Embedder = new FaceIdentityEmbedder(path, new InferenceSettings(PreferCuda: false));
    }

    public FaceIdentityEmbedder Embedder { get; }

    /// <summary>The descriptor of a golden still (decoded and embedded once per fixture).</summary>
    public float[] GoldenDescriptor(string name)
    {
        lock (_descriptors)
        {
            if (!_descriptors.TryGetValue(name, out var descriptor))
            {
                var golden = IdentityGolden.Load(name);
                descriptor = Embedder.Embed(golden.Image.Pixels, golden.Image.Width, golden.Image.Height, golden.Landmarks);
                _descriptors[name] = descriptor;
            }

            return descriptor;
        }
    }

    public void Dispose() => Embedder.Dispose();

    private readonly Dictionary<string, float[]> _descriptors = new(StringComparer.Ordinal);
}
