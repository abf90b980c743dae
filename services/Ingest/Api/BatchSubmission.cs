using System.Text;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Batches;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// <c>POST /v1/batches</c>: a manifest and the files it names in one multipart form. Every row is checked as the single-job
/// endpoint checks its form (<see cref="JobOrder.Check"/>), each problem prefixed with its row; then, all or nothing, one
/// transaction creates the batch and a job per shot. The form's files are stored once, under the batch's staging prefix,
/// and copied under each job's own prefix (a file named by three rows is three jobs' inputs), then the staging is deleted.
/// </summary>
public static class BatchSubmission
{
    /// <summary>The file part that carries the manifest.</summary>
    public const string ManifestPart = "manifest";

    /// <summary>The largest manifest read, in bytes (1000 rows of settings fit many times over).</summary>
    public const int MaxManifestBytes = 4 << 20;

    /// <summary>Problems listed in one refusal at most (the rest are counted).</summary>
    private const int MaxListedProblems = 20;

    /// <summary>The text fields of the form.</summary>
    public static readonly IReadOnlyList<string> Fields = ["name", "class", "priority", "paused"];

    private const string FilesSentence = "a 'manifest' file part (CSV or JSON) and one file part per file the manifest names";

    /// <summary>What the batch was created as, or the answer refusing it.</summary>
    public sealed record Outcome(IResult? Refusal, Batch? Batch);

    /// <summary>Reads, checks and creates the batch; whatever it stored is deleted unless the batch was created.</summary>
    public static async Task<Outcome> Create(
        HttpRequest request,
        MediaStore store,
        JobsDbContext db,
        JobSubmission submission,
        IEnumerable<string> kinds,
        StudioQuotas quotas,
        BatchOptions batchOptions,
        IngestOptions options,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(batchOptions);
        ArgumentNullException.ThrowIfNull(options);
        if (IngestApi.QueryRefusal(request) is { } misplaced)
        {
            return new Outcome(misplaced, null);
        }

        var tenantId = request.HttpContext.User.TenantId();
        var batchId = Guid.NewGuid();
        var staging = $"batches/{batchId:N}";
        var jobIds = new List<Guid>();
        Batch? created = null;
        try
        {
            var parts = 0;
            ClipUploadResult upload;
            try
            {
                upload = await ClipUpload.ReadAsync(
                    request, store, (_, ext) => $"{staging}/part-{++parts:D5}{ext}", Fields, options.MaxUploadBytes, cancellationToken, FilesSentence);
            }
            catch (UploadRejectedException ex)
            {
                return new Outcome(ApiProblems.Answer(ex.StatusCode, ex.Message), null);
            }

            var (placement, name, paused, formProblem) = Form(upload);
            if (formProblem is not null)
            {
                return new Outcome(ApiProblems.BadRequest(formProblem), null);
            }

            var (manifest, manifestRefusal) = await ReadManifest(upload, store, cancellationToken);
            if (manifestRefusal is not null)
            {
                return new Outcome(manifestRefusal, null);
            }

            var parsed = BatchManifest.Parse(manifest!.Text, manifest.FileName, JobRequests.JobFields, batchOptions.MaxShots);
            if (!parsed.Ok)
            {
                return new Outcome(Problems(parsed.Problems), null);
            }

            var (rows, problems) = await CheckRows(parsed.Shots, upload, tenantId, db, kinds, options.ChunkSize, cancellationToken);
            if (problems.Count > 0)
            {
                return new Outcome(Problems(problems), null);
            }

            var bytes = rows.Sum(r => r.Upload.Clips.Sum(c => c.Bytes));
            if (await quotas.Refusal(db, tenantId, new QuotaRequest(rows.Count, placement.Class == JobPriorityClass.Interactive, bytes), cancellationToken) is { } refusal)
            {
                return new Outcome(ApiProblems.TooManyRequests(refusal), null);
            }

            var batch = new Batch
            {
                Id = batchId,
                TenantId = tenantId,
                Name = name ?? manifest.FileName,
                PriorityClass = placement.Class,
                Priority = placement.Priority,
                Paused = paused,
                ShotCount = rows.Count,
                State = BatchState.Running,
                CreatedAt = clock.GetUtcNow(),
            };
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
            {
                db.Batches.Add(batch);
                foreach (var row in rows)
                {
                    var jobId = Guid.NewGuid();
                    jobIds.Add(jobId);
                    var own = row.Upload with
                    {
                        Clips = [.. row.Upload.Clips.Select(c => c with { StoredKey = JobInputCopies.Copy(store, c.StoredKey, jobId, c.Part == ClipInputs.Clip ? ClipNames.Source : c.Part) })],
                    };
                    await row.Order.Submit(submission, db, jobId, tenantId, own, cancellationToken, placement with { BatchId = batchId, ShotName = row.Shot.Shot, ShotIndex = row.Shot.Row });
                }

                await transaction.CommitAsync(cancellationToken);
            }

            created = batch;
            return new Outcome(null, batch);
        }
        finally
        {
            store.DeletePrefix(staging);
            if (created is null)
            {
                foreach (var jobId in jobIds)
                {
                    store.DeletePrefix(MediaKeys.JobPrefix(jobId)); // refused, or failed before the batch was recorded: nothing stays
                }
            }
        }
    }

