using System.Globalization;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// The studios' deletions (<c>DELETE /v1/jobs/{id}</c>, <c>DELETE /v1/actors/{id}</c>) and what the API answers about what
/// was deleted: 410 Gone with a sentence, for a job or an actor the studio deleted (its deletion record says when) and for
/// the outputs of a job whose media retention removed (docs/retention.md).
/// </summary>
public static class DeletionApi
{
    public static async Task<IResult> DeleteJob(Guid id, HttpContext http, StudioDeletions deletions)
    {
        if (NoParameters(http.Request) is { } refused)
        {
            return refused;
        }

        var outcome = await deletions.DeleteJob(http.User.TenantId(), id, http.RequestAborted);
        return outcome.Status switch
        {
            DeletionStatus.Deleted => Results.Ok(DeletionResponse.From(outcome)),
            DeletionStatus.AlreadyDeleted => ApiProblems.Gone(JobGone(id, outcome.Record!)),
            DeletionStatus.Refused => ApiProblems.Conflict(
                $"Job {id} trained {(outcome.ModelVersion is { } v ? $"version {v} of " : string.Empty)}actor {outcome.ActorId}: its clips are the actor's footage, "
                + $"which retarget jobs onto the actor read. Delete the actor instead (DELETE /v1/actors/{outcome.ActorId}, or 'facepipe actor delete {outcome.ActorId}'), which deletes this job with it."),
            _ => ApiProblems.NotFound($"No job {id}."),
        };
    }

    public static async Task<IResult> DeleteActor(Guid id, HttpContext http, StudioDeletions deletions)
    {
        if (NoParameters(http.Request) is { } refused)
        {
            return refused;
        }

        var outcome = await deletions.DeleteActor(http.User.TenantId(), id, http.RequestAborted);
        return outcome.Status switch
        {
            DeletionStatus.Deleted => Results.Ok(DeletionResponse.From(outcome)),
            DeletionStatus.AlreadyDeleted => ApiProblems.Gone(ActorGone(id, outcome.Record!)),
            _ => ApiProblems.NotFound($"No actor {id}."),
        };
    }

    /// <summary>A job the caller's studio cannot see: 410 when the studio deleted it (with when), else 404.</summary>
    public static async Task<IResult> MissingJob(JobsDbContext db, HttpContext http, Guid id) =>
        await StudioDeletions.Find(db, http.User.TenantId(), DeletionSubjects.Job, id, http.RequestAborted) is { } deletion
            ? ApiProblems.Gone(JobGone(id, deletion))
            : ApiProblems.NotFound($"No job {id}.");

    /// <summary>An actor the caller's studio cannot see: 410 when the studio deleted it (with when), else 404.</summary>
    public static async Task<IResult> MissingActor(JobsDbContext db, HttpContext http, Guid id) =>
        await StudioDeletions.Find(db, http.User.TenantId(), DeletionSubjects.Actor, id, http.RequestAborted) is { } deletion
            ? ApiProblems.Gone(ActorGone(id, deletion))
            : ApiProblems.NotFound($"No actor {id}.");

    public static string JobGone(Guid id, Deletion deletion)
    {
        ArgumentNullException.ThrowIfNull(deletion);
        var how = deletion.JobKind == JobKinds.TrainActor && deletion.ActorId is { } actor
            ? $"with actor {actor}, at your request, on {When(deletion.DeletedAt)}"
            : $"at your request on {When(deletion.DeletedAt)}";
        return $"Job {id} was deleted {how}: its media, its face data and its record are gone (only a deletion record without face data remains).";
    }

    public static string ActorGone(Guid id, Deletion deletion)
    {
        ArgumentNullException.ThrowIfNull(deletion);
        return $"Actor {id} was deleted at your request on {When(deletion.DeletedAt)}: its footage, its models and its training jobs are gone "
            + "(retarget jobs rendered onto it keep their outputs). Create a new actor with POST /v1/actors.";
    }

