using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Persistence;
using FacePipeline.Storage;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// The source's start timecode, which extraction keeps in the clip's timeline.json (<c>FrameTimeline.StartTimecode</c>,
/// <c>HH:MM:SS:FF</c>, <c>;</c> before the frames for drop-frame) and every output starts at (docs/outputs.md). Read
/// for GET /v1/jobs/{id} only: a list of jobs does not open a file per job.
/// </summary>
public static class SourceTimecode
{
    /// <summary>The job's answer with its video's <c>startTimecode</c> when its timeline has one; else as it was.</summary>
    public static async Task<JobResponse> With(JobResponse response, Job job, MediaStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(store);
        if (response.Video is null || job.TimelineKey is null || job.MediaDeletedAt is not null || !store.Exists(job.TimelineKey))
        {
            return response;
        }

        try
        {
            await using var stream = store.OpenRead(job.TimelineKey);
            var timeline = await JsonSerializer.DeserializeAsync<TimelineStart>(stream, cancellationToken: cancellationToken);
            return timeline?.StartTimecode is { Length: > 0 } start ? response with { Video = response.Video with { StartTimecode = start } } : response;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return response; // deleted meanwhile, or not a timeline this service reads: no timecode to show, the job as it is
        }
    }

    /// <summary>The one field of timeline.json read here (the per-frame times are skipped, not kept).</summary>
    private sealed record TimelineStart([property: JsonPropertyName("startTimecode")] string? StartTimecode);
}
