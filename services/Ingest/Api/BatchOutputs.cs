using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using FacePipeline.Orchestration.Batches;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.AspNetCore.Http.Features;

namespace FacePipeline.Ingest.Api;

/// <summary>One shot in a batch's report (report.csv, report.json of outputs.zip).</summary>
/// <param name="Outputs">What the ZIP holds of the shot, as <c>&lt;shot&gt;/&lt;output&gt;</c>.</param>
/// <param name="Note">Why outputs are missing: deleted by retention (what the single output would answer with 410), or not completed.</param>
public sealed record ShotReport(string Shot, int Index, Guid JobId, string Kind, string State, string? FailureCode, string? FailureReason, IReadOnlyList<string> Outputs, string? Note);

/// <summary>
/// <c>GET /v1/batches/{id}/outputs.zip</c>: the completed shots' outputs as <c>&lt;shot&gt;/&lt;output name&gt;</c> in a ZIP
/// written straight to the response (no temporary file, no whole file in memory: each output is copied in 80 KiB
/// pieces), videos stored as they are (already compressed), the rest deflated; then <c>report.csv</c> and
/// <c>report.json</c> with every shot's state, failure and what is missing. Outputs deleted by retention are listed in
/// the report, not an error.
/// </summary>
public static class BatchOutputs
{
    public const string ReportCsv = "report.csv";
    public const string ReportJson = "report.json";

    public static async Task WriteZip(HttpContext http, Batch batch, IReadOnlyList<BatchShot> shots, MediaStore store, RetentionOptions retention)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(shots);
        ArgumentNullException.ThrowIfNull(store);
        var cancellationToken = http.RequestAborted;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/zip";
        response.Headers.ContentDisposition = $"attachment; filename=\"batch-{batch.Id:N}.zip\"";

        // ZipArchive still writes some records (an entry's data descriptor, the central directory) with synchronous calls.
        if (http.Features.Get<IHttpBodyControlFeature>() is { } body)
        {
            body.AllowSynchronousIO = true;
        }

        var reports = new List<ShotReport>();
        await using (var zip = await ZipArchive.CreateAsync(response.Body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8, cancellationToken))
        {
            foreach (var shot in shots)
            {
                reports.Add(await WriteShot(zip, shot, store, retention, cancellationToken));
            }

            await WriteText(zip, ReportCsv, Csv(reports), cancellationToken);
            await WriteText(zip, ReportJson, JsonSerializer.Serialize(reports, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }), cancellationToken);
        }

        await response.Body.FlushAsync(cancellationToken);
    }

    private static async Task<ShotReport> WriteShot(ZipArchive zip, BatchShot shot, MediaStore store, RetentionOptions retention, CancellationToken cancellationToken)
    {
        var job = shot.Job;
        var written = new List<string>();
        string? note = null;
        if (job.State != JobState.Completed)
        {
            note = job.IsTerminal ? null : "not ended yet: download again once the batch has ended";
        }
        else if (job.MediaDeletedAt is { } deleted)
        {
            note = $"outputs deleted by retention on {DeletionApi.When(deleted)} (Retention:JobMedia {retention.JobMedia.TotalDays.ToString(CultureInfo.InvariantCulture)} days after the job ended)";
        }
        else
        {
            var missing = new List<string>();
            foreach (var output in job.Outputs.OrderBy(o => o.Name, StringComparer.Ordinal))
            {
                if (!store.Exists(output.Key))
                {
                    missing.Add(output.Name);
                    continue;
                }

                var name = $"{shot.Name}/{output.Name}";
                var entry = zip.CreateEntry(name, IsVideo(output) ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                await using (var target = await entry.OpenAsync(cancellationToken))
                await using (var source = store.OpenRead(output.Key))
                {
                    await source.CopyToAsync(target, cancellationToken);
                }

                written.Add(name);
            }

            note = missing.Count == 0 ? null : $"missing from the media store: {string.Join(", ", missing)}";
        }

        return new ShotReport(shot.Name, shot.Index, job.Id, job.Kind, job.State.ToString().ToLowerInvariant(), job.FailureCode, job.FailureReason, written, note);
    }

    private static bool IsVideo(JobOutput output) =>
        output.ContentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) || Path.GetExtension(output.Name).ToLowerInvariant() is ".mp4" or ".mov" or ".mkv";

    private static async Task WriteText(ZipArchive zip, string name, string text, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        await using var stream = await entry.OpenAsync(cancellationToken);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>The report as CSV (RFC 4180: cells with a comma, quote or line break quoted).</summary>
    private static string Csv(IEnumerable<ShotReport> reports)
    {
        var csv = new StringBuilder("shot,index,jobId,kind,state,failureCode,failureReason,outputs,note\r\n");
        foreach (var r in reports)
        {
            string[] cells = [r.Shot, r.Index.ToString(CultureInfo.InvariantCulture), r.JobId.ToString(), r.Kind, r.State, r.FailureCode ?? string.Empty, r.FailureReason ?? string.Empty, string.Join(' ', r.Outputs), r.Note ?? string.Empty];
            csv.AppendJoin(',', cells.Select(Cell)).Append("\r\n");
        }

        return csv.ToString();

        static string Cell(string value) => value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
