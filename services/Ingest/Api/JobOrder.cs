using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// A track or retarget job request checked as <c>POST /v1/jobs</c> checks it, ready to be created: its kind, chunk size and
/// settings, and for a retarget onto an actor the model it is rendered by. The same check serves a batch's rows
/// (<see cref="BatchSubmission"/>), so a row is refused exactly as the same fields sent to the single-job endpoint.
/// </summary>
/// <param name="Class">The job's class when the request names one ('class'); null: the single job's default (interactive) or the batch's.</param>
/// <param name="Priority">The job's priority when the request names one ('priority'); null: the default (0) or the batch's.</param>
public sealed record JobOrder(string Kind, int ChunkSize, TrackOptions? Track, RetargetSettings? Retarget, ActorModel? Model, JobPriorityClass? Class = null, int? Priority = null)
{
    /// <summary>
    /// Checks the fields and clips of <paramref name="upload"/> (the form's, or a batch row's): the order, or one
    /// problem sentence (several problems joined). Reads the actor's models when the request names an actor.
    /// </summary>
    public static async Task<(JobOrder? Order, string? Problem)> Check(
        ClipUploadResult upload, Guid tenantId, JobsDbContext db, IEnumerable<string> kinds, int defaultChunkSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var kind = upload.Fields.GetValueOrDefault("kind", JobKinds.Track).ToLowerInvariant();
        if (kind != JobKinds.Track && kind != JobKinds.Retarget)
        {
            return (null, kind == JobKinds.TrainActor
                ? "Train-actor jobs are created through POST /v1/actors (or /v1/actors/{id}/models)."
                : $"Unknown job kind {ApiProblems.Quote(kind)}. Kinds: {string.Join(", ", kinds.Where(k => k != JobKinds.TrainActor))} (actors: POST /v1/actors).");
        }

        var (order, problem) = await CheckSettings(upload, kind, tenantId, db, defaultChunkSize, cancellationToken);
        var (priorityClass, priority, placementProblem) = JobRequests.Placement(upload.Fields);
        return order is null || placementProblem is not null
            ? (null, Join(problem, placementProblem))
            : (order with { Class = priorityClass, Priority = priority }, null);
    }

    private static async Task<(JobOrder? Order, string? Problem)> CheckSettings(
        ClipUploadResult upload, string kind, Guid tenantId, JobsDbContext db, int defaultChunkSize, CancellationToken cancellationToken)
    {
        var (chunkSize, chunkProblem) = JobRequests.ChunkSize(upload, defaultChunkSize);
        if (kind == JobKinds.Track)
        {
            var (track, problem) = JobRequests.Track(upload);
            return track is null || chunkProblem is not null ? (null, Join(problem, chunkProblem)) : (new JobOrder(kind, chunkSize, track, null, null), null);
        }

        var (settings, refusal) = JobRequests.Retarget(upload);
        if (settings is null || chunkProblem is not null)
        {
            return (null, Join(refusal, chunkProblem));
        }

        if (!upload.Fields.TryGetValue("actor", out var actorField))
        {
            return (new JobOrder(kind, chunkSize, null, settings, null), null);
        }

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
                return (null, $"Actor {actorId} was deleted on {DeletionApi.When(deleted.DeletedAt)}: retarget onto another actor, or send a target clip.");
            }

            return (null, models.Count == 0
                ? $"No actor {actorId} (or it has no model yet): create one with POST /v1/actors."
                : $"Actor {actorId} has no ready model{(version is null ? string.Empty : $" version {version}")} (versions: {string.Join(", ", models.OrderBy(m => m.Version).Select(m => $"{m.Version} {m.State.ToString().ToLowerInvariant()}"))}).");
        }

        // The actor's footage (the target) is measured already: a target neutral frame beyond it is refused now.
        return await ActorFootageMisfit(db, model, settings, cancellationToken) is { } misfit
            ? (null, misfit)
            : (new JobOrder(kind, chunkSize, null, settings, model), null);
    }

    /// <summary>Creates the job from the clips of <paramref name="upload"/> (stored under the job's own prefix), where <paramref name="placement"/> says.</summary>
    public async Task<Job> Submit(
        JobSubmission submission, JobsDbContext db, Guid jobId, Guid tenantId, ClipUploadResult upload, CancellationToken cancellationToken, JobPlacement? placement = null)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(upload);
        placement ??= JobPlacement.Interactive;
        placement = placement with { Class = Class ?? placement.Class, Priority = Priority ?? placement.Priority };
        if (Track is not null)
        {
            var clip = upload.Clips[0];
            return await submission.SubmitTrackJob(db, jobId, tenantId, clip.FileName, clip.StoredKey, clip.Bytes, ChunkSize, cancellationToken, Track, placement);
        }

        var source = Input(upload, ClipNames.Source);
        if (Model is not null)
        {
            return await submission.SubmitRetargetOntoActor(db, jobId, tenantId, source, Model, ChunkSize, Retarget!, cancellationToken, placement);
        }

        return await submission.SubmitRetargetJob(db, jobId, tenantId, source, Input(upload, ClipNames.Target), ChunkSize, Retarget!, cancellationToken, placement);
    }

    private static ClipInput Input(ClipUploadResult upload, string part)
    {
        var clip = upload.Clip(part)!;
        return new ClipInput(part, clip.FileName, clip.StoredKey, clip.Bytes);
    }

    private static string Join(params string?[] problems) =>
        string.Join(" ", problems.OfType<string>()) is { Length: > 0 } joined ? joined : "The submission was not understood.";

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
}
