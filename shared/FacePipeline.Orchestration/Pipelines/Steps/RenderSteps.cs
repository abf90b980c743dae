using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>What the two render steps share: how a render's progress moves its stage.</summary>
internal static class RenderSteps
{
    public static StepOutcome Report(JobStage render, OutputsRenderProgressed progress)
    {
        var frames = render.FramesTotal > 0 ? Math.Min(progress.FramesRendered, render.FramesTotal) : progress.FramesRendered;
        if (frames <= render.FramesDone) // the coordinator hands over reports only while the stage runs
        {
            return StepOutcome.Stale;
        }

        render.FramesDone = frames;
        return StepOutcome.Progressed;
    }
}

/// <summary>
/// What the segmented render steps share (issue 16): an output planned once into <see cref="RenderSegments"/>, each
/// segment's progress and completion counted once, and the render's progress the segments' sum.
/// </summary>
internal static class SegmentedRender
{
    /// <summary>
    /// The output's segments, planned (once, for <paramref name="frameCount"/> frames, each keyed by
    /// <see cref="MediaKeys.Segment"/> with <paramref name="extension"/>) when the step first starts.
    /// </summary>
    public static async Task<IReadOnlyList<JobSegment>> PlanAsync(StepContext context, string output, int frameCount, string extension)
    {
        var segments = await context.Segments(output);
        if (segments.Count > 0)
        {
            return segments;
        }

        var job = context.Job;
        foreach (var (index, (first, count)) in RenderSegments.Plan(frameCount).Index())
        {
            context.AddSegment(new JobSegment
            {
                JobId = job.Id,
                Output = output,
                Index = index,
                FirstFrame = first,
                FrameCount = count,
                Key = MediaKeys.Segment(job.Id, output, index, extension),
            });
        }

        return await context.Segments(output);
    }

    /// <summary>A segment's progress report: its frames so far (a late report never moves a segment back), the stage's the sum.</summary>
    public static async Task<StepOutcome> Report(StepContext context, string stage, string output, OutputsRenderProgressed progress)
    {
        if (progress.Segment is not { } index)
        {
            return RenderSteps.Report(context.Stage(stage), progress);
        }

        var segments = await context.Segments(output);
        var segment = segments.FirstOrDefault(s => s.Index == index);
        if (segment is null || segment.Rendered || progress.FramesRendered <= segment.FramesDone)
        {
            return StepOutcome.Stale;
        }

        segment.FramesDone = Math.Min(progress.FramesRendered, segment.FrameCount);
        context.Stage(stage).FramesDone = RenderSegments.FramesDone(segments);
        return StepOutcome.Progressed;
    }

    /// <summary>
    /// Segment <paramref name="index"/> is in: counted once (a redelivered result is <see cref="StepOutcome.Stale"/>).
    /// <c>AllIn</c> is true for exactly the result that completed the last segment: the one that sends the join.
    /// </summary>
    public static async Task<(StepOutcome Outcome, bool AllIn, IReadOnlyList<JobSegment> Segments)> Rendered(StepContext context, string stage, string output, int index)
    {
        var segments = await context.Segments(output);
        var segment = segments.FirstOrDefault(s => s.Index == index);
        if (segment is null || segment.Rendered)
        {
            return (StepOutcome.Stale, false, segments);
        }

        segment.Rendered = true;
        segment.FramesDone = segment.FrameCount;
        segment.RenderedAt = context.Now;
        context.Stage(stage).FramesDone = RenderSegments.FramesDone(segments);
        return (StepOutcome.Progressed, segments.All(s => s.Rendered), segments);
    }

    /// <summary>The segments as the join's command lists them.</summary>
    public static RenderedSegment[] Joined(IEnumerable<JobSegment> segments) =>
        [.. segments.OrderBy(s => s.FirstFrame).Select(s => new RenderedSegment(s.Index, s.FirstFrame, s.FrameCount, s.Key))];
}
