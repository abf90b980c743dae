using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

namespace FacePipeline.Deploy.Tests;

/// <summary>
/// The services' built binaries (services/&lt;Name&gt;/bin/&lt;configuration&gt;/net10.0, which this project's references
/// build), started as processes with exactly the environment a test gives: the runner's own service settings
/// (<c>scripts/infra.sh env</c> exports some) are removed first.
/// </summary>
internal static partial class ServiceBinaries
{
    /// <summary>What a run printed and how it ended.</summary>
    /// <param name="ExitCode">The exit code; null when the process was still running at the deadline (then killed).</param>
    /// <param name="Output">Standard output and error.</param>
    public sealed record Run(int? ExitCode, string Output)
    {
        /// <summary>
        /// The start-up refusal's reasons (<see cref="StartupChecks.Reason"/>), or empty when there was none; read from the
        /// simple one-line format or from a JSON line (the containers' format: the event's <c>State.Reason</c>).
        /// </summary>
        public IReadOnlyList<string> Reasons =>
            (JsonRefusal() ?? (RefusalLine().Match(Output) is { Success: true } m ? m.Groups[1].Value.Trim() : null)) is { } reasons
                ? reasons.Split(StartupChecks.Separator, StringSplitOptions.TrimEntries)
                : [];

        /// <summary>The lines of <see cref="Output"/> that are JSON objects (the JSON console format writes one per event).</summary>
        public IReadOnlyList<System.Text.Json.JsonElement> JsonLines =>
            [.. Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{')).Select(ParseOrNull).OfType<System.Text.Json.JsonElement>()];

        private string? JsonRefusal() =>
            JsonLines
                .Where(e => e.TryGetProperty("Message", out var message) && message.GetString()!.Contains("refuses to start: ", StringComparison.Ordinal))
                .Select(e => e.GetProperty("State").GetProperty("Reason").GetString())
                .FirstOrDefault();

        private static System.Text.Json.JsonElement? ParseOrNull(string line)
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }

        /// <summary>The model files the refusal names as missing.</summary>
        public IReadOnlyList<string> MissingModels => [.. Reasons.Select(r => MissingModel().Match(r)).Where(m => m.Success).Select(m => m.Groups[1].Value)];
    }

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The service's dll.</summary>
    public static string Dll(string service)
    {
        var path = Path.Combine(RepoFacts.Root, "services", service, "bin", Configuration, "net10.0", $"FacePipeline.{service}.dll");
        Assert.True(File.Exists(path), $"{path} is not built (this project's references build it).");
        return path;
    }

    /// <summary>
    /// The runtime settings the service was built with: its runtimeconfig.json's <c>configProperties</c>, which every way
    /// of starting it reads (the images publish the file, the scripts run the dll beside it).
    /// </summary>
    public static (string Path, System.Text.Json.JsonElement Properties) RuntimeConfigProperties(string service)
    {
        var path = System.IO.Path.ChangeExtension(Dll(service), ".runtimeconfig.json");
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return (path, document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone());
    }

    /// <summary>
    /// Starts the service with <paramref name="environment"/> (and no other service setting), waits until it exits or
    /// <paramref name="until"/> appears in its output (then kills it) or <paramref name="timeout"/> passes.
    /// </summary>
    public static Run Start(string service, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string? until = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(Dll(service));
        foreach (var key in info.Environment.Keys.Where(IsServiceSetting).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var seen = new ManualResetEventSlim();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {service}.");
        void Read(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (until is not null && e.Data.Contains(until, StringComparison.Ordinal))
            {
                seen.Set();
            }
        }

        process.OutputDataReceived += Read;
        process.ErrorDataReceived += Read;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + timeout;
        while (!process.HasExited && !seen.IsSet && DateTime.UtcNow < deadline)
        {
            seen.Wait(TimeSpan.FromMilliseconds(100));
        }

        int? exitCode = null;
        if (process.HasExited)
        {
            process.WaitForExit(); // drains the output
            exitCode = process.ExitCode;
        }
        else
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        lock (output)
        {
            return new Run(exitCode, output.ToString());
        }
    }

    /// <summary>A folder with every model file a service may check for (one byte each: the checks look at presence, not content), less <paramref name="without"/>.</summary>
    public static string FakeModels(params Func<ModelPaths, IEnumerable<ModelFile>>[] without)
    {
        var root = TestSupport.RepoPaths.NewScratchFolder("models");
        var models = new ModelPaths(root);
        var left = without.SelectMany(w => w(models)).Select(m => m.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var file in AllModels(models).Where(m => !left.Contains(m.Path)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!);
            File.WriteAllBytes(file.Path, [1]);
        }

        return root;
    }

    /// <summary>Every model file <see cref="ModelPaths"/> describes.</summary>
    public static IEnumerable<ModelFile> AllModels(ModelPaths models) =>
        [models.FaceDetectorModel, models.FaceLandmarksModel, models.RefinedFaceLandmarksModel, models.FaceGeometryModel, models.IdentityModel, .. models.IctFaceModelFiles];

    // Hierarchical settings (Section__Key), the models fallback and the host environment: what a service reads.
    private static bool IsServiceSetting(string key) =>
        key.Contains("__", StringComparison.Ordinal)
        || key is "FACEPIPE_MODELS" or "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT" or "OTEL_EXPORTER_OTLP_ENDPOINT";

    [GeneratedRegex(@"refuses to start: (.*)$", RegexOptions.Multiline)]
    private static partial Regex RefusalLine();

    [GeneratedRegex(@"^Model missing: (\S+) \(")]
    private static partial Regex MissingModel();
}
