using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>The studios' HTTP API: submit, list, inspect, cancel, download and delete jobs.</summary>
public static class IngestApi
{
    public static WebApplicationBuilder AddIngestApi(this WebApplicationBuilder builder)
    {
        // Bound and checked at start-up: a wrong value stops the service with the setting's name.
        FacePipeline.ServiceDefaults.ValidatedOptions.AddValidatedOptions<IngestOptions>(builder.Services, IngestOptions.Section);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngestOptions>>((k, ingest) =>
        {
            try
            {
                k.Limits.MaxRequestBodySize = ingest.Value.MaxUploadBytes + (1 << 20);
            }
            catch (Exception error) when (error is OptionsValidationException or InvalidOperationException)
            {
                // Kestrel is configured while the application is built, before the start-up checks, which refuse these
                // settings with their reason: the service never listens with them.
            }
        });
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks().AddCheck<JobStoreHealthCheck>("job-store", tags: ["ready"]);
        return builder;
    }

    public static async Task MigrateJobStoreAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<JobsDbContext>().MigrateAsync();
    }

    public static WebApplication MapIngestApi(this WebApplication app)
    {
        app.Use(AnswerFaults);
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            // Every log line of an authenticated request carries the studio's tenant id.
            if (context.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value is { } tenant)
            {
                using var scope = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("FacePipeline.Ingest")
                    .BeginScope(new FacePipeline.ServiceDefaults.LogScope(("TenantId", tenant)));
                await next(context);
                return;
            }

            await next(context);
        });
        app.UseAuthorization();
        app.MapOpenApi();

        var jobs = app.MapGroup("/v1/jobs").RequireAuthorization().WithTags("Jobs");
        jobs.MapPost("/", SubmitJob)
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<JobResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithSummary("Submit a job (multipart form). Track: a 'clip' file, optional 'maxFaces' (1-8), 'neutralFrame', 'facePoint' (x,y). Retarget (kind=retarget): 'source' and 'target' files (or 'source' and an 'actor' id, optional 'modelVersion'), optional 'intensity', 'mouthGain', 'eyesGain', 'browsGain' (0-3), 'pose' (target|source), 'timing' (pingpong|loop|hold), 'prores' (true|false), 'neutral' (resting|first), 'space' (mesh|blendshapes), 'sourceNeutralFrame', 'targetNeutralFrame'. Both: 'chunkSize' (1-10000). Any other field, a field sent twice, or a value out of range is refused with 400.");
        jobs.MapGet("/", ListJobs)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The tenant's jobs, newest first, paged: 'page' (from 1, default 1) and 'pageSize' (1 to Ingest:MaxPageSize, default 20).");
        jobs.MapGet("/{id:guid}", GetJob).WithSummary("State, per-stage progress, timings and failure reason of a job.");
        jobs.MapPost("/{id:guid}/cancel", CancelJob).WithSummary("Cancel a running job.");
        jobs.MapGet("/{id:guid}/outputs/{name}", DownloadOutput)
            .ProducesProblem(StatusCodes.Status410Gone)
            .WithSummary("Download an output of a completed job (track: qc.mp4, tracking.json, tracking.fptk, blendshapes.csv, blendshapes.json; retarget: result.mp4, review.mp4, transfer.json, result.mov; train-actor: generator.onnx, preview.png). 410 once the job's media was deleted (Retention:JobMedia after it ended, docs/retention.md).");
        jobs.MapDelete("/{id:guid}", DeletionApi.DeleteJob)
            .Produces<DeletionResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .WithSummary("Delete a job at once: cancels it if it runs, removes its media (inputs, frames, face data, outputs) and its record, and keeps a deletion record without face data. A train-actor job is refused with 409 while its actor exists (delete the actor). Afterwards the job answers 410.");
        app.MapActorsApi();
        app.MapUploadsApi();
        return app;
    }

    /// <summary>
    /// The last guard of every request: a request the server could not read (Kestrel's own refusals: a body over the
    /// limit, cut short or too slow) answers its 4xx with a sentence; anything else thrown is a server fault, answered
    /// 500 with a sentence and the request's correlation id, which the error log line carries. Never an empty answer.
    /// </summary>
    private static async Task AnswerFaults(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null
                && context.Response.StatusCode != StatusCodes.Status416RangeNotSatisfiable && !HttpMethods.IsHead(context.Request.Method)
                && !context.RequestAborted.IsCancellationRequested)
            {
                // A refusal that routing or the framework answered with no body (no such call, a method or a content
                // type the call does not take): it gets its sentence too.
                await ApiProblems.WriteAsync(context, context.Response.StatusCode, context.Response.StatusCode switch
                {
                    StatusCodes.Status404NotFound => $"There is no {context.Request.Method} {context.Request.Path}: the API's calls are listed in /openapi/v1.json.",
                    StatusCodes.Status405MethodNotAllowed => $"{context.Request.Path} does not take {context.Request.Method}: the API's calls are listed in /openapi/v1.json.",
                    StatusCodes.Status415UnsupportedMediaType => $"{context.Request.Method} {context.Request.Path} takes a multipart/form-data body (Content-Type: multipart/form-data; boundary=…), not {ApiProblems.Quote(context.Request.ContentType)}.",
                    _ => $"The request was refused ({context.Response.StatusCode}): check it against /openapi/v1.json.",
                }, clear: false);
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException refused) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await ApiProblems.WriteAsync(context, refused.StatusCode, refused.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "The request is larger than the service's upload limit: send a smaller clip.",
                StatusCodes.Status408RequestTimeout => "The request body arrived too slowly and was given up: send it again on a better connection.",
                _ => "The request could not be read (its body was cut short or is malformed): send it again as your HTTP client builds it.",
            });
        }
        catch (Exception fault) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var correlationId = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("FacePipeline.Ingest")
                .LogError(fault, "Server fault on {Method} {Path} (correlation id {CorrelationId})", context.Request.Method, context.Request.Path, correlationId);
            await ApiProblems.WriteAsync(context, StatusCodes.Status500InternalServerError,
                $"The request failed on a server fault, not on what you sent (correlation id {correlationId}). Send it again; if it fails again, report this correlation id.");
        }
    }

    private static async Task<IResult> SubmitJob(
        HttpRequest request,
        MediaStore store,
        JobsDbContext db,
        JobSubmission submission,
        JobPipelines pipelines,
        IOptions<IngestOptions> options,
        CancellationToken cancellationToken)
    {
        var jobId = Guid.NewGuid();
        Job? job = null;
        try
        {
            var (answer, submitted) = await Submit(request, jobId, store, db, submission, pipelines, options.Value, cancellationToken);
            job = submitted;
            return answer;
        }
        finally
        {
            if (job is null)
            {
                store.DeletePrefix(MediaKeys.JobPrefix(jobId)); // refused, or failed before the job was recorded: nothing stays
            }
        }
    }

    private static async Task<(IResult Answer, Job? Job)> Submit(
        HttpRequest request,
        Guid jobId,
        MediaStore store,
        JobsDbContext db,
        JobSubmission submission,
        JobPipelines pipelines,
        IngestOptions options,
        CancellationToken cancellationToken)
    {
        if (QueryRefusal(request) is { } misplaced)
        {
            return (misplaced, null);
        }

        var tenantId = request.HttpContext.User.TenantId();
        ClipUploadResult upload;
        try
        {
            upload = await ClipUpload.ReadAsync(request, store, (part, ext) => part switch
            {
                "clip" or ClipNames.Source => MediaKeys.Input(jobId, ClipNames.Source, ext),
                ClipNames.Target => MediaKeys.Input(jobId, ClipNames.Target, ext),
                _ => null,
            }, JobRequests.JobFields, options.MaxUploadBytes, cancellationToken);
        }
        catch (UploadRejectedException ex)
        {
            return (ApiProblems.Answer(ex.StatusCode, ex.Message), null);
        }

        var kind = upload.Fields.GetValueOrDefault("kind", JobKinds.Track).ToLowerInvariant();
        if (kind != JobKinds.Track && kind != JobKinds.Retarget)
        {
            return (ApiProblems.BadRequest(kind == JobKinds.TrainActor
                ? "Train-actor jobs are created through POST /v1/actors (or /v1/actors/{id}/models)."
                : $"Unknown job kind {ApiProblems.Quote(kind)}. Kinds: {string.Join(", ", pipelines.Kinds.Select(p => p.Kind).Where(k => k != JobKinds.TrainActor))} (actors: POST /v1/actors)."), null);
        }

        var (chunkSize, chunkProblem) = JobRequests.ChunkSize(upload, options.ChunkSize);
        if (kind == JobKinds.Track)
        {
            var (track, problem) = JobRequests.Track(upload);
            if (track is null || chunkProblem is not null)
            {
                return (ApiProblems.BadRequest(Join(problem, chunkProblem)), null);
            }

            var clip = upload.Clips[0];
            var job = await submission.SubmitTrackJob(db, jobId, tenantId, clip.FileName, clip.StoredKey, clip.Bytes, chunkSize, cancellationToken, track);
            return (Accepted(job, pipelines), job);
        }

        var (settings, refusal) = JobRequests.Retarget(upload);
        if (settings is null || chunkProblem is not null)
        {
            return (ApiProblems.BadRequest(Join(refusal, chunkProblem)), null);
        }

        var source = upload.Clip(ClipNames.Source)!;
        if (upload.Fields.TryGetValue("actor", out var actorField))
        {
            var actorId = Guid.Parse(actorField);
            var version = JobRequests.Int(upload, "modelVersion");
            var models = await db.ActorModels.AsNoTracking()
                .Where(m => m.ActorId == actorId && db.Actors.Any(a => a.Id == actorId && a.TenantId == tenantId))
                .ToListAsync(cancellationToken);
            var model = models.Where(m => m.State == ActorModelState.Ready && (version is null || m.Version == version)).MaxBy(m => m.Version);
            if (model is null)
            {
                if (models.Count == 0 && await StudioDeletions.Find(db, tenantId, DeletionSubjects.Actor, actorId, cancellationToken) is { } deleted)
                {
                    return (ApiProblems.BadRequest($"Actor {actorId} was deleted on {DeletionApi.When(deleted.DeletedAt)}: retarget onto another actor, or send a target clip."), null);
                }

                return (ApiProblems.BadRequest(models.Count == 0
                    ? $"No actor {actorId} (or it has no model yet): create one with POST /v1/actors."
                    : $"Actor {actorId} has no ready model{(version is null ? string.Empty : $" version {version}")} (versions: {string.Join(", ", models.OrderBy(m => m.Version).Select(m => $"{m.Version} {m.State.ToString().ToLowerInvariant()}"))})."), null);
            }

            // The actor's footage (the target) is measured already: a target neutral frame beyond it is refused now.
            if (await ActorFootageMisfit(db, model, settings, cancellationToken) is { } misfit)
            {
                return (ApiProblems.BadRequest(misfit), null);
            }

            var ontoActor = await submission.SubmitRetargetOntoActor(
                db, jobId, tenantId, new ClipInput(ClipNames.Source, source.FileName, source.StoredKey, source.Bytes), model, chunkSize, settings, cancellationToken);
            return (Accepted(ontoActor, pipelines), ontoActor);
        }

        var target = upload.Clip(ClipNames.Target)!;
        var retarget = await submission.SubmitRetargetJob(
            db, jobId, tenantId,
            new ClipInput(ClipNames.Source, source.FileName, source.StoredKey, source.Bytes),
            new ClipInput(ClipNames.Target, target.FileName, target.StoredKey, target.Bytes),
            chunkSize, settings, cancellationToken);
        return (Accepted(retarget, pipelines), retarget);
    }

    /// <summary>Whether the retarget's settings fit the actor's footage, the first clip of the job that trained <paramref name="model"/> (as the job will take it).</summary>
    private static async Task<string?> ActorFootageMisfit(JobsDbContext db, ActorModel model, RetargetSettings settings, CancellationToken cancellationToken)
    {
        if (settings.TargetNeutralFrame is null)
        {
            return null;
        }

        var clips = await db.JobClips.AsNoTracking().Where(c => c.JobId == model.JobId).ToListAsync(cancellationToken);
        var footage = clips.OrderBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        if (footage is null)
        {
            return null;
        }

        var probe = new Job
        {
            Kind = JobKinds.Retarget,
            ActorId = model.ActorId,
            InputFileName = footage.InputFileName,
            InputKey = footage.InputKey,
            Settings = JobSettings.Serialize(settings),
        };
        footage.Name = ClipNames.Target;
        return JobSettings.Misfit(probe, footage);
    }

    /// <summary>A submission takes its fields in its form only: a query string (settings put in the URL) is refused, never ignored.</summary>
    internal static IResult? QueryRefusal(HttpRequest request) =>
        request.Query.Count == 0 ? null
            : ApiProblems.BadRequest($"{request.Method} {request.Path} takes its fields in the multipart form, not in the query string ({string.Join(", ", request.Query.Keys.Take(5).Select(ApiProblems.Quote))}): send them as form fields.");

    private static IResult Accepted(Job job, JobPipelines pipelines) =>
        Results.Accepted($"/v1/jobs/{job.Id}", JobResponse.From(job, pipelines, job.CreatedAt));

    private static string Join(params string?[] problems) =>
        string.Join(" ", problems.OfType<string>()) is { Length: > 0 } joined ? joined : "The submission was not understood.";

    /// <summary>
    /// The tenant's jobs, newest first. page and pageSize are read here, not bound, so that a value that is not a
    /// number, out of range, or sent twice is refused with a sentence, never clamped or passed on.
    /// </summary>
    private static async Task<IResult> ListJobs(HttpContext http, JobsDbContext db, JobPipelines pipelines, IOptions<IngestOptions> options, TimeProvider clock, IOptions<RetentionOptions> retention)
    {
        var query = http.Request.Query;
        if (query.Keys.FirstOrDefault(k => !k.Equals("page", StringComparison.OrdinalIgnoreCase) && !k.Equals("pageSize", StringComparison.OrdinalIgnoreCase)) is { } unknown)
        {
            return ApiProblems.BadRequest($"Unknown query parameter {ApiProblems.Quote(unknown)}: GET /v1/jobs takes page and pageSize.");
        }

        var maxPageSize = options.Value.MaxPageSize;
        if (!QueryNumber(query, "pageSize", 20, out var pageSize) || pageSize is < 1 || pageSize > maxPageSize)
        {
            return ApiProblems.BadRequest($"pageSize must be a whole number from 1 to {maxPageSize} (got {ApiProblems.Quote(query["pageSize"].ToString())}).");
        }

        // The jobs skipped before the page must stay within what a query can skip (an int): the last page that can be asked for.
        var lastPage = (int.MaxValue / pageSize) + 1;
        if (!QueryNumber(query, "page", 1, out var page) || page is < 1 || page > lastPage)
        {
            return ApiProblems.BadRequest($"page must be a whole number from 1 to {lastPage} with pageSize {pageSize} (got {ApiProblems.Quote(query["page"].ToString())}).");
        }

        var tenantId = http.User.TenantId();
        var jobs = db.Jobs.AsNoTracking().Where(j => j.TenantId == tenantId);
        var total = await jobs.CountAsync(http.RequestAborted);
        var items = await jobs.OrderByDescending(j => j.CreatedAt).Skip((int)(((long)page - 1) * pageSize)).Take(pageSize)
            .Include(j => j.Stages).Include(j => j.Outputs).Include(j => j.Clips).AsSplitQuery().ToListAsync(http.RequestAborted);
        var now = clock.GetUtcNow();
        return Results.Ok(new JobPageResponse([.. items.Select(j => JobResponse.From(j, pipelines, now, retention.Value))], page, pageSize, total));
    }

    /// <summary>A query parameter sent at most once as a whole number (<paramref name="fallback"/> when absent); false when it is anything else.</summary>
    private static bool QueryNumber(IQueryCollection query, string name, int fallback, out int value)
    {
        value = fallback;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        return values.Count == 1 && int.TryParse(values[0], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static async Task<IResult> GetJob(Guid id, HttpContext http, JobsDbContext db, JobPipelines pipelines, TimeProvider clock, IOptions<RetentionOptions> retention)
    {
        var job = await FindJob(db, http, id);
        return job is null ? await DeletionApi.MissingJob(db, http, id) : Results.Ok(JobResponse.From(job, pipelines, clock.GetUtcNow(), retention.Value));
    }

    private static async Task<IResult> CancelJob(Guid id, HttpContext http, JobsDbContext db, JobCoordinator coordinator, JobPipelines pipelines, TimeProvider clock, IOptions<RetentionOptions> retention)
    {
        if (await FindJob(db, http, id) is null)
        {
            return await DeletionApi.MissingJob(db, http, id);
        }

        if (!await coordinator.Cancel(id, http.RequestAborted))
        {
            return ApiProblems.Conflict("The job has already ended.");
        }

        db.ChangeTracker.Clear();
        return await FindJob(db, http, id) is { } cancelled
            ? Results.Ok(JobResponse.From(cancelled, pipelines, clock.GetUtcNow(), retention.Value))
            : await DeletionApi.MissingJob(db, http, id); // deleted right after the cancel
    }

    private static async Task<IResult> DownloadOutput(Guid id, string name, HttpContext http, JobsDbContext db, MediaStore store, IOptions<RetentionOptions> retention)
    {
        var job = await FindJob(db, http, id);
        if (job is null)
        {
            return await DeletionApi.MissingJob(db, http, id);
        }

        var output = job.Outputs.FirstOrDefault(o => o.Name == name);
        if (output is not null && job.MediaDeletedAt is not null)
        {
            return DeletionApi.OutputsExpired(job, retention.Value);
        }

        if (output is null || !store.Exists(output.Key))
        {
            return ApiProblems.NotFound($"Job {id} has no output '{name}' (state: {job.State.ToString().ToLowerInvariant()}).");
        }

        return Results.File(store.PathFor(output.Key), output.ContentType, output.Name, enableRangeProcessing: true);
    }

    /// <summary>The job if it belongs to the caller's tenant; another tenant's job is indistinguishable from none.</summary>
    private static Task<Job?> FindJob(JobsDbContext db, HttpContext http, Guid id)
    {
        var tenantId = http.User.TenantId();
        return db.Jobs.AsNoTracking().Include(j => j.Stages).Include(j => j.Outputs).Include(j => j.Clips).AsSplitQuery()
            .SingleOrDefaultAsync(j => j.Id == id && j.TenantId == tenantId, http.RequestAborted);
    }
}
