using FacePipeline.ModelImport.FaceApi;
using FacePipeline.ModelImport.MediaPipe;
using FacePipeline.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FacePipeline.ModelImport.Tests.FaceApi;

/// <summary>
/// The face-api import on the real npm files (the copy of @vladmandic/face-api@1.7.15 that
/// scripts/fetch-identity-model.sh --reference installs). Its numbers are checked against face-api
/// on tfjs in FacePipeline.Face.Tests (Identity/FaceIdentityReferenceTests).
/// </summary>
public sealed class FaceRecognitionImportTests
{
    private static string PackageDir
    {
        get
        {
            var reference = Environment.GetEnvironmentVariable("FACEPIPE_IDENTITY_REFERENCE") is { Length: > 0 } r
                ? r
                : Path.Combine(RepoPaths.RepoRoot, ".data", "identity-reference");
            var dir = Path.Combine(reference, "node_modules", "@vladmandic", "face-api");
            return Directory.Exists(dir)
                ? dir
                : throw new DirectoryNotFoundException($"{dir} missing: run scripts/fetch-identity-model.sh --reference (it installs the npm package).");
        }
    }

    private static string ModelDir => FaceRecognitionImport.ModelFolder(PackageDir);

    [Fact]
    public void The_npm_model_files_have_the_pinned_sha256()
    {
        foreach (var (file, sha) in FaceRecognitionImport.ExpectedSha256)
        {
            Assert.Equal(sha, PackedAssets.Sha256(Path.Combine(ModelDir, file)));
        }
    }

    [Fact]
    public void The_manifest_holds_exactly_the_weights_of_the_architecture_mostly_uint8_quantized()
    {
        var weights = TfjsWeights.Read(Path.Combine(ModelDir, FaceRecognitionImport.ManifestFile));

        // Stem + two convs per residual layer, four tensors each (filters, bias, scale weights, scale biases), plus fc.
        Assert.Equal((4 * (1 + (2 * FaceRecognitionImport.ResidualLayers.Count))) + 1, weights.Tensors.Count);
        Assert.Equal(109, weights.Quantization.Count);
        Assert.All(weights.Quantization.Values, q => Assert.Equal("uint8", q));
        Assert.Equal([256, 128], weights["fc"].Shape);
    }

    [Fact]
    public void The_graph_has_face_apis_layers_29_convolutions_a_max_pool_and_four_shortcut_pools()
    {
        var model = FaceRecognitionImport.Build(TfjsWeights.Read(Path.Combine(ModelDir, FaceRecognitionImport.ManifestFile)));
        var ops = model.NodeOpTypes;

        Assert.Equal(29, ops.Count(o => o == "Conv"));
        Assert.Single(ops, o => o == "MaxPool");
        Assert.Equal(4, ops.Count(o => o == "AveragePool"));
        Assert.Equal(14, ops.Count(o => o == "Add")); // one per residual layer
        Assert.Equal(5, ops.Count(o => o == "Pad")); // three channel widenings, two spatial pads (conv256_down, conv256_down_out)
        Assert.Equal(["Transpose", "Sub", "Div"], ops.Take(3));
        Assert.Equal(["ReduceMean", "MatMul"], ops.TakeLast(2));
        Assert.DoesNotContain("Mul", ops); // the scale layers are folded into the convolutions
    }

    [Fact]
    public void The_model_maps_a_batch_of_chips_to_128_d_descriptors_as_it_maps_each_chip()
    {
        var bytes = FaceRecognitionImport.Build(TfjsWeights.Read(Path.Combine(ModelDir, FaceRecognitionImport.ManifestFile))).ToBytes();
        using var session = new InferenceSession(bytes);
        var random = new Random(5);
        const int chip = 150 * 150 * 3;
        var batch = Enumerable.Range(0, 2 * chip).Select(_ => (float)random.Next(256)).ToArray();

        var both = Run(session, batch, 2);
        var first = Run(session, batch[..chip], 1);
        var second = Run(session, batch[chip..], 1);

        Assert.Equal(256, both.Length);
        Assert.All(first.Concat(second).Zip(both), p => Assert.Equal(p.First, p.Second, 5));
        Assert.True(first.Zip(second).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "different chips give different descriptors");
    }

    [Fact]
    public void Import_writes_the_model_and_refuses_weights_with_another_sha256()
    {
        var scratch = RepoPaths.NewScratchFolder("face-api-import");
        try
        {
            var package = Path.Combine(scratch, "package", "model");
            Directory.CreateDirectory(package);
            foreach (var file in FaceRecognitionImport.ExpectedSha256.Keys)
            {
                File.Copy(Path.Combine(ModelDir, file), Path.Combine(package, file));
            }

            var result = FaceRecognitionImport.Run(Path.Combine(scratch, "package"), Path.Combine(scratch, "models"));
            Assert.Equal(Path.Combine(scratch, "models", "face-api", "face_recognition.onnx"), result.OnnxPath);
            Assert.True(new FileInfo(result.OnnxPath).Length > 20_000_000); // 5.8 M float32 parameters

            var bin = Path.Combine(package, FaceRecognitionImport.WeightsFile);
            var tampered = File.ReadAllBytes(bin);
            tampered[1000] ^= 1;
            File.WriteAllBytes(bin, tampered);
            File.Delete(result.OnnxPath);
            var error = Assert.Throws<InvalidDataException>(() => FaceRecognitionImport.Run(Path.Combine(scratch, "package"), Path.Combine(scratch, "models")));
            Assert.Contains(FaceRecognitionImport.WeightsFile, error.Message);
            Assert.False(File.Exists(result.OnnxPath));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static float[] Run(InferenceSession session, float[] input, int n)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(FaceRecognitionImport.InputName, new DenseTensor<float>(input, [n, 150, 150, 3]))]);
        var output = results.Single();
        Assert.Equal(FaceRecognitionImport.OutputName, output.Name);
        return output.AsTensor<float>().ToArray();
    }
}
