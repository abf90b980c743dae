using FacePipeline.Contracts;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;

namespace FacePipeline.Ingest.Api;

/// <summary>A job as the API shows it.</summary>
/// <param name="Ended">Completed, failed or cancelled: nothing about the job changes any more.</param>
/// <param name="MediaDeletedAt">When the job's inputs and outputs were deleted (retention, docs/retention.md); its outputs then answer 410.</param>
/// <param name="MediaKeptUntil">An ended track or retarget job: when its inputs and outputs will be deleted (its end plus Retention:JobMedia); null while it runs, once deleted, and for a train-actor job (the actor's footage, kept as long as the actor).</param>
/// <param name="Class">interactive or overnight (docs/batches.md, "Scheduling rules").</param>
/// <param name="Priority">Its order within its class, -50 (last) to 50 (first).</param>
/// <param name="StartedAt">When the scheduler started it; null while it is queued.</param>
/// <param name="BatchId">The batch it is a shot of, if any, with its shot name.</param>
public sealed record JobResponse(
    Guid Id,
    string Kind,
    string State,
    bool Ended,
    string InputFileName,
    long InputBytes,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    double? ElapsedSeconds,
    JobFailureResponse? Failure,
    VideoResponse? Video,
    IReadOnlyList<ClipResponse> Clips,
    Guid? ActorId,
    object? Settings,
    IReadOnlyList<StageResponse> Stages,
    IReadOnlyList<OutputResponse> Outputs,
    DateTimeOffset? MediaDeletedAt,
    DateTimeOffset? MediaKeptUntil,
    string Class,
    int Priority,
    DateTimeOffset? StartedAt,
    Guid? BatchId,
    string? ShotName)
{
    /// <summary>The job as the API shows it; its settings and each stage's unit come from its kind's pipeline.</summary>
    public static JobResponse From(Job job, JobPipelines pipelines, DateTimeOffset now, RetentionOptions? retention = null) => From(job, pipelines.For(job.Kind), now, retention);

    public static JobResponse From(Job job, JobPipeline pipeline, DateTimeOffset now, RetentionOptions? retention = null) => new(
        job.Id,
        job.Kind,
        job.State.ToString().ToLowerInvariant(),
        job.IsTerminal,
        job.InputFileName,
        job.InputBytes,
        job.CreatedAt,
        job.UpdatedAt,
        job.CompletedAt,
        ((job.CompletedAt ?? now) - job.CreatedAt).TotalSeconds,
        job.FailureReason is null ? null : new JobFailureResponse(job.FailedStage, job.FailureCode, job.FailureReason, job.FailureCorrelationId),
        job.Width is null ? null : new VideoResponse(job.Width.Value, job.Height!.Value, job.FrameRate!, job.FrameCount!.Value, job.DurationSeconds!.Value, job.HasAudio ?? false),
        [.. job.Clips.OrderBy(c => c.Name == ClipNames.Source ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => new ClipResponse(
            c.Name,
            c.InputFileName,
            c.InputBytes,
            c.Width is null ? null : new VideoResponse(c.Width.Value, c.Height!.Value, c.FrameRate!, c.FrameCount!.Value, c.DurationSeconds!.Value, c.HasAudio ?? false)))],
        job.ActorId,
        pipeline.Settings(job),
        [.. job.Stages.OrderBy(s => s.Order).Select(s => new StageResponse(
            s.Name,
            s.State.ToString().ToLowerInvariant(),
            pipeline.Step(s.Name)?.Unit ?? ProgressUnits.Frames,
            s.FramesDone,
            s.FramesTotal,
            s.StartedAt,
            s.CompletedAt,
            s.StartedAt is null ? null : ((s.CompletedAt ?? now) - s.StartedAt.Value).TotalSeconds))],
        [.. job.Outputs.OrderBy(o => o.Name).Select(o => new OutputResponse(o.Name, o.ContentType, $"/v1/jobs/{job.Id}/outputs/{o.Name}"))],
        job.MediaDeletedAt,
        KeptUntil(job, retention),
        job.PriorityClass.ToString().ToLowerInvariant(),
        job.Priority,
        job.StartedAt,
        job.BatchId,
        job.ShotName);

    private static DateTimeOffset? KeptUntil(Job job, RetentionOptions? retention) =>
        retention is not null && job.IsTerminal && job.MediaDeletedAt is null && !RetentionKeys.IsActorFootage(job.Kind) && job.CompletedAt is { } ended
            ? ended + retention.JobMedia
            : null;
}

/// <param name="Code">A short, stable category, one of <see cref="FailureCodes"/> (e.g. "no-video", "no-face", "internal-error"; docs/api.md lists them).</param>
/// <param name="CorrelationId">A server fault's id, which the logs and traces carry: quote it when reporting the job.</param>
public sealed record JobFailureResponse(string? Stage, string? Code, string Reason, string? CorrelationId);

/// <param name="FrameRate">The exact rate as a fraction, e.g. "30000/1001".</param>
/// <param name="StartTimecode">The source's first frame's SMPTE timecode (HH:MM:SS:FF, HH:MM:SS;FF drop-frame), where the
/// outputs start; in GET /v1/jobs/{id} only, null when the source has none or in a list.</param>
public sealed record VideoResponse(int Width, int Height, string FrameRate, int FrameCount, double DurationSeconds, bool HasAudio, string? StartTimecode = null);

/// <summary>An input clip of the job: its role (source, target), file name, size and, once extracted, its video facts.</summary>
public sealed record ClipResponse(string Name, string FileName, long Bytes, VideoResponse? Video);

/// <param name="Unit">What <paramref name="FramesDone"/> and <paramref name="FramesTotal"/> count: "frames", or "steps" for training.</param>
public sealed record StageResponse(string Name, string State, string Unit, int FramesDone, int FramesTotal, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, double? Seconds);

public sealed record OutputResponse(string Name, string ContentType, string Url);

public sealed record JobPageResponse(IReadOnlyList<JobResponse> Items, int Page, int PageSize, int Total);
