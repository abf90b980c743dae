using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>The studios' HTTP API: submit, list, inspect, cancel and download jobs.</summary>
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
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            // Every log line of an authenticated request carries the studio's tenant id.
            if (context.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value is { } tenant)
            {
                using var scope = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("FacePipeline.Ingest")
                    .BeginScope(new Dictionary<string, object> { ["TenantId"] = tenant });
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
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Submit a job (multipart form). Track: a 'clip' file, optional 'maxFaces', 'neutralFrame', 'facePoint' (x,y). Retarget (kind=retarget): 'source' and 'target' files, optional 'intensity', 'mouthGain', 'eyesGain', 'browsGain' (0-3), 'pose' (target|source), 'timing' (pingpong|loop|hold), 'prores' (true), 'sourceNeutralFrame', 'targetNeutralFrame'. Both: 'chunkSize'.");
        jobs.MapGet("/", ListJobs).WithSummary("The tenant's jobs, newest first, paged.");
        jobs.MapGet("/{id:guid}", GetJob).WithSummary("State, per-stage progress, timings and failure reason of a job.");
        jobs.MapPost("/{id:guid}/cancel", CancelJob).WithSummary("Cancel a running job.");
        jobs.MapGet("/{id:guid}/outputs/{name}", DownloadOutput).WithSummary("Download an output of a completed job (track: qc.mp4, tracking.json, tracking.fptk, blendshapes.csv, blendshapes.json; retarget: result.mp4, review.mp4, transfer.json, result.mov; train-actor: generator.onnx, preview.png).");
        app.MapActorsApi();
        return app;
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
        var tenantId = request.HttpContext.User.TenantId();
        ClipUploadResult upload;
        try
        {
            upload = await ClipUpload.ReadAsync(request, store, (part, ext) => part switch
            {
                "clip" or ClipNames.Source => MediaKeys.Input(jobId, ClipNames.Source, ext),
                ClipNames.Target => MediaKeys.Input(jobId, ClipNames.Target, ext),
                _ => null,
            }, options.Value.MaxUploadBytes, cancellationToken);
        }
        catch (UploadRejectedException ex)
        {
            return Results.Json(new ErrorResponse(ex.Message), statusCode: ex.StatusCode);
        }

        var kind = upload.Fields.GetValueOrDefault("kind", JobKinds.Track).ToLowerInvariant();
        var chunkSize = JobRequests.Int(upload, "chunkSize") ?? options.Value.ChunkSize;
        Job? job = null;
        string? problem = chunkSize is < 1 or > 10_000 ? "chunkSize must be between 1 and 10000 frames." : null;
        if (problem is null && kind == JobKinds.Track)
        {
            (var track, problem) = JobRequests.Track(upload);
            if (track is not null)
            {
                var clip = upload.Clips[0];
                job = await submission.SubmitTrackJob(db, jobId, tenantId, clip.FileName, clip.StoredKey, clip.Bytes, chunkSize, cancellationToken, track);
            }
        }
        else if (problem is null && kind == JobKinds.Retarget)
        {
            (var settings, problem) = JobRequests.Retarget(upload);
            if (settings is not null && upload.Fields.TryGetValue("actor", out var actorField))
            {
                var actorId = Guid.Parse(actorField);
                var version = JobRequests.Int(upload, "modelVersion");
                var models = await db.ActorModels.AsNoTracking()
                    .Where(m => m.ActorId == actorId && db.Actors.Any(a => a.Id == actorId && a.TenantId == tenantId))
                    .ToListAsync(cancellationToken);
                var model = models.Where(m => m.State == ActorModelState.Ready && (version is null || m.Version == version)).MaxBy(m => m.Version);
                if (model is null)
                {
                    problem = models.Count == 0
                        ? $"No actor {actorId} (or it has no model yet): create one with POST /v1/actors."
                        : $"Actor {actorId} has no ready model{(version is null ? string.Empty : $" version {version}")} (versions: {string.Join(", ", models.OrderBy(m => m.Version).Select(m => $"{m.Version} {m.State.ToString().ToLowerInvariant()}"))}).";
                }
                else
                {
                    var source = upload.Clip(ClipNames.Source)!;
                    job = await submission.SubmitRetargetOntoActor(
                        db, jobId, tenantId, new ClipInput(ClipNames.Source, source.FileName, source.StoredKey, source.Bytes), model, chunkSize, settings, cancellationToken);
                }
            }
            else if (settings is not null)
            {
                var (source, target) = (upload.Clip(ClipNames.Source)!, upload.Clip(ClipNames.Target)!);
                job = await submission.SubmitRetargetJob(
                    db, jobId, tenantId,
                    new ClipInput(ClipNames.Source, source.FileName, source.StoredKey, source.Bytes),
                    new ClipInput(ClipNames.Target, target.FileName, target.StoredKey, target.Bytes),
                    chunkSize, settings, cancellationToken);
            }
        }
        else
        {
            problem ??= kind == JobKinds.TrainActor
                ? "Train-actor jobs are created through POST /v1/actors (or /v1/actors/{id}/models)."
                : $"Unknown job kind '{kind}'. Kinds: {string.Join(", ", pipelines.Kinds.Select(p => p.Kind).Where(k => k != JobKinds.TrainActor))} (actors: POST /v1/actors).";
        }

        if (job is null)
        {
            store.DeletePrefix(MediaKeys.JobPrefix(jobId));
            return Results.BadRequest(new ErrorResponse(problem ?? "The submission was not understood."));
        }

        return Results.Accepted($"/v1/jobs/{job.Id}", JobResponse.From(job, pipelines, job.CreatedAt));
    }

    private static async Task<IResult> ListJobs(
        HttpContext http, JobsDbContext db, JobPipelines pipelines, IOptions<IngestOptions> options, TimeProvider clock, int page = 1, int pageSize = 20)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, options.Value.MaxPageSize);
        var tenantId = http.User.TenantId();
        var query = db.Jobs.AsNoTracking().Where(j => j.TenantId == tenantId);
        var total = await query.CountAsync(http.RequestAborted);
        var items = await query.OrderByDescending(j => j.CreatedAt).Skip((page - 1) * pageSize).Take(pageSize)
            .Include(j => j.Stages).Include(j => j.Outputs).Include(j => j.Clips).AsSplitQuery().ToListAsync(http.RequestAborted);
        var now = clock.GetUtcNow();
        return Results.Ok(new JobPageResponse([.. items.Select(j => JobResponse.From(j, pipelines, now))], page, pageSize, total));
    }

    private static async Task<IResult> GetJob(Guid id, HttpContext http, JobsDbContext db, JobPipelines pipelines, TimeProvider clock)
    {
        var job = await FindJob(db, http, id);
        return job is null ? NotFound(id) : Results.Ok(JobResponse.From(job, pipelines, clock.GetUtcNow()));
    }

    private static async Task<IResult> CancelJob(Guid id, HttpContext http, JobsDbContext db, JobCoordinator coordinator, JobPipelines pipelines, TimeProvider clock)
    {
        if (await FindJob(db, http, id) is null)
        {
            return NotFound(id);
        }

        if (!await coordinator.Cancel(id, http.RequestAborted))
        {
            return Results.Conflict(new ErrorResponse("The job has already ended."));
        }

        db.ChangeTracker.Clear();
        return Results.Ok(JobResponse.From((await FindJob(db, http, id))!, pipelines, clock.GetUtcNow()));
    }

    private static async Task<IResult> DownloadOutput(Guid id, string name, HttpContext http, JobsDbContext db, MediaStore store)
    {
        var job = await FindJob(db, http, id);
        var output = job?.Outputs.FirstOrDefault(o => o.Name == name);
        if (job is null || output is null || !store.Exists(output.Key))
        {
            return Results.NotFound(new ErrorResponse(job is null ? $"No job {id}." : $"Job {id} has no output '{name}' (state: {job.State.ToString().ToLowerInvariant()})."));
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

    private static IResult NotFound(Guid id) => Results.NotFound(new ErrorResponse($"No job {id}."));
}
