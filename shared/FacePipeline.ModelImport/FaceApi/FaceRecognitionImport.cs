using System.Globalization;
using FacePipeline.ModelImport.MediaPipe;
using FacePipeline.Onnx;

namespace FacePipeline.ModelImport.FaceApi;

/// <summary>The import's outcome: the ONNX file written and the weights it was built from.</summary>
public sealed record FaceRecognitionImportResult(string OnnxPath, int WeightCount, int QuantizedWeightCount, int NodeCount);

/// <summary>
/// Imports the 128-d face-recognition network of npm @vladmandic/face-api@1.7.15 (MIT; weights
/// from dlib's public-domain <c>dlib_face_recognition_resnet_model_v1</c>) into ONNX: reads the
/// TFJS manifest and weights (<see cref="TfjsWeights"/>), checks their sha256, and rebuilds
/// face-api's <c>FaceRecognitionNet</c> (src/faceRecognitionNet/*.ts) with
/// <see cref="OnnxModelBuilder"/>, operator for operator:
/// <list type="bullet">
/// <item>input <c>image</c> [N,150,150,3] float RGB in 0..255 (NHWC, what face-api's toBatchTensor
///   gives for a 150x150 face); transposed once to NCHW, <c>(x - [122.782, 117.001, 104.298]) / 255</c>;</item>
/// <item><c>conv32_down</c>: 7x7/2 conv, VALID padding (150 → 72), scale, ReLU; 3x3/2 max pool, VALID (72 → 35);</item>
/// <item>residual blocks (3x3/1 conv SAME + scale + ReLU, 3x3/1 conv SAME + scale, + input, ReLU):
///   conv32_1..3 (35², 32 ch), conv64_1..3 (17², 64), conv128_1..2 (8², 128), conv256_1..2 (4², 256);</item>
/// <item>down blocks (conv64_down, conv128_down, conv256_down, conv256_down_out): first conv 3x3/2
///   VALID, second 3x3/1 SAME; shortcut = 2x2/2 average pool, VALID, channels zero-padded at the end
///   to the new width; where the pooled map is larger (conv256_down: 8 → 3 vs 4; conv256_down_out:
///   4 → 1 vs 2) the residual branch
///   gets one zero row and column at the bottom/right, as residualLayer.ts concatenates them;</item>
/// <item>mean over the final 2x2 map, then a 256x128 matrix (no bias): output <c>descriptor</c> [N,128].</item>
/// </list>
/// face-api's "scale" layer (dlib's affine layer, i.e. batch norm folded at training) is folded
/// once more into the preceding conv: <c>W' = W·s</c>, <c>b' = b·s + β</c> (ONNX Runtime would fuse the
/// Mul/Add the same way). TF SAME padding for 3x3/1 is one pixel on every side.
/// </summary>
public static class FaceRecognitionImport
{
    public const string PackageSpec = "@vladmandic/face-api@1.7.15";
    public const string FolderName = "face-api";
    public const string OnnxFile = "face_recognition.onnx";
    public const string ManifestFile = "face_recognition_model-weights_manifest.json";
    public const string WeightsFile = "face_recognition_model.bin";

    public const string InputName = "image";
    public const string OutputName = "descriptor";
    public const int InputSize = 150;
    public const int DescriptorLength = 128;

    /// <summary>face-api's mean RGB (FaceRecognitionNet.forwardInput); the difference is divided by 255.</summary>
    public static IReadOnlyList<float> MeanRgb { get; } = [122.782f, 117.001f, 104.298f];

