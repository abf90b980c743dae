using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Face;

/// <summary>
/// MediaPipe's short-range BlazeFace face detector on ONNX Runtime: letterbox to the model's
/// 128x128 input, one inference, decoding against the SSD anchors, weighted non-maximum
/// suppression, and mapping back to image pixels.
/// </summary>
/// <remarks>
/// <para>One <see cref="InferenceSession"/> is created in the constructor and reused. The input
/// tensor and the output tensors are allocated once and bound to the session
/// (<see cref="OrtIoBinding"/>), so a frame costs one sampling pass over the 128x128 output
/// pixels, the inference, and the decoding of the few anchors that pass the score threshold.</para>
/// <para><b>Not thread-safe.</b> An instance owns one set of input/output buffers: use one detector
/// per thread, or serialise calls with a lock. The steps <see cref="PrepareInput"/>,
/// <see cref="RunRaw"/> and <see cref="DecodeOutputs"/> share those buffers too.</para>
/// </remarks>
public sealed class BlazeFaceDetector : IDisposable
{
    public const string CudaExecutionProvider = OnnxSessions.CudaExecutionProvider;
    public const string CpuExecutionProvider = OnnxSessions.CpuExecutionProvider;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly OrtIoBinding _binding;
    private readonly float[] _input;
    private readonly OrtValue _inputValue;
    private readonly OutputBlock[] _blocks;
    private readonly BlazeFaceDecoder _decoder;
    private readonly WeightedNonMaxSuppression _nms;
    private readonly List<NormalizedDetection> _decoded = [];
    private LetterboxTransform? _letterbox;
    private bool _disposed;

