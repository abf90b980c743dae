using System.Diagnostics;
using System.Reflection;

namespace FacePipeline.Deploy.Tests;

/// <summary>
/// The GPU build option (<c>-p:GpuBuild=true</c>, the GPU images) restores and compiles here, without a GPU: the Rendering
/// service (which reaches ONNX Runtime through both the face models and the neural renderer's runtime) builds against
/// ONNX Runtime's CUDA package, into a folder of its own so the CPU build is untouched.
/// </summary>
public sealed class GpuBuildTests
{
    private const string OnnxRuntimeVersion = "1.32.0.0";

    [Fact]
    public async Task The_GPU_build_restores_and_compiles_with_onnx_runtimes_cuda_provider()
    {
        var artifacts = Path.Combine(RepoFacts.Root, ".data", "gpu-build"); // kept between runs: incremental on a warm machine
        var info = new ProcessStartInfo("dotnet", ["build", Path.Combine(RepoFacts.Root, "services", "Rendering", "Rendering.csproj"), "-c", "Release", "-p:GpuBuild=true", "--artifacts-path", artifacts, "-nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoFacts.Root,
        };
        using var build = Process.Start(info)!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        Assert.True(build.ExitCode == 0, $"dotnet build -p:GpuBuild=true failed:\n{await output}\n{await errors}");

        var bin = Path.Combine(artifacts, "bin", "Rendering", "release");
        Assert.True(File.Exists(Path.Combine(bin, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so")), "the CUDA execution provider is in the GPU build's output");
        Assert.Equal(Version.Parse(OnnxRuntimeVersion), AssemblyName.GetAssemblyName(Path.Combine(bin, "Microsoft.ML.OnnxRuntime.dll")).Version);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_CPU_build_uses_the_same_onnx_runtime_version()
    {
        var cpu = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version;
        Assert.Equal(Version.Parse(OnnxRuntimeVersion), cpu);
    }
}
