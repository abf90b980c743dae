using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Runs an exported generator (the training service's ONNX export (<see cref="GeneratorTensors"/>)) with ONNX Runtime: the CUDA execution provider
/// when this ONNX Runtime build offers it and it starts, the CPU otherwise. Input and output live in buffers of
/// <see cref="MaxBatch"/> frames bound once (no allocation per call): <see cref="Run"/> copies planes in and out,
/// <see cref="RunBound"/> runs on whatever the caller wrote into <see cref="Input"/>. Not thread-safe: one per worker.
/// </summary>
public sealed class GeneratorSession : IDisposable
{
    /// <summary>ONNX Runtime's CUDA provider name.</summary>
    public const string CudaExecutionProvider = "CUDAExecutionProvider";

    /// <summary>ONNX Runtime's CPU provider name.</summary>
    public const string CpuExecutionProvider = "CPUExecutionProvider";

    private static readonly System.Diagnostics.DiagnosticListener SessionEvents = new("FacePipeline.Onnx");

    private readonly InferenceSession session;
    private readonly RunOptions runOptions = new();
    private readonly float[] input;
    private readonly float[] output;
    private readonly Dictionary<int, (OrtValue In, OrtValue Out)> bound = [];

    /// <summary>Loads the model and allocates buffers for up to <paramref name="maxBatch"/> frames.</summary>
    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="maxBatch">Frames per run at most (a chunk's batch).</param>
    /// <param name="preferCuda">Use CUDA when offered.</param>
    /// <param name="intraOpThreads">0: ONNX Runtime's default.</param>
    public GeneratorSession(byte[] model, int maxBatch = 1, bool preferCuda = true, int intraOpThreads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        (session, Provider) = Create(model, preferCuda, intraOpThreads);
        var dims = session.InputMetadata[GeneratorTensors.Input].Dimensions;
        if (dims.Length != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0)
        {
            session.Dispose();
            throw new InvalidDataException($"Not a generator model: input '{GeneratorTensors.Input}' is [{string.Join(",", dims)}].");
        }

        (InputChannels, Height, Width, MaxBatch) = (dims[1], dims[2], dims[3], maxBatch);
        input = new float[maxBatch * InputChannels * Height * Width];
        output = new float[maxBatch * 3 * Height * Width];
    }

    /// <summary>The execution provider in use.</summary>
    public string Provider { get; }

    /// <summary>Input planes per frame.</summary>
    public int InputChannels { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Frames per run at most.</summary>
    public int MaxBatch { get; }

    /// <summary>The bound input: frame after frame, InputChannels×H×W planes in [0, 1].</summary>
    public Span<float> Input => input;

    /// <summary>The bound output: frame after frame, 3×H×W RGB planes in [0, 1].</summary>
    public ReadOnlySpan<float> Output => output;

    /// <summary>Renders <paramref name="count"/> frames: copies <paramref name="frames"/> in, runs, copies the RGB planes to <paramref name="rgb"/>.</summary>
    public void Run(ReadOnlySpan<float> frames, int count, Span<float> rgb)
    {
        var inSize = count * InputChannels * Height * Width;
        var outSize = count * 3 * Height * Width;
        if (frames.Length < inSize || rgb.Length < outSize)
        {
            throw new ArgumentException($"{count} frames need {inSize} input and {outSize} output values.");
        }

        frames[..inSize].CopyTo(input);
        RunBound(count);
        output.AsSpan(0, outSize).CopyTo(rgb);
    }

    /// <summary>Runs the first <paramref name="count"/> frames of <see cref="Input"/> into <see cref="Output"/>.</summary>
    public void RunBound(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxBatch);
        if (!bound.TryGetValue(count, out var values))
        {
            values = (
                OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, count * InputChannels * Height * Width), [count, InputChannels, Height, Width]),
                OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, count * 3 * Height * Width), [count, 3, Height, Width]));
            bound[count] = values;
        }

        session.Run(runOptions, [GeneratorTensors.Input], [values.In], [GeneratorTensors.Output], [values.Out]);
    }

    /// <summary>Planar RGB in [0, 1] (3×H×W) to interleaved RGB24, rounded and clamped.</summary>
    public static void ToRgb24(ReadOnlySpan<float> planes, int height, int width, Span<byte> rgb24)
    {
        var plane = height * width;
        if (planes.Length < 3 * plane || rgb24.Length < 3 * plane)
        {
            throw new ArgumentException("Buffers smaller than one 3×H×W image.");
        }

        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgb24[i * 3 + c] = (byte)Math.Clamp((int)MathF.Round(planes[c * plane + i] * 255f), 0, 255);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (i, o) in bound.Values)
        {
            i.Dispose();
            o.Dispose();
        }

        bound.Clear();
        runOptions.Dispose();
        session.Dispose();
    }

    private static (InferenceSession Session, string Provider) Create(byte[] model, bool preferCuda, int threads)
    {
        string? cudaProblem = !preferCuda ? "CUDA not asked for"
            : Array.IndexOf(OrtEnv.Instance().GetAvailableProviders(), CudaExecutionProvider) < 0 ? "this ONNX Runtime build has no CUDA execution provider (the CPU build; GPU images are built with -p:GpuBuild=true)"
            : null;
        if (cudaProblem is null)
        {
            using var cuda = Options(threads);
            try
            {
                cuda.AppendExecutionProvider_CUDA(0);
                return Opened(new InferenceSession(model, cuda), CudaExecutionProvider, null);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                // The build lists CUDA but its libraries or a device are missing: CPU, and the reason is reported.
                cudaProblem = $"CUDA failed: {ex.GetType().Name}: {ex.Message}";
            }
        }

        using var cpu = Options(threads);
        return Opened(new InferenceSession(model, cpu), CpuExecutionProvider, cudaProblem);
    }

    /// <summary>
    /// Reports the session on the diagnostic listener "FacePipeline.Onnx" (event "SessionOpened", payload
    /// (model, provider, CUDA problem)), as the face models' sessions are (FacePipeline.Face.OnnxSessionEvents).
    /// </summary>
    private static (InferenceSession Session, string Provider) Opened(InferenceSession session, string provider, string? cudaProblem)
    {
        if (SessionEvents.IsEnabled("SessionOpened"))
        {
            SessionEvents.Write("SessionOpened", ("generator.onnx", provider, cudaProblem));
        }

        return (session, provider);
    }

    private static SessionOptions Options(int threads)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (threads > 0)
        {
            options.IntraOpNumThreads = threads;
        }

        return options;
    }
}
