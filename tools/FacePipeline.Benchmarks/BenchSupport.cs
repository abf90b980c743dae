using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace FacePipeline.Benchmarks;

/// <summary>Median, mean and minimum of a set of samples.</summary>
internal readonly record struct Summary(double Median, double Mean, double Min, int Count)
{
    public static Summary Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No samples.", nameof(samples));
        }

        var sorted = samples.Order().ToArray();
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Summary(median, sorted.Average(), sorted[0], sorted.Length);
    }
}

/// <summary>Where things are: the repository, the models, the footage, a scratch folder.</summary>
internal static class BenchPaths
{
    /// <summary>The repository this program runs from (the folder holding FacePipeline.sln), or null.</summary>
    public static string? RepoRoot { get; } = FindRepoRoot();

    /// <summary>${FACEPIPE_MODELS:-&lt;repo&gt;/.data/models}/blazeface/face_detection_short_range.onnx.</summary>
    public static string BlazeFaceModel()
    {
        var root = Environment.GetEnvironmentVariable("FACEPIPE_MODELS") is { Length: > 0 } env
            ? env
            : Path.Combine(RepoRoot ?? Environment.CurrentDirectory, ".data", "models");
        var path = Path.GetFullPath(Path.Combine(root, "blazeface", "face_detection_short_range.onnx"));
        return File.Exists(path)
            ? path
            : throw new BenchException($"BlazeFace model missing: {path}. Run scripts/fetch-models.sh first.");
    }

    /// <summary>The shared footage: &lt;repo&gt;/../shared/assets/media.</summary>
    public static string DefaultMediaDirectory() =>
        Path.GetFullPath(Path.Combine(RepoRoot ?? Environment.CurrentDirectory, "..", "shared", "assets", "media"));

    /// <summary>
    /// Scratch space for chunk files: &lt;repo&gt;/.data/bench-tmp (where the pipeline keeps its runtime data;
    /// git-ignored), else the system temp folder.
    /// </summary>
    public static string DefaultWorkDirectory() =>
        RepoRoot is null ? Path.Combine(Path.GetTempPath(), "facepipe-bench") : Path.Combine(RepoRoot, ".data", "bench-tmp");

    /// <summary>A fresh, uniquely named folder under <paramref name="parent"/>.</summary>
    public static string CreateScratch(string parent, string prefix)
    {
        var path = Path.Combine(Path.GetFullPath(parent), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The mount point holding <paramref name="path"/> (to show that scratch and footage share a disk).</summary>
    public static string MountPointOf(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            // Longest mount point that contains the path (/proc/mounts escapes spaces as \040).
            return File.ReadLines("/proc/mounts")
                .Select(line => line.Split(' '))
                .Where(fields => fields.Length >= 3)
                .Select(fields => (Device: fields[0], Mount: fields[1].Replace("\\040", " ", StringComparison.Ordinal)))
                .Where(m => full == m.Mount || full.StartsWith(m.Mount.TrimEnd('/') + "/", StringComparison.Ordinal))
                .OrderByDescending(m => m.Mount.Length)
                .Select(m => $"{m.Mount} ({m.Device})")
                .FirstOrDefault() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string? FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FacePipeline.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}

/// <summary>A benchmark cannot run (missing model, clip, ffmpeg failure...): reported as one line, exit code 1.</summary>
internal sealed class BenchException(string message) : Exception(message);

/// <summary>CPU time of this benchmark process and of the children it has reaped (ffmpeg).</summary>
internal static class ProcessCpu
{
    /// <summary>The process's CPU seconds and its reaped children's (utime + stime, cutime + cstime of /proc/self/stat).</summary>
    public static (double Self, double Children) Seconds()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double Ticks(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture) / 100.0;
        return (Ticks(11) + Ticks(12), Ticks(13) + Ticks(14));
    }
}

/// <summary>Markdown and number formatting, invariant culture throughout.</summary>
internal static class Md
{
    /// <summary>What every benchmark prints first: the title, the command that produced it, the machine.</summary>
    public static void Header(string[] arguments)
    {
        Console.WriteLine("## FacePipeline benchmarks");
        Console.WriteLine();
        Console.WriteLine($"Command: `{Command(arguments)}`");
        Console.WriteLine();
        Console.WriteLine($"Machine: {MachineInfo.Describe()}");
        Console.WriteLine();
        Console.Out.Flush();
    }

    public static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Row(params string[] cells) => "| " + string.Join(" | ", cells) + " |";

    public static string Separator(int columns, params int[] rightAligned) =>
        "|" + string.Join("|", Enumerable.Range(0, columns).Select(i => rightAligned.Contains(i) ? "---:" : "---")) + "|";

    /// <summary>Quotes an argument for a shell command line when it needs it.</summary>
    public static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The command line of this tool for <paramref name="args"/>, as a person would type it.</summary>
    public static string Command(params string[] args) => "facepipe-bench " + string.Join(' ', args.Select(ShellQuote));
}

/// <summary>The machine the figures come from.</summary>
internal static class MachineInfo
{
    private static string? _ffmpeg;

    public static string Describe()
    {
        var cpu = CpuModel();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {FfmpegVersion()}, ONNX Runtime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    }

    public static string FfmpegVersion()
    {
        if (_ffmpeg is not null)
        {
            return _ffmpeg;
        }

        try
        {
            var psi = new ProcessStartInfo("ffmpeg", "-version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(psi) ?? throw new BenchException("ffmpeg did not start.");
            var first = process.StandardOutput.ReadLine() ?? "";
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var parts = first.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            _ffmpeg = parts.Length >= 3 ? $"ffmpeg {parts[2]}" : "ffmpeg ?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new BenchException("ffmpeg is not on PATH.");
        }

        return _ffmpeg;
    }

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
