using FacePipeline.Contracts;
using MassTransit;

namespace FacePipeline.Orchestration;

// The job coordinator's consumers: each hands its event to JobCoordinator, which owns job state.

public sealed class FramesExtractedConsumer(JobCoordinator coordinator) : IConsumer<FramesExtracted>
{
    public Task Consume(ConsumeContext<FramesExtracted> context) => coordinator.OnFramesExtracted(context.Message, context.CancellationToken);
}

public sealed class FacesReconstructedConsumer(JobCoordinator coordinator) : IConsumer<FacesReconstructed>
{
    public Task Consume(ConsumeContext<FacesReconstructed> context) => coordinator.OnFacesReconstructed(context.Message, context.CancellationToken);
}

public sealed class TrackOutputsRenderedConsumer(JobCoordinator coordinator) : IConsumer<TrackOutputsRendered>
{
    public Task Consume(ConsumeContext<TrackOutputsRendered> context) => coordinator.OnTrackOutputsRendered(context.Message, context.CancellationToken);
}

public sealed class ExpressionsTransferredConsumer(JobCoordinator coordinator) : IConsumer<ExpressionsTransferred>
{
    public Task Consume(ConsumeContext<ExpressionsTransferred> context) => coordinator.OnExpressionsTransferred(context.Message, context.CancellationToken);
}

public sealed class RetargetOutputsRenderedConsumer(JobCoordinator coordinator) : IConsumer<RetargetOutputsRendered>
{
    public Task Consume(ConsumeContext<RetargetOutputsRendered> context) => coordinator.OnRetargetOutputsRendered(context.Message, context.CancellationToken);
}

public sealed class ActorTrainingProgressedConsumer(JobCoordinator coordinator) : IConsumer<ActorTrainingProgressed>
{
    public Task Consume(ConsumeContext<ActorTrainingProgressed> context) => coordinator.OnActorTrainingProgressed(context.Message, context.CancellationToken);
}

public sealed class ActorModelTrainedConsumer(JobCoordinator coordinator) : IConsumer<ActorModelTrained>
{
    public Task Consume(ConsumeContext<ActorModelTrained> context) => coordinator.OnActorModelTrained(context.Message, context.CancellationToken);
}

public sealed class StageFailedConsumer(JobCoordinator coordinator) : IConsumer<StageFailed>
{
    public Task Consume(ConsumeContext<StageFailed> context) =>
        coordinator.OnStageFailed(context.Message.JobId, context.Message.Stage, context.Message.Code, context.Message.Reason, context.CancellationToken);
}

/// <summary>
/// A stage — or the coordinator itself, handling a stage's result — threw on every retry: the job
/// fails with what went wrong, instead of hanging. Input problems never get here (stages report
/// those as <see cref="StageFailed"/>).
/// </summary>
public sealed class StageFaultConsumer(JobCoordinator coordinator) :
    IConsumer<Fault<ExtractFrames>>,
    IConsumer<Fault<ReconstructFaces>>,
    IConsumer<Fault<RenderTrackOutputs>>,
    IConsumer<Fault<TransferExpressions>>,
    IConsumer<Fault<RenderRetargetOutputs>>,
    IConsumer<Fault<TrainActorModel>>,
    IConsumer<Fault<ActorModelTrained>>,
    IConsumer<Fault<FramesExtracted>>,
    IConsumer<Fault<FacesReconstructed>>,
    IConsumer<Fault<TrackOutputsRendered>>,
    IConsumer<Fault<ExpressionsTransferred>>,
    IConsumer<Fault<RetargetOutputsRendered>>
{
    public Task Consume(ConsumeContext<Fault<ExtractFrames>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Extract, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<ReconstructFaces>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Reconstruct, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<RenderTrackOutputs>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Render, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<TransferExpressions>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Transfer, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<RenderRetargetOutputs>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Render, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<TrainActorModel>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Train, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<ActorModelTrained>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Train, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<ExpressionsTransferred>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Transfer, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<RetargetOutputsRendered>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Render, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<FramesExtracted>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Extract, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<FacesReconstructed>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Reconstruct, context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<TrackOutputsRendered>> context) =>
        Fail(context.Message.Message.JobId, StageNames.Render, context.Message, context.CancellationToken);

    private Task Fail(Guid jobId, string stage, Fault fault, CancellationToken cancellationToken)
    {
        var cause = fault.Exceptions.FirstOrDefault()?.Message ?? "unknown error";
        return coordinator.OnStageFailed(
            jobId,
            stage,
            FailureCodes.Internal,
            $"Internal error in the {stage} stage: {cause}. Resubmit the job; if it fails again, report the job id.",
            cancellationToken);
    }
}
