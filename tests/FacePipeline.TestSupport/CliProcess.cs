using System.Diagnostics;

namespace FacePipeline.TestSupport;

/// <summary>What a run of the real facepipe process wrote and answered.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string Everything => Output + Error;
}

/// <summary>
/// Runs the built facepipe (facepipe.dll beside the tests: the test project references tools/FacePipeline.Cli) as a
/// process, output redirected as in a script.
/// </summary>
public static class CliProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "facepipe.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Only what the test gives: no key or database from the machine running the tests.
        start.Environment.Remove("FACEPIPE_API_KEY");
        start.Environment.Remove("FACEPIPE_UPLOAD_STATE");
        start.Environment.Remove("ConnectionStrings__Jobs");
        start.Environment.Remove("FACEPIPE_API");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"facepipe {string.Join(' ', args)} did not exit within {Timeout}.");
        }

        return new CliRun(process.ExitCode, await output, await error);
    }
}
