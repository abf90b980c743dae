using Microsoft.ML.OnnxRuntime;

namespace FacePipeline.Face;

/// <summary>How an ONNX Runtime session runs: threads, spinning, and whether CUDA may be used.</summary>
/// <param name="IntraOpNumThreads">0 = ONNX Runtime's default (one per physical core).</param>
/// <param name="AllowThreadSpinning">Spinning lowers latency but burns CPU other stages could use.</param>
/// <param name="PreferCuda">Use CUDA when this ONNX Runtime build offers it; CPU otherwise.</param>
public sealed record InferenceSettings(int IntraOpNumThreads = 0, bool AllowThreadSpinning = true, bool PreferCuda = true, int CudaDeviceId = 0)
{
    public static InferenceSettings Default { get; } = new();
}

/// <summary>Creates ONNX Runtime sessions: CUDA execution provider when present and working, CPU otherwise.</summary>
public static class OnnxSessions
{
    public const string CudaExecutionProvider = "CUDAExecutionProvider";
    public const string CpuExecutionProvider = "CPUExecutionProvider";

    public static (InferenceSession Session, string Provider) Create(string modelPath, InferenceSettings settings)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model missing: {modelPath}. Run scripts/fetch-models.sh (scripts/setup.sh does) to produce it.", modelPath);
        }

        if (settings.PreferCuda && Array.IndexOf(OrtEnv.Instance().GetAvailableProviders(), CudaExecutionProvider) >= 0)
        {
            SessionOptions? cudaOptions = null;
            try
            {
                cudaOptions = CreateOptions(settings);
                cudaOptions.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
                return (new InferenceSession(modelPath, cudaOptions), CudaExecutionProvider);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                // The build lists CUDA but its libraries or a device are missing: fall back to CPU.
            }
            finally
            {
                cudaOptions?.Dispose();
            }
        }

        using var cpuOptions = CreateOptions(settings);
        return (new InferenceSession(modelPath, cpuOptions), CpuExecutionProvider);
    }

    private static SessionOptions CreateOptions(InferenceSettings settings)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // Converted models can carry unused initialisers that ORT warns about on every load.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (settings.IntraOpNumThreads > 0)
        {
            so.IntraOpNumThreads = settings.IntraOpNumThreads;
        }

        if (!settings.AllowThreadSpinning)
        {
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return so;
    }
}
