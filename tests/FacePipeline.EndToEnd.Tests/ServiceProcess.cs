using System.Diagnostics;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>One FacePipeline service running as its own process, as in production.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _logPath;
    private Process? _process;

    public ServiceProcess(string name, int port, IReadOnlyDictionary<string, string> environment, string logFolder)
    {
        Name = name;
        Port = port;
        _environment = environment;
        _logPath = Path.Combine(logFolder, $"{name}.log");
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public static string Dll(string name)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return RepoPaths.RequireFile(Path.Combine(RepoPaths.RepoRoot, "services", name, "bin", configuration, "net10.0", $"FacePipeline.{name}.dll"));
    }

    public void Start()
    {
        var info = new ProcessStartInfo("dotnet", [Dll(Name)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        var log = new StreamWriter(_logPath, append: true) { AutoFlush = true };
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Name}.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until /health/ready answers 200 (database, broker and media store reachable).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.UntilAsync(async () =>
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {Tail()}");
            }

            try
            {
                return (await http.GetAsync("health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, timeout, $"{Name} ready");
    }

    /// <summary>Kills the process at once (SIGKILL): no graceful shutdown, messages in flight are unacknowledged.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Asks the process to stop (SIGTERM, as Kubernetes and docker do) and waits for it to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!)
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>Everything the service has logged so far.</summary>
    public string Log() => File.Exists(_logPath) ? File.ReadAllText(_logPath) : string.Empty;

    public string Tail(int lines = 30) =>
        File.Exists(_logPath) ? string.Join('\n', File.ReadLines(_logPath).TakeLast(lines)) : "(no log)";

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }
}

/// <summary>Waits on a condition (never a fixed sleep): polls until true or the timeout passes.</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0}s waiting for: {what}");
            }

            await Task.Delay(100);
        }
    }
}
