using System.Diagnostics;
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

/// <summary>
/// Creates ONNX Runtime sessions: CUDA execution provider when present and working, CPU otherwise. Every session opened
/// is reported on the diagnostic listener <see cref="OnnxSessionEvents.ListenerName"/> (the services log it: which
/// provider each model got, and why not CUDA when it was asked for).
/// </summary>
public static class OnnxSessions
{
    public const string CudaExecutionProvider = "CUDAExecutionProvider";
    public const string CpuExecutionProvider = "CPUExecutionProvider";

    private static readonly DiagnosticListener Events = new(OnnxSessionEvents.ListenerName);

    public static (InferenceSession Session, string Provider) Create(string modelPath, InferenceSettings settings)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model missing: {modelPath}. Run scripts/fetch-models.sh (scripts/setup.sh does) to produce it.", modelPath);
        }

        string? cudaProblem = null;
        if (!settings.PreferCuda)
        {
            cudaProblem = "CUDA not asked for";
        }
        else if (Array.IndexOf(OrtEnv.Instance().GetAvailableProviders(), CudaExecutionProvider) < 0)
        {
            cudaProblem = "this ONNX Runtime build has no CUDA execution provider (the CPU build; GPU images are built with -p:GpuBuild=true)";
        }
        else
        {
            SessionOptions? cudaOptions = null;
            try
            {
                cudaOptions = CreateOptions(settings);
                cudaOptions.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
                return Opened(modelPath, new InferenceSession(modelPath, cudaOptions), CudaExecutionProvider, null);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                // The build lists CUDA but its libraries or a device are missing: CPU, and the reason is reported.
                cudaProblem = $"CUDA failed: {ex.GetType().Name}: {ex.Message}";
            }
            finally
            {
                cudaOptions?.Dispose();
            }
        }

        using var cpuOptions = CreateOptions(settings);
        return Opened(modelPath, new InferenceSession(modelPath, cpuOptions), CpuExecutionProvider, cudaProblem);
    }

    private static (InferenceSession Session, string Provider) Opened(string model, InferenceSession session, string provider, string? cudaProblem)
    {
        OnnxSessionEvents.Report(Events, Path.GetFileName(model), provider, cudaProblem);
        return (session, provider);
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
