using System.Text.Json;
using System.Text.RegularExpressions;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>The file parts an actor submission takes: 'clip', or 'clip-1' … 'clip-8'.</summary>
public static partial class ActorClips
{
    public const int MaxClips = 8;

    /// <summary>The clip name of a file part ('clip' is 'clip-1'), or null when the part is not an actor clip.</summary>
    public static string? NameOf(string part)
    {
        if (part == "clip")
        {
            return "clip-1";
        }

        var match = ClipPart().Match(part);
        return match.Success && int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is >= 1 and <= MaxClips ? $"clip-{match.Groups[1].Value}" : null;
    }

    [GeneratedRegex("^clip-([1-9])$")]
    private static partial Regex ClipPart();
}

/// <summary>Actors: a person's footage, and the versions of their neural renderer trained on it; deleting them (<see cref="DeletionApi"/>).</summary>
public static class ActorsApi
{
    public static WebApplication MapActorsApi(this WebApplication app)
    {
        var actors = app.MapGroup("/v1/actors").RequireAuthorization().WithTags("Actors");
        actors.MapPost("/", CreateActor)
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<ActorSubmissionResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Create an actor from one or more clips ('clip', or 'clip-1' … 'clip-8') and a 'name'; a train-actor job trains model version 1. Optional 'cropSize' (64-512, multiple of 32), 'maxSteps', 'maxMinutes', 'batchSize', 'chunkSize'.");
        actors.MapPost("/{id:guid}/models", TrainModel)
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<ActorSubmissionResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Train the actor's next model version on new clips (same fields as creating an actor, without 'name').");
        actors.MapGet("/", ListActors).WithSummary("The tenant's actors, newest first.");
        actors.MapGet("/{id:guid}", GetActor).WithSummary("An actor with its model versions: state, progress, quality on held-out frames, the warp renderer's baseline.");
        actors.MapDelete("/{id:guid}", DeletionApi.DeleteActor)
            .Produces<DeletionResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .WithSummary("Delete an actor at once: cancels its running training (and running retargets onto it), removes its footage (its training jobs' media and records) and its models, and keeps deletion records without face data. Retarget jobs rendered onto it keep their outputs. Afterwards the actor answers 410.");
        return app;
    }

    private static async Task<IResult> CreateActor(HttpRequest request, MediaStore store, JobsDbContext db, JobSubmission submission, IOptions<IngestOptions> options, CancellationToken cancellationToken) =>
        await Submit(request, store, db, submission, options.Value, null, cancellationToken);

    private static async Task<IResult> TrainModel(Guid id, HttpRequest request, MediaStore store, JobsDbContext db, JobSubmission submission, IOptions<IngestOptions> options, CancellationToken cancellationToken)
    {
        var tenantId = request.HttpContext.User.TenantId();
        var actor = await db.Actors.SingleOrDefaultAsync(a => a.Id == id && a.TenantId == tenantId, cancellationToken);
        return actor is null ? await DeletionApi.MissingActor(db, request.HttpContext, id) : await Submit(request, store, db, submission, options.Value, actor, cancellationToken);
    }