    /// <summary>A checked row: its shot, its job order and its inputs as the single-job check saw them (the staged files or uploads).</summary>
    private sealed record CheckedRow(ManifestShot Shot, JobOrder Order, ClipUploadResult Upload);

    private sealed record Manifest(string FileName, string Text);

    /// <summary>The form's class, priority, name and paused fields.</summary>
    private static (JobPlacement Placement, string? Name, bool Paused, string? Problem) Form(ClipUploadResult upload)
    {
        var problems = new List<string>();
        var fields = upload.Fields;
        var (priorityClass, priority, placementProblem) = JobRequests.Placement(fields);
        if (placementProblem is not null)
        {
            problems.Add(placementProblem);
        }

        var paused = false;
        if (fields.TryGetValue("paused", out var pausedText) && !bool.TryParse(pausedText, out paused))
        {
            problems.Add($"paused must be true or false (got {ApiProblems.Quote(pausedText)}).");
        }

        var name = fields.GetValueOrDefault("name");
        if (name is { Length: > 200 })
        {
            problems.Add("name must be at most 200 characters.");
        }

        return (new JobPlacement(priorityClass ?? JobPriorityClass.Overnight, priority ?? 0), string.IsNullOrEmpty(name) ? null : name, paused, problems.Count == 0 ? null : string.Join(" ", problems));
    }

    /// <summary>The manifest part's text (UTF-8), or the refusal: missing, too large, a spreadsheet, or not text.</summary>
    private static async Task<(Manifest? Manifest, IResult? Refusal)> ReadManifest(ClipUploadResult upload, MediaStore store, CancellationToken cancellationToken)
    {
        var part = upload.Clip(ManifestPart);
        if (part is null)
        {
            return (null, ApiProblems.BadRequest("The request has no manifest: add it as a file part named 'manifest' (a .csv or .json file)."));
        }

        if (part.Bytes > MaxManifestBytes)
        {
            return (null, ApiProblems.Answer(StatusCodes.Status413PayloadTooLarge, $"The manifest is {part.Bytes} bytes, more than the {MaxManifestBytes >> 20} MiB a manifest may have: split the batch."));
        }

        var extension = Path.GetExtension(part.FileName).ToLowerInvariant();
        if (extension is ".xlsx" or ".xls" or ".ods" or ".numbers")
        {
            return (null, ApiProblems.Answer(StatusCodes.Status415UnsupportedMediaType, $"The manifest {ApiProblems.Quote(part.FileName)} is a spreadsheet: export it as CSV (UTF-8) and send that."));
        }

        var bytes = await File.ReadAllBytesAsync(store.PathFor(part.StoredKey), cancellationToken);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return (null, ApiProblems.Answer(StatusCodes.Status415UnsupportedMediaType, "The manifest is not UTF-8 text: send it as CSV or JSON in UTF-8."));
        }

