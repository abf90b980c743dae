using System.Diagnostics;
using System.Diagnostics.Metrics;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>Job-level metrics: how many end and how, how long they took (meter "FacePipeline").</summary>
public static class JobMetrics
{
    private static readonly Meter Meter = new("FacePipeline");

    private static readonly Counter<long> Ended = Meter.CreateCounter<long>("facepipe.jobs.ended", "jobs", "Jobs that ended, by kind, state and (for failures) stage.");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("facepipe.jobs.duration", "s", "Time from submission to the end of a job, by kind and state.");

    public static void Record(Job job)
    {
        var tags = new TagList
        {
            { "kind", job.Kind },
            { "state", job.State.ToString().ToLowerInvariant() },
        };
        if (job.FailedStage is { } stage)
        {
            tags.Add("failed_stage", stage);
            tags.Add("reason", job.FailureCode ?? FacePipeline.Contracts.FailureCodes.Internal);
        }

        Ended.Add(1, tags);
        if (job.CompletedAt is { } end)
        {
            Duration.Record((end - job.CreatedAt).TotalSeconds, tags);
        }
    }
}
