using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests.Identity;

/// <summary>
/// The imported ONNX network against a second implementation: face-api's own FaceRecognitionNet
/// code on TensorFlow.js's pure-JS CPU backend in Node (scripts/identity-reference.mjs, installed by
/// scripts/fetch-identity-model.sh --reference), on the same aligned chips of real faces.
/// </summary>
public sealed class FaceIdentityReferenceTests(FaceIdentityReferenceFixture reference, ITestOutputHelper output)
    : IClassFixture<FaceIdentityReferenceFixture>
{
    [Fact]
    public void Reference_is_face_api_1_7_15_on_the_tfjs_4_22_cpu_backend()
    {
        Assert.Equal("cpu", reference.Backend);
        Assert.Equal("4.22.0", reference.TfjsVersion);
        Assert.Equal("1.7.15", reference.FaceApiVersion);
    }

    [Fact]
    public void Onnx_descriptors_match_face_api_within_1e_5_on_aligned_chips_of_real_faces()
    {
        var worst = 0.0;
        foreach (var name in FaceIdentityReferenceFixture.Goldens)
        {
            var (maxAbs, cosine) = Compare(reference.Onnx[name], reference.FaceApi[name]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-34} max |onnx - face-api| {maxAbs:E2}  cosine {cosine:F9}  |d| {Norm(reference.Onnx[name]):F4}"));
            Assert.True(maxAbs <= 1e-5, $"{name}: max abs difference {maxAbs}");
            Assert.True(cosine >= 0.999999, $"{name}: cosine {cosine}");
            worst = Math.Max(worst, maxAbs);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst max abs difference over {FaceIdentityReferenceFixture.Goldens.Count} chips: {worst:E2}"));
    }

    [Fact]
    public void Onnx_descriptor_matches_face_api_on_a_noise_chip_spanning_0_to_255()
    {
        var (maxAbs, cosine) = Compare(reference.Onnx[FaceIdentityReferenceFixture.Noise], reference.FaceApi[FaceIdentityReferenceFixture.Noise]);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"noise chip: max abs difference {maxAbs:E2}, cosine {cosine:F9}"));
        Assert.True(maxAbs <= 1e-5, $"max abs difference {maxAbs}");
    }

    [Fact]
    public void Distances_between_faces_agree_with_face_api_within_1e_5()
    {
        var names = FaceIdentityReferenceFixture.Goldens;
        var worst = 0.0;
        for (var i = 0; i < names.Count; i++)
        {
            for (var j = i + 1; j < names.Count; j++)
            {
                var ours = FaceIdentityEmbedder.Distance(reference.Onnx[names[i]], reference.Onnx[names[j]]);
                var theirs = FaceIdentityEmbedder.Distance(reference.FaceApi[names[i]], reference.FaceApi[names[j]]);
                worst = Math.Max(worst, Math.Abs(ours - theirs));
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst |distance difference| over {names.Count * (names.Count - 1) / 2} pairs: {worst:E2}"));
        Assert.True(worst <= 1e-5, $"distance difference {worst}");
    }

    private static (double MaxAbs, double Cosine) Compare(float[] a, float[] b)
    {
        Assert.Equal(FaceIdentityEmbedder.DescriptorLength, a.Length);
        Assert.Equal(FaceIdentityEmbedder.DescriptorLength, b.Length);
        double maxAbs = 0, dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(a[i] - b[i]));
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }

        return (maxAbs, dot / Math.Sqrt(na * nb));
    }

    private static double Norm(float[] a) => Math.Sqrt(a.Sum(v => v * (double)v));
}

/// <summary>
/// Cuts the chips once, writes them as raw RGB24, runs the Node reference once on all of them and
/// the ONNX model on the same bytes.
/// </summary>
public sealed class FaceIdentityReferenceFixture : IDisposable
{
    public const string Noise = "noise";

    /// <summary>Real faces: four GRID speakers, Obama close and medium, a head-pose clip, stills and paintings.</summary>
    public static IReadOnlyList<string> Goldens { get; } =
    [
        "grid_bbaf2n_t00500ms", "grid_bbaf2n_t02500ms", "grid_lbbc2a_t01500ms", "grid_lwbsza_t01500ms", "grid_swiz3n_t01500ms",
        "obama_wh_closeup_t01940ms", "obama_wh_medium_t02258ms", "intel_headpose_male_t02584ms", "new_face_video-90_t02848ms",
        "astronaut", "painting_leonardo_mona_lisa", "painting_vermeer_pearl_earring",
    ];

    private readonly string _scratch = RepoPaths.NewScratchFolder("identity-reference");

    public FaceIdentityReferenceFixture()
    {
        using var model = new IdentityModelFixture();
        var chips = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in Goldens)
        {
            var golden = IdentityGolden.Load(name);
            var chip = new byte[FaceIdentityChip.Size * FaceIdentityChip.Size * 3];
            FaceIdentityChip.Cut(golden.Image.Pixels, golden.Image.Width, golden.Image.Height, golden.Landmarks, chip);
            chips[name] = chip;
        }

        var noise = new byte[FaceIdentityChip.Size * FaceIdentityChip.Size * 3];
        new Random(1234).NextBytes(noise);
        noise[0] = 0;
        noise[1] = 255;
        chips[Noise] = noise;

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, chip) in chips)
        {
            var path = Path.Combine(_scratch, name + ".rgb");
            File.WriteAllBytes(path, chip);
            files[name] = path;
            Onnx[name] = model.Embedder.EmbedChip(chip);
        }

        using var json = JsonDocument.Parse(RunNode(files.Values));
        var root = json.RootElement;
        Backend = root.GetProperty("backend").GetString() ?? "";
        TfjsVersion = root.GetProperty("tfjs").GetString() ?? "";
        FaceApiVersion = root.GetProperty("faceApi").GetString() ?? "";
        var descriptors = root.GetProperty("descriptors");
        foreach (var (name, path) in files)
        {
            FaceApi[name] = descriptors.GetProperty(path).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        }
    }

    public Dictionary<string, float[]> Onnx { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, float[]> FaceApi { get; } = new(StringComparer.Ordinal);

    public string Backend { get; }

    public string TfjsVersion { get; }

    public string FaceApiVersion { get; }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string RunNode(IEnumerable<string> chipFiles)
    {
        var script = RepoPaths.RequireFile(Path.Combine(RepoPaths.RepoRoot, "scripts", "identity-reference.mjs"));
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var file in chipFiles)
        {
            start.ArgumentList.Add(file);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start (node v20 and npm are installed by scripts/setup.sh).");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("scripts/identity-reference.mjs ran over 3 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/identity-reference.mjs failed ({process.ExitCode}); run scripts/fetch-identity-model.sh --reference. {stderr.Result}");
        }

        return stdout;
    }
}
