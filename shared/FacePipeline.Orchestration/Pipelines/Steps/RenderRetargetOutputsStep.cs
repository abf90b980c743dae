using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// render (retarget): the result, the review clip, the curves, the QC report and the compositing outputs asked for (the
/// matte, ProRes 4444 with alpha, DNxHR HQ), from the transfer document; by the
/// actor's neural renderer when the job retargets onto an actor's model, else by the warp renderer.
/// </summary>
public sealed class RenderRetargetOutputsStep : PipelineStep<RenderRetargetOutputs, RetargetOutputsRendered>
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
        render.FramesTotal = context.Stage(StageNames.Transfer).FramesTotal; // the result's frames
        var settings = JobSettings.Retarget(job);
        context.Send(new RenderRetargetOutputs(
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
            settings.Dnxhr ? MediaKeys.Output(job.Id, OutputNames.ResultDnxhr) : null));
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
