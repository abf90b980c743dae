using FacePipeline.ModelImport.Conversion;
using FacePipeline.ModelImport.Tflite;

namespace FacePipeline.ModelImport.MediaPipe;

/// <summary>What happened to one model of the import.</summary>
public sealed record ModelImportResult(string TfliteFile, string? OnnxPath, IReadOnlyList<(string Op, int Count)> Operators, string? Failure);

/// <summary>The import's outcome: the unpacked files (by file name) and each model's conversion.</summary>
public sealed record FaceMeshImportResult(IReadOnlyDictionary<string, string> Unpacked, IReadOnlyList<ModelImportResult> Models);

/// <summary>
/// Imports the face models of npm @mediapipe/face_mesh@0.4.1657299874: unpacks the packed assets,
/// checks each file's sha256, converts the TFLite models to ONNX and writes everything into
/// <c>&lt;models&gt;/mediapipe-face-mesh/</c>.
/// </summary>
public static class FaceMeshImport
{
    public const string PackageSpec = "@mediapipe/face_mesh@0.4.1657299874";
    public const string FolderName = "mediapipe-face-mesh";
    public const string DataFile = "face_mesh_solution_packed_assets.data";
    public const string LoaderFile = "face_mesh_solution_packed_assets_loader.js";

    public const string Detector = "face_detection_short_range.tflite";
    public const string Landmarks = "face_landmark.tflite";
    public const string LandmarksWithAttention = "face_landmark_with_attention.tflite";
    public const string GeometryMetadata = "geometry_pipeline_metadata_landmarks.binarypb";

    /// <summary>
    /// sha256 of the packed files of <see cref="PackageSpec"/>: the models the MediaPipe goldens
    /// (../shared/goldens/mediapipe/manifest.json, models_sha256) were produced with.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ExpectedSha256 { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Detector] = "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        [Landmarks] = "c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1",
        [LandmarksWithAttention] = "883b7411747bac657c30c462d305d312e9dec6adbf8b85e2f5d8d722fca9455d",
        [GeometryMetadata] = "bdbcda96dfcb7da883da124aaa2c55dee49770d934f0fcc71747f8c21bdc75b4",
    };

    /// <summary>
    /// The models to convert. All three are required: the attention model's MediaPipe custom
    /// operators become ONNX subgraphs (a model marked optional would be skipped, with the reason
    /// logged, when the converter cannot translate it).
    /// </summary>
    public static IReadOnlyList<(string File, bool Required)> Models { get; } =
    [
        (Detector, true),
        (Landmarks, true),
        (LandmarksWithAttention, true),
    ];

    /// <summary>
    /// Runs the import. <paramref name="packageDir"/> is the unpacked npm package (the folder with
    /// the .data and loader .js, e.g. <c>package/</c>); <paramref name="expectedHashes"/> maps file
    /// names to sha256 (every packed file must be listed and match).
    /// </summary>
    public static FaceMeshImportResult Run(
        string packageDir,
        string modelsDir,
        IReadOnlyDictionary<string, string> expectedHashes,
        Action<string>? log = null)
    {
        log ??= _ => { };
        var loader = Path.Combine(packageDir, LoaderFile);
        var data = Path.Combine(packageDir, DataFile);
        foreach (var required in new[] { loader, data })
        {
            if (!File.Exists(required))
            {
                throw new FileNotFoundException($"{Path.GetFileName(required)} not found in {packageDir} (unpack {PackageSpec} there).", required);
            }
        }

        var outDir = Path.Combine(modelsDir, FolderName);
        var assets = PackedAssets.ParseLoader(File.ReadAllText(loader));
        var files = PackedAssets.Unpack(data, assets, outDir);
        foreach (var (name, path) in files)
        {
            var actual = PackedAssets.Sha256(path);
            if (!expectedHashes.TryGetValue(name, out var expected))
            {
                throw new InvalidDataException($"No expected sha256 for {name}.");
            }

            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(path);
                throw new InvalidDataException($"{name}: sha256 {actual}, expected {expected}. The package is not the one the goldens were made with.");
            }

            log($"unpacked {name} ({new FileInfo(path).Length} bytes, sha256 ok)");
        }

        var results = new List<ModelImportResult>();
        foreach (var (file, required) in Models)
        {
            if (!files.TryGetValue(file, out var tflitePath))
            {
                throw new InvalidDataException($"{file} is not in the packed assets.");
            }

            var graph = TfliteReader.Read(tflitePath).Main;
            var census = graph.OperatorCensus();
            log($"{file}: {string.Join(", ", census.Select(c => $"{c.Op} x{c.Count}"))}");
            var onnxPath = Path.Combine(outDir, Path.ChangeExtension(file, ".onnx"));
            try
            {
                TfliteToOnnx.Convert(graph, Path.GetFileNameWithoutExtension(file)).Save(onnxPath);
                log($"wrote {onnxPath}");
                results.Add(new ModelImportResult(file, onnxPath, census, null));
            }
            catch (UnsupportedOperatorException e) when (!required)
            {
                File.Delete(onnxPath);
                log($"{file} not converted: {e.Message}");
                results.Add(new ModelImportResult(file, null, census, e.Message));
            }
        }

        return new FaceMeshImportResult(files, results);
    }
}
