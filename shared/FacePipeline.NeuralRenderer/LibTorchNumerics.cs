using System.Runtime.InteropServices;
using TorchSharp;

namespace FacePipeline.NeuralRenderer;

/// <summary>How libtorch's CPU convolutions run in this process, and why (<see cref="LibTorchNumerics.Decision"/>).</summary>
/// <param name="OneDnn">Whether libtorch may send CPU convolutions to oneDNN (MKLDNN).</param>
/// <param name="Reason">One sentence: what was measured.</param>
/// <param name="OneDnnCases">The convolution checks with oneDNN on (empty when it was not tried).</param>
/// <param name="AtenCases">The convolution checks on ATen's own kernels (empty when oneDNN passed).</param>
public sealed record LibTorchNumericsDecision(bool OneDnn, string Reason, IReadOnlyList<TorchSelfCheckCase> OneDnnCases, IReadOnlyList<TorchSelfCheckCase> AtenCases)
{
    /// <summary>The kernels in use compute right.</summary>
    public bool Sound => OneDnn ? OneDnnCases.All(c => c.Passed) : AtenCases.All(c => c.Passed);
}

/// <summary>
/// Chooses, once per process and before any network is built, the CPU convolution kernels libtorch uses: oneDNN
/// (libtorch's default, several times faster on a CPU) when it computes right on this machine, else ATen's own kernels
/// (im2col + BLAS).
/// <para>
/// Why (issue 12, docs/neural-renderer-numerics.md): libtorch 2.10.0's CPU build bundles oneDNN 3.7.1, whose f32 direct
/// convolutions returned wrong values, at times NaN, on an AMD EPYC (family 26, AVX-512) virtual machine whenever the input
/// channel count was above one SIMD block and not a multiple of it (the blocked layout then carries padded channels):
/// e.g. 2×20×48×80 → 4 planes, 3×3, off by 0.49; 1×24×12×20 → 48 planes, 4×4 stride 2, off by 0.84 (2e-6 on ATen's
/// kernels, in float64, and on ONNX Runtime). The same machine answers zeros to the CPUID cache-topology leaves, which
/// oneDNN sizes its blocking by. libtorch sends a convolution to oneDNN only above a size threshold, so small tests passed
/// while the generator's deeper levels, and training, broke.
/// </para>
/// The choice is measured, not assumed: <see cref="TorchSelfCheck"/>'s convolution cases (forward, both gradients,
/// transposed, on the shapes that broke) run against a double-precision loop with oneDNN on; if any is off, oneDNN is
/// switched off (<c>at::Context::setUserEnabledMkldnn</c>, what PyTorch's <c>torch.backends.mkldnn.enabled = False</c>
/// sets; TorchSharp 0.107 does not expose it, so it is called through libtorch_cpu's exported symbol) and the cases run
/// again on ATen's kernels. <c>FACEPIPE_TORCH_ONEDNN=off</c> skips the trial and keeps oneDNN off.
/// </summary>
public static partial class LibTorchNumerics
{
    /// <summary>Environment variable: <c>auto</c> (default: oneDNN when it passes the checks) or <c>off</c>.</summary>
    public const string SettingVariable = "FACEPIPE_TORCH_ONEDNN";

    private const string LibTorchCpu = "libtorch_cpu";
    private static readonly Lazy<LibTorchNumericsDecision> Chosen = new(Choose, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Makes (once) and applies the choice; every network constructor of this library calls it.</summary>
    public static void Apply() => _ = Chosen.Value;

    /// <summary>The choice made for this process (making it if not yet made).</summary>
    public static LibTorchNumericsDecision Decision => Chosen.Value;

    /// <summary>Whether libtorch may send CPU operators to oneDNN now.</summary>
    public static bool OneDnnEnabled
    {
        get
        {
            EnsureLoaded();
            return UserEnabledMkldnn(GlobalContext());
        }
    }

    /// <summary>
    /// Sets libtorch's oneDNN switch directly. Only for diagnostics and the reproduction in <c>facepipe-bench
    /// neural-numerics</c>; the project's code runs with <see cref="Decision"/>.
    /// </summary>
    public static void SetOneDnn(bool enabled)
    {
        EnsureLoaded();
        var context = GlobalContext();
        SetUserEnabledMkldnn(context, enabled);

        // Without oneDNN, libtorch would try NNPACK for some stride-1 convolutions (and warn once per thread where NNPACK
        // does not initialise); ATen's im2col + BLAS is then the one path, the path the checks measure.
        SetUserEnabledNnpack(context, enabled);
    }

    private static LibTorchNumericsDecision Choose()
    {
        var setting = Environment.GetEnvironmentVariable(SettingVariable)?.Trim().ToLowerInvariant();
        if (setting is "off")
        {
            SetOneDnn(false);
            return new LibTorchNumericsDecision(false, $"oneDNN off ({SettingVariable}=off).", [], TorchSelfCheck.Convolutions(torch.CPU));
        }

        SetOneDnn(true);
        var oneDnn = TorchSelfCheck.Convolutions(torch.CPU);
        if (oneDnn.All(c => c.Passed))
        {
            return new LibTorchNumericsDecision(true, "oneDNN on: its convolutions passed the checks on this machine.", oneDnn, []);
        }

        SetOneDnn(false);
        var aten = TorchSelfCheck.Convolutions(torch.CPU);
        var worst = oneDnn.Where(c => !c.Passed).MaxBy(c => double.IsNaN(c.MaxError) ? double.PositiveInfinity : c.MaxError)!;
        return new LibTorchNumericsDecision(
            false,
            $"oneDNN off: on this machine its {worst.Name} was off by {worst.MaxError:E1} ({oneDnn.Count(c => !c.Passed)} of {oneDnn.Count} checks failed); ATen's own kernels are used.",
            oneDnn,
            aten);
    }

    /// <summary>TorchSharp loads libtorch on its first call; the symbols below resolve against that library.</summary>
    private static void EnsureLoaded() => _ = torch.get_num_threads();

    // at::globalContext() returns at::Context&; the member functions take it as their first (this) argument.
    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledMkldnn(IntPtr context);
}
