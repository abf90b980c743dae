using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// render (retarget): the result, the review clip, the curves, the QC report and the compositing outputs asked for (the
/// matte, ProRes 4444 with alpha, DNxHR HQ), from the transfer document; by the actor's neural renderer when the job
/// retargets onto an actor's model, else by the warp renderer. The output frames are cut into segments
/// (<see cref="RenderSegments"/>), one <see cref="RenderRetargetSegment"/> each, rendered by any number of Rendering
/// workers at once (every clip's segment and the QC's re-tracking of its frames); when every segment is in, one
/// <see cref="RenderRetargetOutputs"/> joins the clips without re-encoding (the audio muxed once), assesses the QC and
/// writes the curves. Progress counts each segment's frames; a killed worker loses only its segment.
/// </summary>
public sealed class RenderRetargetOutputsStep : PipelineStep<RenderRetargetOutputs, RetargetOutputsRendered>
{
    /// <summary>The segmented output: every clip of the retarget, a folder per segment.</summary>
    public const string SegmentedOutput = "retarget";

    public override string Name => StageNames.Render;

    public override JobState RunningState => JobState.Rendering;

    public override IReadOnlyList<Type> Commands => [typeof(RenderRetargetSegment), typeof(RenderRetargetOutputs)];

    public override IReadOnlyList<Type> Completions => [typeof(RetargetSegmentRendered), typeof(RetargetOutputsRendered)];

    public override Type? Progress => typeof(OutputsRenderProgressed);

    /// <summary>Frames rendered so far, summed over the segments (a late report never moves a segment back).</summary>
    public override Task<StepOutcome> Report(StepContext context, object message) =>
        SegmentedRender.Report(context, Name, SegmentedOutput, (OutputsRenderProgressed)message);

    /// <summary>
    /// Plans the segments (once) and sends what is outstanding: the segments not rendered yet, or, when all are, the
    /// join. The watchdog calls it again for a stalled job: it re-sends only that. A result without frames is rendered
    /// in one piece.
    /// </summary>
    public override async Task Start(StepContext context)
    {
        var render = context.Run(Name);
        render.FramesTotal = context.Stage(StageNames.Transfer).FramesTotal; // the result's frames
        var outputs = await Outputs(context, segments: null);
        var segments = await SegmentedRender.PlanAsync(context, SegmentedOutput, render.FramesTotal, extension: string.Empty);
        render.FramesDone = RenderSegments.FramesDone(segments);
        if (segments.All(s => s.Rendered))
        {
            context.Send(segments.Count == 0 ? outputs : outputs with { Segments = SegmentedRender.Joined(segments) });
            return;
        }

        foreach (var segment in segments.Where(s => !s.Rendered))
        {
            context.Send(new RenderRetargetSegment(context.Job.Id, segment.Index, segment.FirstFrame, segment.FrameCount, outputs, segment.Key));
        }
    }

    /// <summary>A segment is in; the last one sends the join (exactly once: each segment is counted once).</summary>
    protected override async Task<StepOutcome> CompleteFollowUp(StepContext context, object message)
    {
        var (outcome, allIn, segments) = await SegmentedRender.Rendered(context, Name, SegmentedOutput, ((RetargetSegmentRendered)message).Segment);
        if (allIn)
        {
            context.Send(await Outputs(context, SegmentedRender.Joined(segments)));
        }

        return outcome;
    }

    /// <summary>What the render writes, and where (the join's command; each segment's carries it without segments).</summary>
    private static async Task<RenderRetargetOutputs> Outputs(StepContext context, IReadOnlyList<RenderedSegment>? segments)
    {
        var job = context.Job;
        var settings = JobSettings.Retarget(job);
        return new RenderRetargetOutputs(
            job.Id,
            await context.ClipTrack(ClipNames.Source),
            await context.ClipTrack(ClipNames.Target),
            settings,
            context.OutputKey(OutputNames.Transfer),
            MediaKeys.Output(job.Id, OutputNames.Result),
            MediaKeys.Output(job.Id, OutputNames.Review),
            settings.ProRes ? MediaKeys.Output(job.Id, OutputNames.ResultProRes) : null,
            job.ActorId is { } actor && settings.ActorModelVersion is { } version ? MediaKeys.ActorModel(actor, version, ActorModelFiles.Generator) : null,
            MediaKeys.Output(job.Id, OutputNames.Qc),
            settings.Matte ? MediaKeys.Output(job.Id, OutputNames.Matte) : null,
            settings.ProRes4444 ? MediaKeys.Output(job.Id, OutputNames.ResultProRes4444) : null,
            settings.Dnxhr ? MediaKeys.Output(job.Id, OutputNames.ResultDnxhr) : null,
            segments);
    }

    protected override Task<StepOutcome> Complete(StepContext context, RetargetOutputsRendered message)
    {
        context.AddOutput(OutputNames.Result, message.ResultKey);
        context.AddOutput(OutputNames.Review, message.ReviewKey);
        if (message.ProResKey is { } proRes)
        {
            context.AddOutput(OutputNames.ResultProRes, proRes);
        }

        if (message.MatteKey is { } matte)
        {
            context.AddOutput(OutputNames.Matte, matte);
        }

        if (message.ProRes4444Key is { } proRes4444)
        {
            context.AddOutput(OutputNames.ResultProRes4444, proRes4444);
        }

        if (message.DnxhrKey is { } dnxhr)
        {
            context.AddOutput(OutputNames.ResultDnxhr, dnxhr);
        }

        if (message.BlendshapesCsvKey is { } csv && message.BlendshapesJsonKey is { } json)
        {
            context.AddOutput(OutputNames.BlendshapesCsv, csv);
            context.AddOutput(OutputNames.BlendshapesJson, json);
        }

        if (message.QcKey is { } qc)
        {
            context.AddOutput(OutputNames.Qc, qc);
        }

        return Task.FromResult(StepOutcome.Done);
    }
}
