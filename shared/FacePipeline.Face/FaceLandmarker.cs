using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Face;

/// <summary>468 face landmarks in image pixels and the model's confidence that a face is in the crop.</summary>
public sealed record FaceLandmarks(Landmark[] Points, float FaceScore, RotatedRect Roi);

/// <summary>
/// MediaPipe's face landmark model (face_landmark.tflite converted by the project's importer) on
/// ONNX Runtime: crops the ROI to 192x192 in [0, 1], runs the model, projects the 468 points back
/// to the frame. One session per instance, reused; input and outputs are pre-bound buffers, so a
/// frame allocates only its result. Not thread-safe: one instance per worker thread.
/// </summary>
public sealed class FaceLandmarker : IDisposable
{
    public const int InputSize = 192;
    public const int LandmarkCount = 468;

    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _input = new float[InputSize * InputSize * 3];
    private readonly float[] _landmarks = new float[LandmarkCount * 3];
    private readonly float[] _flag = new float[1];
    private readonly OrtValue _inputValue;
    private readonly OrtValue _landmarksValue;
    private readonly OrtValue _flagValue;

    public FaceLandmarker(string modelPath, InferenceSettings? settings = null)
    {
        (_session, ExecutionProvider) = OnnxSessions.Create(modelPath, settings ?? InferenceSettings.Default);
        var input = _session.InputMetadata.Single();
        var outputs = _session.OutputMetadata.ToDictionary(o => o.Key, o => o.Value.Dimensions.Aggregate(1L, (a, d) => a * Math.Max(1, d)));
        var landmarksName = outputs.Single(o => o.Value == LandmarkCount * 3).Key;
        var flagName = outputs.Single(o => o.Value == 1).Key;
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, InputSize, InputSize, 3]);
        _landmarksValue = OrtValue.CreateTensorValueFromMemory(_landmarks, Array.ConvertAll(_session.OutputMetadata[landmarksName].Dimensions, d => (long)Math.Max(1, d)));
        _flagValue = OrtValue.CreateTensorValueFromMemory(_flag, Array.ConvertAll(_session.OutputMetadata[flagName].Dimensions, d => (long)Math.Max(1, d)));
        _binding = _session.CreateIoBinding();
        _binding.BindInput(input.Key, _inputValue);
        _binding.BindOutput(landmarksName, _landmarksValue);
        _binding.BindOutput(flagName, _flagValue);
    }

    public string ExecutionProvider { get; }

    /// <summary>The bound input tensor (NHWC, [0, 1]), for benchmarks that time inference alone.</summary>
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

    public FaceLandmarks Decode(RotatedRect roi, int width, int height)
    {
        var points = new Landmark[LandmarkCount];
        for (var i = 0; i < LandmarkCount; i++)
        {
            points[i] = RoiCrop.ToImage(_landmarks[3 * i], _landmarks[(3 * i) + 1], _landmarks[(3 * i) + 2], roi, InputSize, width, height);
        }

        return new FaceLandmarks(points, 1f / (1f + MathF.Exp(-_flag[0])), roi);
    }

    public void Dispose()
    {
        _binding.Dispose();
        _inputValue.Dispose();
        _landmarksValue.Dispose();
        _flagValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