    /// <summary>The outputs of a job whose media retention deleted: 410 with when, and what the service keeps.</summary>
    public static IResult OutputsExpired(Job job, RetentionOptions retention)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(retention);
        return ApiProblems.Gone(
            $"The inputs and outputs of job {job.Id} were deleted on {When(job.MediaDeletedAt!.Value)}: the service keeps them for {Describe(retention.JobMedia)} after a job ends "
            + "(docs/retention.md). The job's record stays; submit the footage again to produce them.");
    }

    /// <summary>A deletion takes no parameters: a query string (e.g. '?force=true') is refused, never ignored.</summary>
    private static IResult? NoParameters(HttpRequest request) =>
        request.Query.Count == 0 ? null
            : ApiProblems.BadRequest($"DELETE {request.Path} takes no parameters (got {string.Join(", ", request.Query.Keys.Take(5).Select(ApiProblems.Quote))}): send it without a query string.");

    internal static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A duration as a person says it: "30 days", "12 hours", "90 minutes".</summary>
    internal static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? Plural((long)span.TotalDays, "day")
        : span.TotalHours >= 1 && span.Ticks % TimeSpan.TicksPerHour == 0 ? Plural((long)span.TotalHours, "hour")
        : span.TotalMinutes >= 1 && span.Ticks % TimeSpan.TicksPerMinute == 0 ? Plural((long)span.TotalMinutes, "minute")
        : span.ToString("c", CultureInfo.InvariantCulture);

    private static string Plural(long n, string unit) => string.Create(CultureInfo.InvariantCulture, $"{n} {unit}{(n == 1 ? string.Empty : "s")}");
}

/// <summary>What a deletion removed: its record (no face data in it), the jobs cancelled first and, for an actor, its training jobs.</summary>
/// <param name="Deleted">"job" or "actor".</param>
/// <param name="Complete">False when some files could not be deleted at once; the retention sweeper retries them (for Retention:LateWorkWindow).</param>
/// <param name="Files">Files removed by the request in all (for an actor: its models and its training jobs' footage; <paramref name="Jobs"/> gives each job's share).</param>
/// <param name="Message">One sentence saying what was removed.</param>
public sealed record DeletionResponse(
    string Deleted,
    Guid Id,
    string? Kind,
    string Reason,
    DateTimeOffset DeletedAt,
    int Files,
    long Bytes,
    bool Complete,
    IReadOnlyList<Guid> CancelledJobs,
    IReadOnlyList<DeletedJobResponse> Jobs,
    string Message)
{
    public static DeletionResponse From(DeletionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var record = outcome.Record!;
        var jobs = outcome.JobRecords.Select(r => new DeletedJobResponse(r.SubjectId, r.JobKind, r.Files, r.Bytes)).ToList();
        var files = record.Files + jobs.Sum(j => j.Files);
        var bytes = record.Bytes + jobs.Sum(j => j.Bytes);
        var what = record.Subject == DeletionSubjects.Actor
            ? $"Actor {record.SubjectId} was deleted with its {jobs.Count} training job(s)"
            : $"Job {record.SubjectId} was deleted";
        var cancelled = outcome.CancelledJobs.Count == 0 ? string.Empty : $" after cancelling {outcome.CancelledJobs.Count} running job(s)";
        var rest = outcome.Complete
            ? "a deletion record without face data remains."
            : "some files could not be deleted yet and the service's retention sweeper retries them; a deletion record without face data remains.";
        return new DeletionResponse(
            record.Subject,
            record.SubjectId,
            record.JobKind,
            record.Reason,
            record.DeletedAt,
            files,
            bytes,
            outcome.Complete,
            outcome.CancelledJobs,
            jobs,
            string.Create(CultureInfo.InvariantCulture, $"{what}{cancelled}: {files} file(s), {bytes} bytes removed; {rest}"));
    }
}

/// <summary>A training job deleted with its actor, and what it removed (the actor's footage it held).</summary>
public sealed record DeletedJobResponse(Guid Id, string? Kind, int Files, long Bytes);
