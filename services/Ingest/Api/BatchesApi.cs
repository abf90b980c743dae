using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Batches;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// Batches (docs/batches.md, "Batch API"): a manifest of shots submitted at once, followed, paused, resumed, cancelled,
/// retried and downloaded as one; and the studio's queue (paused or not, its counts and caps). Each call is a few lines
/// over <see cref="BatchSubmission"/>, <see cref="BatchControl"/> and <see cref="BatchViews"/>. Another studio's batch
/// answers 404 exactly as a missing one.
/// </summary>
public static class BatchesApi
{
    public static WebApplication MapBatchesApi(this WebApplication app)
    {
        var batches = app.MapGroup("/v1/batches").RequireAuthorization().WithTags("Batches");
        batches.MapPost("/", SubmitBatch)
            .AcceptsSubmission<BatchResponse>()
            .WithSummary("Submit a batch (multipart form): a 'manifest' file part (CSV or JSON, docs/batches.md), one file part per file it names (each with its file name), optional 'name', 'class' (interactive|overnight, default overnight), 'priority' (-50 to 50, default 0), 'paused' (true|false). Every row is checked as POST /v1/jobs checks a job; all or nothing.");
        batches.MapGet("/", ListBatches)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The studio's batches, newest first, with their counts, paged: 'page' (from 1) and 'pageSize' (1 to Ingest:MaxPageSize, default 20).");
        batches.MapGet("/{id:guid}", GetBatch).WithSummary("A batch: counts by state, each shot's latest job (state, stage, frames, failure), paused, state and an ETA.");
        batches.MapPost("/{id:guid}/retry-failed", RetryFailed)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("A new job (same shot, settings and inputs) for every shot whose latest job failed; 409 when none failed.");
        batches.MapPost("/{id:guid}/cancel", CancelBatch).WithSummary("Cancel every shot that has not ended (queued or running).");
        batches.MapPost("/{id:guid}/pause", PauseBatch).WithSummary("Pause the batch: running shots finish, nothing new of it starts.");
        batches.MapPost("/{id:guid}/resume", ResumeBatch).WithSummary("Resume a paused batch: its queued shots start as the scheduler allows.");
        batches.MapGet("/{id:guid}/outputs.zip", DownloadOutputs)
            .WithSummary("Every completed shot's outputs as <shot>/<output> in one ZIP (streamed), with report.csv and report.json listing each shot's state, failure, and outputs deleted by retention.");

        var queue = app.MapGroup("/v1/queue").RequireAuthorization().WithTags("Queue");
        queue.MapGet("/", GetQueue).WithSummary("The studio's queue: paused, jobs running and waiting, bytes kept, and the caps in force (docs/batches.md, \"Quotas\").");
        queue.MapPost("/pause", (HttpContext http, JobsDbContext db, StudioQuotas quotas, SchedulerSignal signal) => SetQueuePaused(http, db, quotas, signal, true))
            .WithSummary("Pause the studio's queue: running jobs finish, nothing new starts (single jobs and batches alike).");
        queue.MapPost("/resume", (HttpContext http, JobsDbContext db, StudioQuotas quotas, SchedulerSignal signal) => SetQueuePaused(http, db, quotas, signal, false))
            .WithSummary("Resume the studio's queue.");
        return app;
    }

    private static async Task<IResult> SubmitBatch(
        HttpRequest request,
        MediaStore store,
        JobsDbContext db,
        JobSubmission submission,
        JobPipelines pipelines,
        StudioQuotas quotas,
        SchedulerSignal signal,
        OutboxSignal outbox,
        IOptions<BatchOptions> batchOptions,
        IOptions<IngestOptions> options,
        IOptions<SchedulingOptions> scheduling,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        // The service's request limit is one clip's; a batch's form carries a file per shot, each held to that limit as it is read.
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxUploadBytes > long.MaxValue / (batchOptions.Value.MaxShots + 1)
                ? null
                : (options.Value.MaxUploadBytes * (batchOptions.Value.MaxShots + 1)) + BatchSubmission.MaxManifestBytes;
        }

        var (refusal, batch) = await BatchSubmission.Create(
            request, store, db, submission, pipelines.Kinds.Select(p => p.Kind), quotas, batchOptions.Value, options.Value, clock, cancellationToken);
        if (batch is null)
        {
            return refusal!;
        }