    /// <param name="modelPath">The ONNX model (scripts/fetch-models.sh puts it in .data/models/blazeface/).</param>
    /// <param name="options">Thresholds and runtime settings; MediaPipe's defaults when null.</param>
    public BlazeFaceDetector(string modelPath, FaceDetectorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"BlazeFace model not found at {modelPath}. Run scripts/fetch-models.sh to fetch it.", modelPath);
        }

        Options = options ?? FaceDetectorOptions.Default;
        ModelPath = modelPath;
        (_session, ExecutionProvider) = CreateSession(modelPath, Options);
        try
        {
            (InputName, InputHeight, InputWidth) = ReadInput(_session);
            var anchors = SsdAnchors.Generate(Options.Anchors with { InputWidth = InputWidth, InputHeight = InputHeight });
            _decoder = new BlazeFaceDecoder(anchors, Options.MinScore, Options.ScoreClippingThreshold, InputWidth, InputHeight, InputWidth, InputHeight);
            _nms = new WeightedNonMaxSuppression(Options.MinSuppressionThreshold, Options.MaxFaces);

            _input = new float[InputHeight * InputWidth * 3];
            _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, InputHeight, InputWidth, 3]);
            _blocks = CreateOutputBlocks(_session, anchors.Length, SsdAnchors.FeatureMapSizes(Options.Anchors with { InputWidth = InputWidth, InputHeight = InputHeight }));
            OutputNames = [.. _session.OutputNames];

            _runOptions = new RunOptions();
            _binding = _session.CreateIoBinding();
            _binding.BindInput(InputName, _inputValue);
            foreach (var block in _blocks)
            {
                _binding.BindOutput(block.RegressorsName, block.RegressorsValue);
                _binding.BindOutput(block.ScoresName, block.ScoresValue);
            }
        }
        catch
        {
            DisposeBuffers();
            _session.Dispose();
            throw;
        }
    }

    public string ModelPath { get; }

    public FaceDetectorOptions Options { get; }

    /// <summary>The execution provider the session runs on: "CUDAExecutionProvider" or "CPUExecutionProvider".</summary>
    public string ExecutionProvider { get; }

    /// <summary>The model's input name ("input:0" for the BlazeFace ONNX from scripts/fetch-models.sh).</summary>
    public string InputName { get; }

    public IReadOnlyList<string> OutputNames { get; }

    public int InputWidth { get; }

    public int InputHeight { get; }

    /// <summary>The detector's own input tensor, NHWC [1, H, W, 3] in [-1, 1], bound to the session.</summary>
    public Span<float> InputTensor => _input;

    /// <summary>Finds the faces in a packed RGB24 frame (stride = width x 3), best score first, in pixels.</summary>
    public IReadOnlyList<FaceDetection> Detect(ReadOnlySpan<byte> rgb24, int width, int height)
    {
        var letterbox = PrepareInput(rgb24, width, height);
        RunRaw();
        var detections = DecodeOutputs();
        if (detections.Count == 0)
        {
            return [];
        }

        var faces = new FaceDetection[detections.Count];
        for (var i = 0; i < faces.Length; i++)
        {
            faces[i] = letterbox.ToImage(detections[i]);
        }

        return faces;
    }

    /// <summary>
    /// Step 1 of <see cref="Detect"/>: letterboxes the frame into <see cref="InputTensor"/>.
    /// Allocates nothing unless the frame size changed since the last call.
    /// </summary>
    /// <returns>The transform used, whose <see cref="LetterboxTransform.ToImage(NormalizedDetection)"/> maps detections back.</returns>
    public LetterboxTransform PrepareInput(ReadOnlySpan<byte> rgb24, int width, int height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var letterbox = _letterbox;
        if (letterbox is null || !letterbox.Matches(width, height, InputWidth, InputHeight))
        {
            letterbox = new LetterboxTransform(width, height, InputWidth, InputHeight);
            _letterbox = letterbox;
        }

        letterbox.Apply(rgb24, _input);
        return letterbox;
    }

    /// <summary>
    /// Step 2 of <see cref="Detect"/>: one inference on the current <see cref="InputTensor"/> into
    /// the detector's bound output tensors, nothing else (the figure to compare <see cref="Detect"/> with).
    /// </summary>
    public void RunRaw()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _session.RunWithBinding(_runOptions, _binding);
    }

    /// <summary>
    /// Step 3 of <see cref="Detect"/>: decodes the outputs of the last <see cref="RunRaw"/> and
    /// merges overlaps; coordinates normalised to the model input, best score first.
    /// </summary>
    public IReadOnlyList<NormalizedDetection> DecodeOutputs()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _decoded.Clear();
        foreach (var block in _blocks)
        {
            _decoder.Decode(block.Regressors, block.Scores, block.FirstAnchor, _decoded);
        }

        if (_decoded.Count == 0)
        {
            return [];
        }

        var result = _nms.Apply(_decoded);
        _decoded.Clear();
        return result;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DisposeBuffers();
        _session.Dispose();
    }

    private void DisposeBuffers()
    {
        _binding?.Dispose();
        _runOptions?.Dispose();
        _inputValue?.Dispose();
        if (_blocks is not null)
        {
            foreach (var block in _blocks)
            {
                block.RegressorsValue.Dispose();
                block.ScoresValue.Dispose();
            }
        }
    }

    private static (InferenceSession Session, string Provider) CreateSession(string modelPath, FaceDetectorOptions options) =>
        OnnxSessions.Create(modelPath, options.Inference);

    private static (string Name, int Height, int Width) ReadInput(InferenceSession session)
    {
        if (session.InputMetadata.Count != 1)
        {
            throw new InvalidDataException($"Expected a model with one input, found {session.InputMetadata.Count}.");
        }

        var (name, meta) = session.InputMetadata.First();
        var dims = meta.Dimensions;
        if (meta.ElementType != typeof(float) || dims.Length != 4 || dims[3] != 3 || dims[1] <= 0 || dims[2] <= 0)
        {
            throw new InvalidDataException($"Expected a float NHWC [1, H, W, 3] input, found {meta.ElementType.Name} [{string.Join(", ", dims)}] for '{name}'.");
        }

        return (name, dims[1], dims[2]);
    }

    private static OutputBlock[] CreateOutputBlocks(InferenceSession session, int anchorCount, int[] featureMapSizes)
    {
        var regressors = new Dictionary<int, string>();
        var scores = new Dictionary<int, string>();
        var shapes = new Dictionary<string, long[]>();
        foreach (var (name, meta) in session.OutputMetadata)
        {
            var dims = meta.Dimensions;
            var last = dims.Length >= 3 ? dims[^1] : 1;
            var count = dims.Length >= 2 ? dims[1] : -1;
            shapes[name] = Array.ConvertAll(dims, static d => d <= 0 ? 1L : d);
            var target = last == BlazeFaceDecoder.CoordsPerAnchor ? regressors : last == 1 ? scores : null;
            if (target is null || count <= 0 || !target.TryAdd(count, name))
            {
                throw new InvalidDataException($"Unexpected model output '{name}' [{string.Join(", ", dims)}]: expected [1, N, 16] regressors and [1, N, 1] scores.");
            }
        }

        var blocks = new List<OutputBlock>();
        var covered = 0;
        foreach (var (count, regressorsName) in regressors)
        {
            if (!scores.TryGetValue(count, out var scoresName))
            {
                throw new InvalidDataException($"Model output '{regressorsName}' has {count} anchors but no score output matches it.");
            }

            blocks.Add(new OutputBlock(regressorsName, shapes[regressorsName], scoresName, shapes[scoresName], FirstAnchorOf(count, anchorCount, featureMapSizes), count));
            covered += count;
        }

        if (covered != anchorCount || scores.Count != regressors.Count)
        {
            throw new InvalidDataException($"The model's outputs cover {covered} anchors; the anchor options give {anchorCount}.");
        }

        blocks.Sort(static (a, b) => a.FirstAnchor.CompareTo(b.FirstAnchor));
        return [.. blocks];
    }

    private static int FirstAnchorOf(int count, int anchorCount, int[] featureMapSizes)
    {
        if (count == anchorCount)
        {
            return 0;
        }

        var offset = 0;
        foreach (var size in featureMapSizes)
        {
            if (size == count)
            {
                return offset;
            }

            offset += size;
        }

        throw new InvalidDataException($"No feature map of the anchor options has {count} anchors (maps: {string.Join(", ", featureMapSizes)}).");
    }

    private sealed class OutputBlock
    {
        public OutputBlock(string regressorsName, long[] regressorsShape, string scoresName, long[] scoresShape, int firstAnchor, int count)
        {
            RegressorsName = regressorsName;
            ScoresName = scoresName;
            FirstAnchor = firstAnchor;
            Regressors = new float[count * BlazeFaceDecoder.CoordsPerAnchor];
            Scores = new float[count];
            RegressorsValue = OrtValue.CreateTensorValueFromMemory(Regressors, regressorsShape);
            ScoresValue = OrtValue.CreateTensorValueFromMemory(Scores, scoresShape);
        }

        public string RegressorsName { get; }

        public string ScoresName { get; }

        public int FirstAnchor { get; }

        public float[] Regressors { get; }

        public float[] Scores { get; }

        public OrtValue RegressorsValue { get; }

        public OrtValue ScoresValue { get; }
    }
}
