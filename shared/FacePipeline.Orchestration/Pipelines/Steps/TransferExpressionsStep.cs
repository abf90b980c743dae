using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>transfer: the source's expressions are carried onto the target's face, into the transfer document.</summary>
public sealed class TransferExpressionsStep : PipelineStep<TransferExpressions, ExpressionsTransferred>
{
    public override string Name => StageNames.Transfer;

    public override JobState RunningState => JobState.Transferring;

    public override async Task Start(StepContext context)
    {
        context.Run(Name);
        context.Send(new TransferExpressions(
            context.Job.Id,
            await context.ClipTrack(ClipNames.Source),
            await context.ClipTrack(ClipNames.Target),
            JobSettings.Retarget(context.Job),
            MediaKeys.Output(context.Job.Id, OutputNames.Transfer)));
    }

    protected override Task<StepOutcome> Complete(StepContext context, ExpressionsTransferred message)
    {
        var transfer = context.Stage(Name);
        transfer.FramesDone = transfer.FramesTotal = message.OutputFrames;
        context.AddOutput(OutputNames.Transfer, message.TransferKey);
        return Task.FromResult(StepOutcome.Done);
    }
}