    private static async Task<IResult> Submit(HttpRequest request, MediaStore store, JobsDbContext db, JobSubmission submission, IngestOptions options, Actor? actor, CancellationToken cancellationToken)
    {
        var jobId = Guid.NewGuid();
        Job? job = null;
        try
        {
            (var answer, job) = await Train(request, jobId, store, db, submission, options, actor, cancellationToken);
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

    private static async Task<(IResult Answer, Job? Job)> Train(
        HttpRequest request, Guid jobId, MediaStore store, JobsDbContext db, JobSubmission submission, IngestOptions options, Actor? actor, CancellationToken cancellationToken)
    {
        if (IngestApi.QueryRefusal(request) is { } misplaced)
        {
            return (misplaced, null);
        }

        ClipUploadResult upload;
        try
        {
            upload = await ClipUpload.ReadAsync(
                request,
                store,
                (part, ext) => ActorClips.NameOf(part) is { } name ? MediaKeys.Input(jobId, name, ext) : null,
                actor is null ? JobRequests.ActorFields : JobRequests.ActorModelFields,
                options.MaxUploadBytes,
                cancellationToken);
        }
        catch (UploadRejectedException ex)
        {
            return (ApiProblems.Answer(ex.StatusCode, ex.Message), null);
        }

        var (settings, problem) = JobRequests.Training(upload);
        var name = upload.Fields.GetValueOrDefault("name")?.Trim();
        var (chunkSize, chunkProblem) = JobRequests.ChunkSize(upload, options.ChunkSize);
        if (actor is null && (string.IsNullOrEmpty(name) || name.Length > 200))
        {
            problem = string.Join(" ", new[] { "Name the actor in the 'name' field (1 to 200 characters).", problem }.Where(p => p is not null));
        }

        if (chunkProblem is not null)
        {
            problem = string.Join(" ", new[] { problem, chunkProblem }.Where(p => p is not null));
        }

        if (problem is not null || settings is null)
        {
            return (ApiProblems.BadRequest(problem ?? "The submission was not understood."), null);
        }

        actor ??= new Actor { Id = Guid.NewGuid(), TenantId = request.HttpContext.User.TenantId(), Name = name! };
        var clips = upload.Clips.Select(c => new ClipInput(ActorClips.NameOf(c.Part)!, c.FileName, c.StoredKey, c.Bytes)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var (job, model) = await submission.SubmitTrainActorJob(db, jobId, actor, clips, chunkSize, settings, cancellationToken);
        return (Results.Accepted($"/v1/actors/{actor.Id}", new ActorSubmissionResponse(actor.Id, model.Version, job.Id, $"/v1/jobs/{job.Id}")), job);
    }

    private static async Task<IResult> ListActors(HttpContext http, JobsDbContext db)
    {
        var tenantId = http.User.TenantId();
        var actors = await db.Actors.AsNoTracking().Where(a => a.TenantId == tenantId).Include(a => a.Models)
            .OrderByDescending(a => a.CreatedAt).ToListAsync(http.RequestAborted);
        return Results.Ok(actors.Select(ActorResponse.From).ToList());
    }

    private static async Task<IResult> GetActor(Guid id, HttpContext http, JobsDbContext db)
    {
        var tenantId = http.User.TenantId();
        var actor = await db.Actors.AsNoTracking().Include(a => a.Models).SingleOrDefaultAsync(a => a.Id == id && a.TenantId == tenantId, http.RequestAborted);
        return actor is null ? await DeletionApi.MissingActor(db, http, id) : Results.Ok(ActorResponse.From(actor));
    }
}

/// <summary>What creating an actor or training a new version started.</summary>
public sealed record ActorSubmissionResponse(Guid ActorId, int Version, Guid JobId, string JobUrl);

/// <summary>An actor with its model versions (newest first) and the latest ready one.</summary>
public sealed record ActorResponse(Guid Id, string Name, DateTimeOffset CreatedAt, int? LatestReadyVersion, IReadOnlyList<ActorModelResponse> Models)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ActorResponse From(Actor actor) => new(
        actor.Id,
        actor.Name,
        actor.CreatedAt,
        actor.Models.Where(m => m.State == ActorModelState.Ready).Select(m => (int?)m.Version).Max(),
        [.. actor.Models.OrderByDescending(m => m.Version).Select(m => new ActorModelResponse(
            m.Version,
            m.State.ToString().ToLowerInvariant(),
            m.JobId,
            m.Step,
            m.MaxSteps,
            m.TrainingSeconds,
            JobSettings.Training(m.Settings),
            m.Metrics is { } metrics ? JsonSerializer.Deserialize<ModelMetrics>(metrics, Json) : null,
            m.CreatedAt,
            m.CompletedAt,
            m.State == ActorModelState.Ready ? $"/v1/jobs/{m.JobId}/outputs/{ActorModelFiles.Preview}" : null))]);
}

/// <summary>A model version: state, steps, settings, figures (latest losses, held-out quality, warp baseline) and its preview picture.</summary>
public sealed record ActorModelResponse(
    int Version,
    string State,
    Guid JobId,
    int Step,
    int MaxSteps,
    double TrainingSeconds,
    TrainingSettings Settings,
    ModelMetrics? Metrics,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    string? PreviewUrl);
