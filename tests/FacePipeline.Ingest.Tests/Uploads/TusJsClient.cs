using System.Diagnostics;
using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>One request tus-js-client sent: its method, URL and Upload-Offset header (null when it had none).</summary>
public sealed record TusClientRequest(string Method, string Url, string? UploadOffset);

/// <summary>What a run of tus-js-client reported: the upload's URL, whether it completed, the bytes the server accepted, its requests.</summary>
public sealed record TusClientRun(string Url, bool Completed, long Offset, IReadOnlyList<TusClientRequest> Requests)
{
    /// <summary>The upload's id, the last segment of its URL.</summary>
    public Guid UploadId => Guid.Parse(Url.TrimEnd('/').Split('/')[^1]);
}

/// <summary>
/// The official tus client, tus-js-client 4.3.1, run in node by <c>tests/FacePipeline.Ingest.Tests/tus/upload.mjs</c>
/// (installed into <c>.data/tus-client</c> by scripts/setup.sh from the committed package.json and package-lock.json).
/// </summary>
public static class TusJsClient
{
    public static async Task<TusClientRun> UploadAsync(Uri endpoint, string apiKey, string file, params string[] options)
    {
        var script = RepoPaths.RequireFile(Path.Combine(RepoPaths.RepoRoot, "tests", "FacePipeline.Ingest.Tests", "tus", "upload.mjs"));
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--endpoint", endpoint.ToString(), "--key", apiKey, "--file", file }.Concat(options))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start (node and npm are installed by scripts/setup.sh).");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"upload.mjs ran over 2 minutes: {await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"upload.mjs failed ({process.ExitCode}); run scripts/setup.sh if tus-js-client is missing. {await stderr}");
        }

        return JsonSerializer.Deserialize<TusClientRun>(await stdout, IngestApiFixture.Json)
            ?? throw new InvalidOperationException($"upload.mjs printed nothing: {await stderr}");
    }
}
