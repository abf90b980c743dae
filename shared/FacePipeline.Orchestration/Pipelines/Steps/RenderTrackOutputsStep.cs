using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>render (track): the QC clip, the tracking data and the blendshape curves, from the reconstructed chunks.</summary>
public sealed class RenderTrackOutputsStep : PipelineStep<RenderTrackOutputs, TrackOutputsRendered>
{
    public override string Name => StageNames.Render;

    public override JobState RunningState => JobState.Rendering;

    public override Type? Progress => typeof(OutputsRenderProgressed);

    /// <summary>Frames rendered so far (reports arrive about once a second; a late one never moves the count back).</summary>
    public override Task<StepOutcome> Report(StepContext context, object message) =>
        Task.FromResult(RenderSteps.Report(context.Stage(Name), (OutputsRenderProgressed)message));

    public override async Task Start(StepContext context)
    {
        var job = context.Job;
        var render = context.Run(Name);
        render.FramesTotal = job.FrameCount ?? 0;
        var source = await context.ClipTrack(ClipNames.Source);
        context.Send(new RenderTrackOutputs(
            job.Id,
            job.InputFileName,
            source.Video,
            source.Chunks,
            source.TimelineKey,
            source.AudioKey,
            MediaKeys.Output(job.Id, OutputNames.QcClip),
            MediaKeys.Output(job.Id, OutputNames.Tracking),
            MediaKeys.Output(job.Id, OutputNames.TrackingBinary),
            job.NeutralFrame,
            source.SequenceKey));
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
}
