using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Face;

/// <summary>
/// A 128-d identity descriptor of a face, to check that a retargeted result still looks like the
/// target actor: face-api's FaceRecognitionNet (npm @vladmandic/face-api@1.7.15, dlib's
/// face-recognition ResNet weights) imported to ONNX by <c>facepipe-import import-face-api</c>
/// (scripts/fetch-identity-model.sh), on ONNX Runtime. The face is cut as an aligned 150x150 chip
/// from MediaPipe's 468 landmarks (<see cref="FaceIdentityChip"/>); descriptors are compared with
/// <see cref="Distance"/> (Euclidean; dlib's same-person threshold is <see cref="SamePersonThreshold"/>).
/// One session per instance; not thread-safe: one instance per worker thread.
/// </summary>
public sealed class FaceIdentityEmbedder : IDisposable
{
    public const int ChipSize = FaceIdentityChip.Size;
    public const int DescriptorLength = 128;

    /// <summary>dlib's threshold: two descriptors closer than this are the same person (99.38% on LFW with dlib's own chips).</summary>
    public const float SamePersonThreshold = 0.6f;

    /// <summary>Where scripts/fetch-identity-model.sh puts the model, relative to the models folder.</summary>
    public const string ModelRelativePath = "face-api/face_recognition.onnx";

    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _input = new float[ChipSize * ChipSize * 3];
    private readonly float[] _output = new float[DescriptorLength];
    private readonly byte[] _chip = new byte[ChipSize * ChipSize * 3];
    private readonly OrtValue _inputValue;
    private readonly OrtValue _outputValue;

    public FaceIdentityEmbedder(string modelPath, InferenceSettings? settings = null)
    {
        (_session, ExecutionProvider) = OnnxSessions.Create(modelPath, settings ?? InferenceSettings.Default);
        var input = _session.InputMetadata.Single();
        var output = _session.OutputMetadata.Single();
        if (output.Value.Dimensions[^1] != DescriptorLength)
        {
            throw new InvalidDataException($"{modelPath}: output '{output.Key}' is [{string.Join(",", output.Value.Dimensions)}], expected [N,{DescriptorLength}].");
        }

        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, ChipSize, ChipSize, 3]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, [1, DescriptorLength]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(input.Key, _inputValue);
        _binding.BindOutput(output.Key, _outputValue);
    }

    /// <summary>The model under a models folder (default <c>&lt;repo&gt;/.data/models</c>).</summary>
    public static string ModelPath(string modelsDir) => Path.Combine(modelsDir, ModelRelativePath);

    public string ExecutionProvider { get; }

    /// <summary>The chip of the last <see cref="Embed"/> call (150x150 RGB24), for inspection.</summary>
    public ReadOnlySpan<byte> LastChip => _chip;

    /// <summary>The descriptor of the face given by MediaPipe's 468 landmarks (pixels) in an RGB24 frame.</summary>
    public float[] Embed(ReadOnlySpan<byte> rgb24, int width, int height, ReadOnlySpan<Landmark> landmarks)
    {
        FaceIdentityChip.Cut(rgb24, width, height, landmarks, _chip);
        return EmbedChip(_chip);
    }

    /// <summary>The descriptor of an already aligned 150x150 RGB24 chip (what face-api's computeFaceDescriptor takes).</summary>
    public float[] EmbedChip(ReadOnlySpan<byte> chipRgb24)
    {
        if (chipRgb24.Length != _input.Length)
        {
            throw new ArgumentException($"A chip is {ChipSize}x{ChipSize} RGB24 ({_input.Length} bytes), got {chipRgb24.Length}.", nameof(chipRgb24));
        }

        for (var i = 0; i < _input.Length; i++)
        {
            _input[i] = chipRgb24[i];
        }

        _session.RunWithBinding(_runOptions, _binding);
        return (float[])_output.Clone();
    }

    /// <summary>Euclidean distance between two descriptors (face-api's euclideanDistance, dlib's length(a - b)).</summary>
    public static float Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Descriptors of different lengths ({a.Length}, {b.Length}).", nameof(b));
        }

        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }

        return (float)Math.Sqrt(sum);
    }

    /// <summary>Whether two descriptors are closer than dlib's <see cref="SamePersonThreshold"/>.</summary>
    public static bool IsSamePerson(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Distance(a, b) < SamePersonThreshold;

    public void Dispose()
    {
        _binding.Dispose();
        _inputValue.Dispose();
        _outputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
