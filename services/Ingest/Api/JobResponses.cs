using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;

namespace FacePipeline.Ingest.Api;

/// <summary>A job as the API shows it.</summary>
public sealed record JobResponse(
    Guid Id,
    string Kind,
    string State,
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
    IReadOnlyList<OutputResponse> Outputs)
{
    public static JobResponse From(Job job, DateTimeOffset now) => new(
        job.Id,
        job.Kind,
        job.State.ToString().ToLowerInvariant(),
        job.InputFileName,
        job.InputBytes,
        job.CreatedAt,
        job.UpdatedAt,
        job.CompletedAt,
        ((job.CompletedAt ?? now) - job.CreatedAt).TotalSeconds,
        job.FailureReason is null ? null : new JobFailureResponse(job.FailedStage, job.FailureCode, job.FailureReason),
        job.Width is null ? null : new VideoResponse(job.Width.Value, job.Height!.Value, job.FrameRate!, job.FrameCount!.Value, job.DurationSeconds!.Value, job.HasAudio ?? false),
        [.. job.Clips.OrderBy(c => c.Name == ClipNames.Source ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => new ClipResponse(
            c.Name,
            c.InputFileName,
            c.InputBytes,
            c.Width is null ? null : new VideoResponse(c.Width.Value, c.Height!.Value, c.FrameRate!, c.FrameCount!.Value, c.DurationSeconds!.Value, c.HasAudio ?? false)))],
        job.ActorId,
        job.Kind switch
        {
            JobKinds.Retarget => JobSettings.Retarget(job),
            JobKinds.TrainActor => JobSettings.Training(job.Settings),
            _ => null,
        },
        [.. job.Stages.OrderBy(s => s.Order).Select(s => new StageResponse(
            s.Name,
            s.State.ToString().ToLowerInvariant(),
            s.FramesDone,
            s.FramesTotal,
            s.StartedAt,
            s.CompletedAt,
            s.StartedAt is null ? null : ((s.CompletedAt ?? now) - s.StartedAt.Value).TotalSeconds))],
        [.. job.Outputs.OrderBy(o => o.Name).Select(o => new OutputResponse(o.Name, o.ContentType, $"/v1/jobs/{job.Id}/outputs/{o.Name}"))]);
}

/// <param name="Code">A short, stable category (e.g. "no-video", "no-face", "internal-error").</param>
public sealed record JobFailureResponse(string? Stage, string? Code, string Reason);

public sealed record VideoResponse(int Width, int Height, string FrameRate, int FrameCount, double DurationSeconds, bool HasAudio);

/// <summary>An input clip of the job: its role (source, target), file name, size and, once extracted, its video facts.</summary>
public sealed record ClipResponse(string Name, string FileName, long Bytes, VideoResponse? Video);

public sealed record StageResponse(string Name, string State, int FramesDone, int FramesTotal, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, double? Seconds);

public sealed record OutputResponse(string Name, string ContentType, string Url);

public sealed record JobPageResponse(IReadOnlyList<JobResponse> Items, int Page, int PageSize, int Total);

public sealed record ErrorResponse(string Error);