        return text.Contains('\0', StringComparison.Ordinal)
            ? (null, ApiProblems.Answer(StatusCodes.Status415UnsupportedMediaType, "The manifest is a binary file, not text: send it as CSV or JSON in UTF-8."))
            : (new Manifest(part.FileName, text), null);
    }

    /// <summary>
    /// Each shot's inputs found (a file part by its file name, or a completed upload of the studio) and its fields checked
    /// as the single-job endpoint checks them; every problem prefixed with its row. A file part no row names is refused too.
    /// </summary>
    private static async Task<(List<CheckedRow> Rows, List<string> Problems)> CheckRows(
        IReadOnlyList<ManifestShot> shots, ClipUploadResult upload, Guid tenantId, JobsDbContext db, IEnumerable<string> kinds, int chunkSize, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var files = upload.Clips.Where(c => c.Part != ManifestPart).ToList();
        foreach (var twice in files.GroupBy(f => f.FileName, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{twice.Count()} file parts are named {ApiProblems.Quote(twice.Key)}: give each file its own name.");
        }

        var byName = files.DistinctBy(f => f.FileName, StringComparer.Ordinal).ToDictionary(f => f.FileName, StringComparer.Ordinal);
        var uploadIds = shots.SelectMany(s => s.Inputs.Values).Select(BatchManifest.UploadId).OfType<Guid>().Distinct().ToList();
        var uploads = await db.Uploads.AsNoTracking()
            .Where(u => u.TenantId == tenantId && u.CompletedAt != null && uploadIds.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, cancellationToken);
        var named = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<CheckedRow>();
        var kindList = kinds.ToList();
        foreach (var shot in shots)
        {
            var clips = new List<UploadedClip>();
            foreach (var (role, input) in shot.Inputs)
            {
                if (BatchManifest.UploadId(input) is { } uploadId)
                {
                    if (uploads.TryGetValue(uploadId, out var stored))
                    {
                        clips.Add(new UploadedClip(role, stored.FileName, stored.Key, stored.Length ?? stored.Offset));
                    }
                    else
                    {
                        problems.Add($"{shot.Where}: {role} names upload {uploadId}, which is not a completed upload of your studio; finish it (POST /v1/uploads) or send the file in the request.");
                    }
                }
                else if (byName.TryGetValue(Path.GetFileName(input), out var part))
                {
                    named.Add(part.FileName);
                    clips.Add(part with { Part = role });
                }
                else
                {
                    problems.Add($"{shot.Where}: {role} {ApiProblems.Quote(input)} is not among the request's files; add it as a file part with that file name, or name an upload (upload:<id>).");
                }
            }

            if (clips.Count != shot.Inputs.Count)
            {
                continue;
            }

            var fields = new Dictionary<string, string>(shot.Settings, StringComparer.OrdinalIgnoreCase) { ["kind"] = shot.Kind };
            var row = new ClipUploadResult(fields, clips);
            var (order, problem) = await JobOrder.Check(row, tenantId, db, kindList, chunkSize, cancellationToken);
            if (order is null)
            {
                problems.Add($"{shot.Where}: {problem}");
                continue;
            }

            rows.Add(new CheckedRow(shot, order, row));
        }

        foreach (var unused in byName.Keys.Where(n => !named.Contains(n)).Order(StringComparer.Ordinal))
        {
            problems.Add($"The file {ApiProblems.Quote(unused)} is named by no row of the manifest: leave it out, or name it in a row.");
        }

        return (rows, problems);
    }

    /// <summary>A 400 listing the manifest's problems (the first <see cref="MaxListedProblems"/>, and how many more).</summary>
    private static IResult Problems(IReadOnlyList<string> problems) =>
        ApiProblems.BadRequest(
            $"The batch was not created ({(problems.Count == 1 ? "1 problem; fix it" : $"{problems.Count} problems; fix them")} and send it again): " +
            string.Join(" ", problems.Take(MaxListedProblems)) +
            (problems.Count > MaxListedProblems ? $" … and {problems.Count - MaxListedProblems} more." : string.Empty));
}
