using System.Globalization;

namespace FacePipeline.Cli.Progress;

/// <summary>A batch and its shots in one line each, as <c>facepipe batch status</c> and the line progress print them.</summary>
public static class BatchText
{
    public static string Summary(BatchView b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return $"batch {b.Id} ({b.Name}): {b.State}{(b.Paused ? ", paused" : string.Empty)}; {b.Counts.Queued} queued, {b.Counts.Running} running, {b.Counts.Completed} completed, {b.Counts.Failed} failed, {b.Counts.Cancelled} cancelled of {b.ShotCount}" +
            (b.EtaSeconds is { } eta && !b.Ended ? $"; ETA {FacePipeline.Orchestration.Batches.BatchEta.Describe(eta)}" : string.Empty);
    }

    public static string Line(ShotView s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return ($"  {s.Index,4} {s.Shot,-24} {s.State,-14}" +
            (s.Stage is { } stage ? string.Create(CultureInfo.InvariantCulture, $" {stage}{(s.FramesTotal > 0 ? $" {s.FramesDone}/{s.FramesTotal}" : string.Empty)}") : string.Empty) +
            (s.Failure is { } f ? $" ({f.Code}): {f.Reason}" : string.Empty) +
            (s.Attempts > 1 ? $" [attempt {s.Attempts}]" : string.Empty)).TrimEnd();
    }
}
