using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Face;

/// <summary>
/// MediaPipe's refined face landmark model (face_landmark_with_attention.tflite converted by the
/// project's importer, <c>mediapipe-face-mesh/face_landmark_with_attention.onnx</c>) on ONNX
/// Runtime: the same 192x192 crop of the ROI as <see cref="FaceLandmarker"/>, 478 points out —
/// the 468 mesh points with refined lips and eyes, then the subject's right iris (468–472) and
/// left iris (473–477), assembled as MediaPipe does (<see cref="RefinedLandmarkAssembly"/>).
/// One session per instance, pre-bound buffers; not thread-safe.
/// </summary>
public sealed class RefinedFaceLandmarker : IDisposable
{
    public const int InputSize = FaceLandmarker.InputSize;
    public const int LandmarkCount = RefinedLandmarkAssembly.RefinedCount;

    /// <summary>The converted model's output names (those of the .tflite).</summary>
    public static class Outputs
    {
        public const string Mesh = "output_mesh_identity";
        public const string Lips = "output_lips";
        public const string LeftEye = "output_left_eye";
        public const string RightEye = "output_right_eye";
        public const string LeftIris = "output_left_iris";
        public const string RightIris = "output_right_iris";
        public const string FaceFlag = "conv_faceflag";
    }

    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _input = new float[InputSize * InputSize * 3];
    private readonly float[] _mesh = new float[RefinedLandmarkAssembly.MeshCount * 3];
    private readonly float[] _lips = new float[RefinedLandmarkAssembly.Lips.Length * 2];
    private readonly float[] _leftEye = new float[RefinedLandmarkAssembly.LeftEye.Length * 2];
    private readonly float[] _rightEye = new float[RefinedLandmarkAssembly.RightEye.Length * 2];
    private readonly float[] _leftIris = new float[RefinedLandmarkAssembly.IrisCount * 2];
    private readonly float[] _rightIris = new float[RefinedLandmarkAssembly.IrisCount * 2];
    private readonly float[] _flag = new float[1];
    private readonly float[] _refined = new float[LandmarkCount * 3];
    private readonly List<OrtValue> _values = [];

    public RefinedFaceLandmarker(string modelPath, InferenceSettings? settings = null)
    {
        (_session, ExecutionProvider) = OnnxSessions.Create(modelPath, settings ?? InferenceSettings.Default);
        try
        {
            var input = _session.InputMetadata.Single();
            _binding = _session.CreateIoBinding();
            _binding.BindInput(input.Key, Value(_input, [1, InputSize, InputSize, 3]));
            foreach (var (name, buffer) in new[]
            {
                (Outputs.Mesh, _mesh), (Outputs.Lips, _lips), (Outputs.LeftEye, _leftEye), (Outputs.RightEye, _rightEye),
                (Outputs.LeftIris, _leftIris), (Outputs.RightIris, _rightIris), (Outputs.FaceFlag, _flag),
            })
            {
                if (!_session.OutputMetadata.TryGetValue(name, out var meta))
                {
                    throw new InvalidDataException($"{modelPath} has no output '{name}': not face_landmark_with_attention converted by the importer.");
                }

                var shape = Array.ConvertAll(meta.Dimensions, d => (long)Math.Max(1, d));
                if (shape.Aggregate(1L, (a, d) => a * d) != buffer.Length)
                {
                    throw new InvalidDataException($"{modelPath}: output '{name}' has shape [{string.Join(",", shape)}], expected {buffer.Length} values.");
                }

                _binding.BindOutput(name, Value(buffer, shape));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ExecutionProvider { get; }

    /// <summary>The bound input tensor (NHWC, [0, 1]).</summary>
    public Span<float> InputTensor => _input;

    public FaceLandmarks Run(ReadOnlySpan<byte> rgb24, int width, int height, RotatedRect roi)
    {
        PrepareInput(rgb24, width, height, roi);
        RunRaw();
        return Decode(roi, width, height);
    }

    public void PrepareInput(ReadOnlySpan<byte> rgb24, int width, int height, RotatedRect roi) =>
        RoiCrop.Sample(rgb24, width, height, roi, InputSize, _input);

    /// <summary>Only the session run, on the bound input.</summary>
    public void RunRaw() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>The 478 points of the last run, projected from the crop to the frame.</summary>
    public FaceLandmarks Decode(RotatedRect roi, int width, int height)
    {
        RefinedLandmarkAssembly.Assemble(_mesh, _lips, _leftEye, _rightEye, _leftIris, _rightIris, _refined);
        var points = new Landmark[LandmarkCount];
        for (var i = 0; i < LandmarkCount; i++)
        {
            points[i] = RoiCrop.ToImage(_refined[3 * i], _refined[(3 * i) + 1], _refined[(3 * i) + 2], roi, InputSize, width, height);
        }

        return new FaceLandmarks(points, 1f / (1f + MathF.Exp(-_flag[0])), roi);
    }

    public void Dispose()
    {
        _binding?.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }

    private OrtValue Value(float[] buffer, long[] shape)
    {
        var value = OrtValue.CreateTensorValueFromMemory(buffer, shape);
        _values.Add(value);
        return value;
    }
}
