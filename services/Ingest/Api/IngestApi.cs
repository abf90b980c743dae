using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Batches;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Orchestration.Scheduling;
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
        FacePipeline.ServiceDefaults.ValidatedOptions.AddValidatedOptions<BatchOptions>(builder.Services, BatchOptions.Section);
        builder.Services.AddSingleton<StudioQuotas>();
        builder.Services.AddSingleton<BatchControl>();
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
            .AcceptsSubmission<JobResponse>()
            .WithSummary("Submit a job (multipart form). Track: a 'clip' file, optional 'maxFaces' (1-8), 'neutralFrame', 'facePoint' (x,y). Retarget (kind=retarget): 'source' and 'target' files (or 'source' and an 'actor' id, optional 'modelVersion'), optional 'intensity', 'mouthGain', 'eyesGain', 'browsGain' (0-3), 'pose' (target|source), 'timing' (pingpong|loop|hold), 'prores' (true|false), 'neutral' (resting|first), 'space' (mesh|blendshapes), 'sourceNeutralFrame', 'targetNeutralFrame'. Both: 'chunkSize' (1-10000). Any other field, a field sent twice, or a value out of range is refused with 400.");
        jobs.MapGet("/", ListJobs)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The tenant's jobs, newest first, paged: 'page' (from 1, default 1) and 'pageSize' (1 to Ingest:MaxPageSize, default 20).");
        jobs.MapGet("/{id:guid}", GetJob).WithSummary("State, per-stage progress, timings and failure reason of a job; its source's frame rate and start timecode once extracted.");
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
        app.MapBatchesApi();
        app.MapWebhooksApi();
        app.MapEventsApi();
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
        StudioQuotas quotas,
        IOptions<IngestOptions> options,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var jobId = Guid.NewGuid();
        Job? job = null;
        try
        {
            var (answer, submitted) = await Submit(request, jobId, store, db, submission, pipelines, quotas, options.Value, clock, cancellationToken);
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
        StudioQuotas quotas,
        IngestOptions options,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (QueryRefusal(request) is { } misplaced)
        {
            return (misplaced, null);
        }

        // A studio past a cap is told before it uploads; the bytes are checked again once their size is known.
        var tenantId = request.HttpContext.User.TenantId();
        if (await quotas.Refusal(db, tenantId, new QuotaRequest(1, Interactive: true, 0), cancellationToken) is { } early)
        {
            return (ApiProblems.TooManyRequests(early), null);
        }

        ClipUploadResult upload;
        try
        {
            upload = await ClipUpload.ReadAsync(request, store, (part, ext) => part switch
            {
                "clip" or ClipNames.Source => MediaKeys.Input(jobId, ClipNames.Source, ext),
                ClipNames.Target => MediaKeys.Input(jobId, ClipNames.Target, ext),
                _ => null,
            }, [.. JobRequests.JobFields, .. UploadReferences.Roles], options.MaxUploadBytes, cancellationToken);
        }
        catch (UploadRejectedException ex)
        {
            return (ApiProblems.Answer(ex.StatusCode, ex.Message), null);
        }

        var (resolved, referenceProblem) = await UploadReferences.Resolve(upload, tenantId, jobId, db, store, clock, cancellationToken);
        if (resolved is null)
        {
            return (ApiProblems.BadRequest(referenceProblem!), null);
        }

        upload = resolved;

        var (order, problem) = await JobOrder.Check(upload, tenantId, db, pipelines.Kinds.Select(p => p.Kind), options.ChunkSize, cancellationToken);
        if (order is null)
        {
            return (ApiProblems.BadRequest(problem!), null);
        }

        if (await quotas.Refusal(db, tenantId, new QuotaRequest(1, Interactive: order.Class != JobPriorityClass.Overnight, upload.Clips.Sum(c => c.Bytes)), cancellationToken) is { } refusal)
        {
            return (ApiProblems.TooManyRequests(refusal), null);
        }

        var job = await order.Submit(submission, db, jobId, tenantId, upload, cancellationToken);
        return (Accepted(job, pipelines), job);
    }

    /// <summary>A submission takes its fields in its form only: a query string (settings put in the URL) is refused, never ignored.</summary>
    internal static IResult? QueryRefusal(HttpRequest request) =>
        request.Query.Count == 0 ? null
            : ApiProblems.BadRequest($"{request.Method} {request.Path} takes its fields in the multipart form, not in the query string ({string.Join(", ", request.Query.Keys.Take(5).Select(ApiProblems.Quote))}): send them as form fields.");

    private static IResult Accepted(Job job, JobPipelines pipelines) =>
        Results.Accepted($"/v1/jobs/{job.Id}", JobResponse.From(job, pipelines, job.CreatedAt));

    /// <summary>The tenant's jobs, newest first, by pages (<see cref="PageQuery"/>).</summary>
    private static async Task<IResult> ListJobs(HttpContext http, JobsDbContext db, JobPipelines pipelines, IOptions<IngestOptions> options, TimeProvider clock, IOptions<RetentionOptions> retention)
    {
        var (page, refusal) = PageQuery.Read(http.Request.Query, options.Value.MaxPageSize, "GET /v1/jobs");
        if (refusal is not null)
        {
            return refusal;
        }

        var tenantId = http.User.TenantId();
        var (items, total) = await page.Fetch(
            db.Jobs.AsNoTracking().Where(j => j.TenantId == tenantId),
            j => j.OrderByDescending(j => j.CreatedAt),
            j => j.Include(j => j.Stages).Include(j => j.Outputs).Include(j => j.Clips).AsSplitQuery(),
            http.RequestAborted);
        var now = clock.GetUtcNow();
        return Results.Ok(new JobPageResponse([.. items.Select(j => JobResponse.From(j, pipelines, now, retention.Value))], page.Page, page.PageSize, total));
    }

    private static async Task<IResult> GetJob(Guid id, HttpContext http, JobsDbContext db, JobPipelines pipelines, MediaStore store, TimeProvider clock, IOptions<RetentionOptions> retention)
    {
        var job = await FindJob(db, http, id);
        return job is null
            ? await DeletionApi.MissingJob(db, http, id)
            : Results.Ok(await SourceTimecode.With(JobResponse.From(job, pipelines, clock.GetUtcNow(), retention.Value), job, store, http.RequestAborted));
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