    /// <summary>sha256 of the model files in <see cref="PackageSpec"/> (package/model/).</summary>
    public static IReadOnlyDictionary<string, string> ExpectedSha256 { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ManifestFile] = "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
        [WeightsFile] = "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
    };

    /// <summary>The residual layers after the stem, in order: weight prefix, output channels, whether it is a down block.</summary>
    public static IReadOnlyList<(string Name, int Channels, bool Down)> ResidualLayers { get; } =
    [
        ("conv32_1", 32, false), ("conv32_2", 32, false), ("conv32_3", 32, false),
        ("conv64_down", 64, true), ("conv64_1", 64, false), ("conv64_2", 64, false), ("conv64_3", 64, false),
        ("conv128_down", 128, true), ("conv128_1", 128, false), ("conv128_2", 128, false),
        ("conv256_down", 256, true), ("conv256_1", 256, false), ("conv256_2", 256, false),
        ("conv256_down_out", 256, true),
    ];

    /// <summary>
    /// The model folder of an unpacked package: <paramref name="packageDir"/>/model when it holds
    /// the manifest (the npm layout), else <paramref name="packageDir"/> itself.
    /// </summary>
    public static string ModelFolder(string packageDir) =>
        File.Exists(Path.Combine(packageDir, "model", ManifestFile)) ? Path.Combine(packageDir, "model") : packageDir;

    /// <summary>
    /// Runs the import: checks the sha256 of the manifest and weights against
    /// <paramref name="expectedHashes"/> (default <see cref="ExpectedSha256"/>), builds the network,
    /// writes <c>&lt;models&gt;/face-api/face_recognition.onnx</c>.
    /// </summary>
    public static FaceRecognitionImportResult Run(
        string packageDir,
        string modelsDir,
        IReadOnlyDictionary<string, string>? expectedHashes = null,
        Action<string>? log = null)
    {
        log ??= _ => { };
        expectedHashes ??= ExpectedSha256;
        var folder = ModelFolder(packageDir);
        var manifest = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifest))
        {
            throw new FileNotFoundException($"{ManifestFile} not found in {packageDir} or its model/ folder (unpack {PackageSpec} there).", manifest);
        }

        foreach (var (file, expected) in expectedHashes)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{file} not found in {folder} (unpack {PackageSpec} there).", path);
            }

            var actual = PackedAssets.Sha256(path);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{file}: sha256 {actual}, expected {expected}. The package is not {PackageSpec}.");
            }

            log($"{file}: {new FileInfo(path).Length} bytes, sha256 ok");
        }

        var weights = TfjsWeights.Read(manifest);
        log($"{weights.Tensors.Count} weights, {weights.Quantization.Count} uint8/uint16/float16-quantized (dequantized as tfjs does)");
        var model = Build(weights);
        model.AddMetadata("source", $"npm {PackageSpec} model/{WeightsFile}");
        model.AddMetadata("source_sha256", expectedHashes.TryGetValue(WeightsFile, out var sha) ? sha : "");
        var onnxPath = Path.Combine(modelsDir, FolderName, OnnxFile);
        model.Save(onnxPath);
        log($"wrote {onnxPath} ({model.NodeCount} nodes)");
        return new FaceRecognitionImportResult(onnxPath, weights.Tensors.Count, weights.Quantization.Count, model.NodeCount);
    }

    /// <summary>Builds the ONNX graph of FaceRecognitionNet from its weights (see the class summary).</summary>
    public static OnnxModelBuilder Build(TfjsWeights weights)
    {
        var g = new Graph(weights);
        return g.Run();
    }

    private sealed class Graph(TfjsWeights weights)
    {
        private readonly OnnxModelBuilder _b = new("face_recognition_net", OnnxModelBuilder.DefaultOpset);

        public OnnxModelBuilder Run()
        {
            _b.DocString = $"face-api FaceRecognitionNet ({PackageSpec}, dlib ResNet weights) imported by FacePipeline.ModelImport: "
                + $"input '{InputName}' [N,{InputSize},{InputSize},3] RGB 0..255 (an aligned face chip), output '{OutputName}' [N,{DescriptorLength}].";
            _b.AddInput(InputName, OnnxElementType.Float, -1, InputSize, InputSize, 3);
            var mean = MeanRgb.ToArray();
            _b.AddMetadata("mean_rgb", string.Join(",", mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture))));
            _b.AddMetadata("input_range", "0..255, divided by 255 after the mean is subtracted");

            var x = _b.AddNode("Transpose", [InputName], ["image_nchw"], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
            x = _b.AddNode("Sub", [x, _b.AddInitializer("mean_rgb", mean, 1, 3, 1, 1)], ["centered"]);
            x = _b.AddNode("Div", [x, _b.AddInitializer("divisor", [255f], 1)], ["normalized"]);

            var size = InputSize;
            var channels = 3;
            x = Conv(x, "conv32_down", channels, 32, 7, 2, same: false, relu: true);
            size = Valid(size, 7, 2);
            channels = 32;
            x = _b.AddNode("MaxPool", [x], [_b.UniqueName("max_pool")],
                OnnxAttribute.Ints("kernel_shape", 3, 3), OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Ints("pads", 0, 0, 0, 0));
            size = Valid(size, 3, 2);

            foreach (var (name, outChannels, down) in ResidualLayers)
            {
                (x, size) = down ? ResidualDown(x, name, channels, outChannels, size) : (Residual(x, name, channels), size);
                channels = outChannels;
            }

            // out.mean([1, 2]) over the last (2x2) map, then matMul with fc [256, 128].
            x = _b.AddNode("ReduceMean", [x], ["global_average"], OnnxAttribute.Ints("axes", 2, 3), OnnxAttribute.Int("keepdims", 0));
            var fc = weights.Get("fc", channels, DescriptorLength);
            _b.AddNode("MatMul", [x, _b.AddInitializer("fc", fc.Data, channels, DescriptorLength)], [OutputName]);
            _b.AddOutput(OutputName, OnnxElementType.Float, -1, DescriptorLength);
            _b.AddMetadata("final_map_size", size.ToString(CultureInfo.InvariantCulture));
            return _b;
        }

        /// <summary>residualLayer.ts residual: conv(3x3 SAME)+ReLU, convNoRelu, + x, ReLU.</summary>
        private string Residual(string x, string name, int channels)
        {
            var y = Conv(x, $"{name}/conv1", channels, channels, 3, 1, same: true, relu: true);
            y = Conv(y, $"{name}/conv2", channels, channels, 3, 1, same: true, relu: false);
            y = _b.AddNode("Add", [y, x], [_b.UniqueName($"{name}/add")]);
            return _b.AddNode("Relu", [y], [_b.UniqueName($"{name}/out")]);
        }

        /// <summary>
        /// residualLayer.ts residualDown: convDown (3x3/2 VALID)+ReLU, convNoRelu (3x3/1 SAME); the
        /// shortcut is avgPool(2, 2, VALID) with zero channels appended; when the pooled map is
        /// larger the branch gets a zero row (bottom) and column (right); add, ReLU.
        /// </summary>
        private (string Out, int Size) ResidualDown(string x, string name, int inChannels, int outChannels, int size)
        {
            var y = Conv(x, $"{name}/conv1", inChannels, outChannels, 3, 2, same: false, relu: true);
            y = Conv(y, $"{name}/conv2", outChannels, outChannels, 3, 1, same: true, relu: false);
            var convSize = Valid(size, 3, 2);
            var pooledSize = Valid(size, 2, 2);

            var pooled = _b.AddNode("AveragePool", [x], [_b.UniqueName($"{name}/pool")],
                OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Ints("pads", 0, 0, 0, 0));
            if (pooledSize != convSize)
            {
                if (pooledSize != convSize + 1)
                {
                    throw new InvalidOperationException($"{name}: pooled {pooledSize} vs conv {convSize}; face-api pads by exactly one.");
                }

                y = Pad(y, $"{name}/pad_hw", [0, 0, 0, 0, 0, 0, 1, 1]);
            }

            if (outChannels != inChannels)
            {
                pooled = Pad(pooled, $"{name}/pad_c", [0, 0, 0, 0, 0, outChannels - inChannels, 0, 0]);
            }

            y = _b.AddNode("Add", [pooled, y], [_b.UniqueName($"{name}/add")]);
            return (_b.AddNode("Relu", [y], [_b.UniqueName($"{name}/out")]), pooledSize);
        }

        /// <summary>convLayer.ts: conv2d + bias, scale (x·w + b), optional ReLU; the scale folded into the conv.</summary>
        private string Conv(string x, string prefix, int inChannels, int outChannels, int k, int stride, bool same, bool relu)
        {
            var filters = weights.Get($"{prefix}/conv/filters", k, k, inChannels, outChannels); // HWIO
            var bias = weights.Get($"{prefix}/conv/bias", outChannels);
            var scale = weights.Get($"{prefix}/scale/weights", outChannels);
            var shift = weights.Get($"{prefix}/scale/biases", outChannels);

            // HWIO → OIHW, each output channel times its scale.
            var kernel = new float[outChannels * inChannels * k * k];
            for (var h = 0; h < k; h++)
            {
                for (var w = 0; w < k; w++)
                {
                    for (var i = 0; i < inChannels; i++)
                    {
                        for (var o = 0; o < outChannels; o++)
                        {
                            var src = (((((h * k) + w) * inChannels) + i) * outChannels) + o;
                            var dst = (((((o * inChannels) + i) * k) + h) * k) + w;
                            kernel[dst] = filters.Data[src] * scale.Data[o];
                        }
                    }
                }
            }

            var folded = new float[outChannels];
            for (var o = 0; o < outChannels; o++)
            {
                folded[o] = (bias.Data[o] * scale.Data[o]) + shift.Data[o];
            }

            var safe = prefix.Replace('/', '_');
            var pad = same ? (k - 1) / 2 : 0; // TF SAME with stride 1 and odd k: symmetric
            if (same && stride != 1)
            {
                throw new NotSupportedException("SAME padding is only used with stride 1 in FaceRecognitionNet.");
            }

            var y = _b.AddNode(
                "Conv",
                [x, _b.AddInitializer($"{safe}_w", kernel, outChannels, inChannels, k, k), _b.AddInitializer($"{safe}_b", folded, outChannels)],
                [_b.UniqueName(safe)],
                OnnxAttribute.Ints("kernel_shape", k, k),
                OnnxAttribute.Ints("strides", stride, stride),
                OnnxAttribute.Ints("pads", pad, pad, pad, pad));
            return relu ? _b.AddNode("Relu", [y], [_b.UniqueName($"{safe}_relu")]) : y;
        }

        private string Pad(string x, string name, long[] pads) =>
            _b.AddNode("Pad", [x, _b.AddInitializer(_b.UniqueName($"{name}/pads"), pads, 8)], [_b.UniqueName(name)], OnnxAttribute.String("mode", "constant"));

        private static int Valid(int size, int k, int stride) => ((size - k) / stride) + 1;
    }
}
