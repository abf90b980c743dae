using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// render (track): the QC clip, the tracking data and the blendshape curves. The QC clip is cut into segments
/// (<see cref="RenderSegments"/>), one <see cref="RenderQcSegment"/> each, rendered by any number of Rendering workers
/// at once; when every segment is in, one <see cref="RenderTrackOutputs"/> joins them without re-encoding (the audio
/// muxed once) and writes the tracking data and the curves. Progress counts each segment's frames. A segment whose
/// worker died is delivered again (and re-sent by the watchdog when nothing moves): only that segment is lost.
/// A clip that ran the single-decode pass (<see cref="JobClip.OnePass"/>) has its segments planned and encoded by the
/// reconstruct step already, one per chunk: this step then only joins them.
/// </summary>
public sealed class RenderTrackOutputsStep : PipelineStep<RenderTrackOutputs, TrackOutputsRendered>
{
    /// <summary>The segmented output: the QC clip.</summary>
    public const string QcOutput = "qc";

    public override string Name => StageNames.Render;

    public override JobState RunningState => JobState.Rendering;

    public override IReadOnlyList<Type> Commands => [typeof(RenderQcSegment), typeof(RenderTrackOutputs)];

    public override IReadOnlyList<Type> Completions => [typeof(QcSegmentRendered), typeof(TrackOutputsRendered)];

    public override Type? Progress => typeof(OutputsRenderProgressed);

    /// <summary>Frames rendered so far, summed over the segments (a late report never moves a segment back).</summary>
    public override Task<StepOutcome> Report(StepContext context, object message) =>
        SegmentedRender.Report(context, Name, QcOutput, (OutputsRenderProgressed)message);

    /// <summary>
    /// Plans the segments (once) and sends what is outstanding: the segments not rendered yet, or, when all are, the
    /// join. The watchdog calls it again for a stalled job: it re-sends only that.
    /// </summary>
    public override async Task Start(StepContext context)
    {
        var job = context.Job;
        var render = context.Run(Name);
        render.FramesTotal = job.FrameCount ?? 0;
        var source = await context.ClipTrack(ClipNames.Source);
        var segments = await SegmentedRender.PlanAsync(context, QcOutput, source.Video.FrameCount, ".nut");
        render.FramesDone = RenderSegments.FramesDone(segments);
        if (segments.All(s => s.Rendered))
        {
            SendJoin(context, source, segments);
            return;
        }

        foreach (var segment in segments.Where(s => !s.Rendered))
        {
            context.Send(new RenderQcSegment(
                job.Id,
                segment.Index,
                segment.FirstFrame,
                segment.FrameCount,
                source.SourceKey,
                source.Video,
                source.TimelineKey,
                source.SequenceKey ?? throw new InvalidOperationException($"Job {job.Id}: rendering starts after the sequence is built."),
                segment.Key));
        }
    }

    /// <summary>A segment is in; the last one sends the join (exactly once: each segment is counted once).</summary>
    protected override async Task<StepOutcome> CompleteFollowUp(StepContext context, object message)
    {
        var (outcome, allIn, segments) = await SegmentedRender.Rendered(context, Name, QcOutput, ((QcSegmentRendered)message).Segment);
        if (allIn)
        {
            SendJoin(context, await context.ClipTrack(ClipNames.Source), segments);
        }

        return outcome;
    }

    protected override Task<StepOutcome> Complete(StepContext context, TrackOutputsRendered message)
    {
        context.AddOutput(OutputNames.QcClip, message.QcClipKey);
        context.AddOutput(OutputNames.Tracking, message.TrackingKey);
        context.AddOutput(OutputNames.TrackingBinary, message.TrackingBinaryKey);
        if (message.BlendshapesCsvKey is { } csv && message.BlendshapesJsonKey is { } json)
        {
            context.AddOutput(OutputNames.BlendshapesCsv, csv);
            context.AddOutput(OutputNames.BlendshapesJson, json);
        }

        return Task.FromResult(StepOutcome.Done);
    }

    private static void SendJoin(StepContext context, ClipTrack source, IReadOnlyList<JobSegment> segments)
    {
        var job = context.Job;
        context.Send(new RenderTrackOutputs(
            job.Id,
            job.InputFileName,
            source.SourceKey,
            source.Video,
            source.Chunks,
            source.TimelineKey,
            source.AudioKey,
            MediaKeys.Output(job.Id, OutputNames.QcClip),
            MediaKeys.Output(job.Id, OutputNames.Tracking),
            MediaKeys.Output(job.Id, OutputNames.TrackingBinary),
            job.NeutralFrame,
            source.SequenceKey,
            SegmentedRender.Joined(segments)));
    }
}
