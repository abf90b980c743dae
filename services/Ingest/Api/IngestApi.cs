using FacePipeline.Contracts;
using FacePipeline.Orchestration;
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
        builder.Services.Configure<IngestOptions>(builder.Configuration.GetSection(IngestOptions.Section));
        var maxUpload = builder.Configuration.GetSection(IngestOptions.Section).Get<IngestOptions>()?.MaxUploadBytes ?? new IngestOptions().MaxUploadBytes;
        builder.Services.Configure<KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = maxUpload + (1 << 20));
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
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
            .WithSummary("Submit a job: multipart form with a 'clip' file, 'kind' (track), optional 'maxFaces', 'neutralFrame', 'facePoint' (x,y), 'chunkSize'.");
        jobs.MapGet("/", ListJobs).WithSummary("The tenant's jobs, newest first, paged.");
        jobs.MapGet("/{id:guid}", GetJob).WithSummary("State, per-stage progress, timings and failure reason of a job.");
        jobs.MapPost("/{id:guid}/cancel", CancelJob).WithSummary("Cancel a running job.");
        jobs.MapGet("/{id:guid}/outputs/{name}", DownloadOutput).WithSummary("Download an output of a completed job (qc.mp4, tracking.json, tracking.fptk).");
        return app;
    }

    private static async Task<IResult> SubmitJob(
        HttpRequest request,
        MediaStore store,
        JobsDbContext db,
        JobSubmission submission,
        IOptions<IngestOptions> options,
        CancellationToken cancellationToken)
    {
        var jobId = Guid.NewGuid();
        var tenantId = request.HttpContext.User.TenantId();
        ClipUploadResult upload;
        try
        {
            upload = await ClipUpload.ReadAsync(
                request, store, ext => MediaKeys.Input(jobId, ClipNames.Source, ext), options.Value.MaxUploadBytes, cancellationToken);
        }
        catch (UploadRejectedException ex)
        {
            return Results.Json(new ErrorResponse(ex.Message), statusCode: ex.StatusCode);
        }

        var kind = upload.Fields.GetValueOrDefault("kind", JobKinds.Track).ToLowerInvariant();
        var chunkSize = IntField(upload, "chunkSize") ?? options.Value.ChunkSize;
        var maxFaces = IntField(upload, "maxFaces") ?? 1;
        var neutralFrame = IntField(upload, "neutralFrame");
        var facePoint = PointField(upload, "facePoint");
        string? problem = kind != JobKinds.Track
            ? $"Unknown job kind '{kind}'. Kinds: {string.Join(", ", JobKinds.All)}."
            : chunkSize is < 1 or > 10_000 ? "chunkSize must be between 1 and 10000 frames."
            : maxFaces is < 1 or > TrackOptions.MaxFacesLimit ? $"maxFaces must be between 1 and {TrackOptions.MaxFacesLimit}."
            : neutralFrame is < 0 ? "neutralFrame must be a frame index (0 or more)."
            : upload.Fields.ContainsKey("facePoint") && facePoint is null ? "facePoint must be 'x,y' in pixels of the upright frame, e.g. 640,360."
            : null;
        if (problem is not null)
        {
            store.DeletePrefix(MediaKeys.JobPrefix(jobId));
            return Results.BadRequest(new ErrorResponse(problem));
        }

        var job = await submission.SubmitTrackJob(
            db, jobId, tenantId, upload.FileName, upload.StoredKey, upload.Bytes, chunkSize, cancellationToken, new TrackOptions(maxFaces, neutralFrame, facePoint));
        return Results.Accepted($"/v1/jobs/{job.Id}", JobResponse.From(job, job.CreatedAt));
    }

    private static async Task<IResult> ListJobs(
        HttpContext http, JobsDbContext db, IOptions<IngestOptions> options, TimeProvider clock, int page = 1, int pageSize = 20)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, options.Value.MaxPageSize);
        var tenantId = http.User.TenantId();
        var query = db.Jobs.AsNoTracking().Where(j => j.TenantId == tenantId);
        var total = await query.CountAsync(http.RequestAborted);
        var items = await query.OrderByDescending(j => j.CreatedAt).Skip((page - 1) * pageSize).Take(pageSize)
            .Include(j => j.Stages).Include(j => j.Outputs).AsSplitQuery().ToListAsync(http.RequestAborted);
        var now = clock.GetUtcNow();
        return Results.Ok(new JobPageResponse([.. items.Select(j => JobResponse.From(j, now))], page, pageSize, total));
    }

    private static async Task<IResult> GetJob(Guid id, HttpContext http, JobsDbContext db, TimeProvider clock)
    {
        var job = await FindJob(db, http, id);
        return job is null ? NotFound(id) : Results.Ok(JobResponse.From(job, clock.GetUtcNow()));
    }

    private static async Task<IResult> CancelJob(Guid id, HttpContext http, JobsDbContext db, JobCoordinator coordinator, TimeProvider clock)
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
        return Results.Ok(JobResponse.From((await FindJob(db, http, id))!, clock.GetUtcNow()));
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
        return db.Jobs.AsNoTracking().Include(j => j.Stages).Include(j => j.Outputs).AsSplitQuery()
            .SingleOrDefaultAsync(j => j.Id == id && j.TenantId == tenantId, http.RequestAborted);
    }

    private static int? IntField(ClipUploadResult upload, string name) =>
        upload.Fields.TryGetValue(name, out var text) && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    private static FramePoint? PointField(ClipUploadResult upload, string name)
    {
        var parts = upload.Fields.GetValueOrDefault(name)?.Split(',');
        return parts is [var x, var y]
            && float.TryParse(x, System.Globalization.CultureInfo.InvariantCulture, out var px) && px >= 0
            && float.TryParse(y, System.Globalization.CultureInfo.InvariantCulture, out var py) && py >= 0
            ? new FramePoint(px, py)
            : null;
    }

    private static IResult NotFound(Guid id) => Results.NotFound(new ErrorResponse($"No job {id}."));
}
