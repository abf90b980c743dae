using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.ExpressionTransfer;

/// <summary>Runs <see cref="ExpressionTransferStage"/> for one retarget job and reports the transfer document.</summary>
public sealed class TransferExpressionsConsumer(ExpressionTransferStage stage, ILogger<TransferExpressionsConsumer> logger) : IConsumer<TransferExpressions>
{
    public async Task Consume(ConsumeContext<TransferExpressions> context)
    {
        var work = StageWork.Start(StageNames.Transfer);
        ExpressionsTransferred transferred;
        try
        {
            transferred = await stage.RunAsync(context.Message, context.CancellationToken);
        }
        catch (ArgumentException ex)
        {
            // The studio's settings do not fit the footage (e.g. a neutral frame without a face): their job fails, with why.
            await context.Publish(new StageFailed(context.Message.JobId, StageNames.Transfer, ex.Message, FailureCodes.BadSettings));
            return;
        }

        var seconds = work.Complete(transferred.OutputFrames);
        logger.LogInformation(
            "Job {JobId}: {Frames} frames transferred ({Held} held at neutral) in {Seconds:F2}s",
            transferred.JobId, transferred.OutputFrames, transferred.HeldFrames, seconds);
        await context.Publish(transferred);
    }
}

/// <summary>A few jobs at a time: the work is a Cholesky factorisation and small per-frame solves.</summary>
public sealed class TransferExpressionsConsumerDefinition : ConsumerDefinition<TransferExpressionsConsumer>
{
    public TransferExpressionsConsumerDefinition() => ConcurrentMessageLimit = 2;
}