        signal.Notify(); // the shots were committed together: the scheduler sees them all now
        outbox.Notify();
        db.ChangeTracker.Clear();
        return Results.Accepted($"/v1/batches/{batch.Id}", await BatchViews.Of(db, batch, scheduling.Value, clock.GetUtcNow(), cancellationToken));
    }

    private static async Task<IResult> ListBatches(HttpContext http, JobsDbContext db, IOptions<IngestOptions> options)
    {
        var (page, refusal) = PageQuery.Read(http.Request.Query, options.Value.MaxPageSize, "GET /v1/batches");
        if (refusal is not null)
        {
            return refusal;
        }

        var tenantId = http.User.TenantId();
        var (items, total) = await page.Fetch(
            db.Batches.AsNoTracking().Where(b => b.TenantId == tenantId), b => b.OrderByDescending(b => b.CreatedAt).ThenBy(b => b.Id), b => b, http.RequestAborted);
        return Results.Ok(new BatchPageResponse(await BatchViews.Summaries(db, items, http.RequestAborted), page.Page, page.PageSize, total));
    }

    private static async Task<IResult> GetBatch(Guid id, HttpContext http, JobsDbContext db, IOptions<SchedulingOptions> scheduling, TimeProvider clock) =>
        await FindBatch(db, http, id) is { } batch ? Results.Ok(await View(db, batch, scheduling, clock, http)) : Missing(id);

    private static async Task<IResult> RetryFailed(Guid id, HttpContext http, JobsDbContext db, BatchControl control, IOptions<SchedulingOptions> scheduling, TimeProvider clock)
    {
        if (await FindBatch(db, http, id) is null)
        {
            return Missing(id);
        }

        var outcome = await control.RetryFailed(id, http.RequestAborted);
        if (outcome is null)
        {
            return ApiProblems.Conflict($"No shot of batch {id} has failed: there is nothing to retry.");
        }

        if (outcome.NewJobs.Count == 0)
        {
            return ApiProblems.Conflict($"No failed shot of batch {id} could be retried: {string.Join(" ", outcome.NotRetried)}");
        }

        return await Changed(db, http, id, scheduling, clock);
    }

    private static async Task<IResult> CancelBatch(Guid id, HttpContext http, JobsDbContext db, BatchControl control, IOptions<SchedulingOptions> scheduling, TimeProvider clock)
    {
        if (await FindBatch(db, http, id) is null)
        {
            return Missing(id);
        }

        await control.Cancel(id, http.RequestAborted);
        return await Changed(db, http, id, scheduling, clock);
    }

    private static Task<IResult> PauseBatch(Guid id, HttpContext http, JobsDbContext db, BatchControl control, IOptions<SchedulingOptions> scheduling, TimeProvider clock) =>
        SetPaused(id, true, http, db, control, scheduling, clock);

    private static Task<IResult> ResumeBatch(Guid id, HttpContext http, JobsDbContext db, BatchControl control, IOptions<SchedulingOptions> scheduling, TimeProvider clock) =>
        SetPaused(id, false, http, db, control, scheduling, clock);

    private static async Task<IResult> SetPaused(Guid id, bool paused, HttpContext http, JobsDbContext db, BatchControl control, IOptions<SchedulingOptions> scheduling, TimeProvider clock)
    {
        if (await FindBatch(db, http, id) is null)
        {
            return Missing(id);
        }

        await control.SetPaused(id, paused, http.RequestAborted);
        return await Changed(db, http, id, scheduling, clock);
    }

    private static async Task<IResult> DownloadOutputs(Guid id, HttpContext http, JobsDbContext db, MediaStore store, IOptions<RetentionOptions> retention)
    {
        var batch = await FindBatch(db, http, id);
        if (batch is null)
        {
            return Missing(id);
        }

        var jobs = await db.Jobs.AsNoTracking().Include(j => j.Outputs).Where(j => j.BatchId == id).ToListAsync(http.RequestAborted);
        await BatchOutputs.WriteZip(http, batch, BatchShots.Latest(jobs), store, retention.Value);
        return Results.Empty;
    }

    private static async Task<IResult> GetQueue(HttpContext http, JobsDbContext db, StudioQuotas quotas)
    {
        var tenantId = http.User.TenantId();
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, http.RequestAborted);
        var (caps, usage) = await quotas.Measure(db, tenantId, http.RequestAborted);
        return Results.Ok(BatchViews.Queue(tenant, caps, usage));
    }

    private static async Task<IResult> SetQueuePaused(HttpContext http, JobsDbContext db, StudioQuotas quotas, SchedulerSignal signal, bool paused)
    {
        var tenantId = http.User.TenantId();
        await db.Tenants.Where(t => t.Id == tenantId).ExecuteUpdateAsync(s => s.SetProperty(t => t.QueuePaused, paused), http.RequestAborted);
        if (!paused)
        {
            signal.Notify();
        }

        return await GetQueue(http, db, quotas);
    }

    /// <summary>The batch as it stands after a change (read afresh).</summary>
    private static async Task<IResult> Changed(JobsDbContext db, HttpContext http, Guid id, IOptions<SchedulingOptions> scheduling, TimeProvider clock)
    {
        db.ChangeTracker.Clear();
        return await FindBatch(db, http, id) is { } batch ? Results.Ok(await View(db, batch, scheduling, clock, http)) : Missing(id);
    }

    private static Task<BatchResponse> View(JobsDbContext db, Batch batch, IOptions<SchedulingOptions> scheduling, TimeProvider clock, HttpContext http) =>
        BatchViews.Of(db, batch, scheduling.Value, clock.GetUtcNow(), http.RequestAborted);

    /// <summary>The batch if it belongs to the caller's studio; another studio's is indistinguishable from none.</summary>
    private static Task<Batch?> FindBatch(JobsDbContext db, HttpContext http, Guid id)
    {
        var tenantId = http.User.TenantId();
        return db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id && b.TenantId == tenantId, http.RequestAborted);
    }

    private static IResult Missing(Guid id) => ApiProblems.NotFound($"No batch {id}: list your batches with GET /v1/batches.");
}
