using System.Diagnostics;
using System.Text.Json;

namespace FacePipeline.Deploy.Tests;

/// <summary>
/// The external programs the deployment tests run: kubectl (kustomize rendering, offline),
/// python3 with PyYAML (YAML to JSON) and docker-compose (validation without an engine). A
/// missing program fails the test with the package to install; nothing is skipped.
/// </summary>
internal static class Tools
{
    public const string InstallHint = "install it with scripts/infra.sh install (Debian packages: kubernetes-client or kubectl, python3-yaml, docker-compose)";

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string program, IEnumerable<string> arguments, string? stdin = null, string? workingDirectory = null)
    {
        var path = Find(program) ?? throw new InvalidOperationException($"'{program}' is not installed: {InstallHint}.");
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? TestSupport.RepoPaths.RepoRoot,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in 2 minutes.");
        }

        return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>The first executable named <paramref name="program"/> on PATH (or an absolute path).</summary>
    public static string? Find(string program)
    {
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program) ? program : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Debian's python3 first (python3-yaml is installed for it), then whatever python3 is on PATH.</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private const string YamlToJson =
        "import sys, json\n" +
        "try:\n    import yaml\n" +
        "except ImportError:\n    sys.exit('PyYAML is missing (Debian package python3-yaml)')\n" +
        "docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]\n" +
        "json.dump(docs, sys.stdout)\n";

    /// <summary>Every document of a YAML stream, as JSON (a parse error fails with python's message).</summary>
    public static IReadOnlyList<JsonElement> ParseYaml(string yaml, string what)
    {
        var result = Run(Python, ["-c", YamlToJson], stdin: yaml);
        Assert.True(result.ExitCode == 0, $"{what} does not parse as YAML: {result.Stderr}");
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>kubectl kustomize DIR (offline), parsed.</summary>
    public static IReadOnlyList<JsonElement> Kustomize(string directory)
    {
        var result = Run("kubectl", ["kustomize", directory]);
        Assert.True(result.ExitCode == 0, $"kubectl kustomize {directory} failed: {result.Stderr}");
        return ParseYaml(result.Stdout, $"kubectl kustomize {directory}");
    }
}
