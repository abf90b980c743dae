using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.ExpressionTransfer;

/// <summary>Runs <see cref="ExpressionTransferStage"/> for one retarget job and reports the transfer document.</summary>
public sealed class TransferExpressionsConsumer(ExpressionTransferStage stage, ILogger<TransferExpressionsConsumer> logger)
    : StageConsumer<TransferExpressions, ExpressionsTransferred>(logger)
{
    protected override string Stage => StageNames.Transfer;

    protected override async Task<ExpressionsTransferred?> Run(ConsumeContext<TransferExpressions> context) => await stage.RunAsync(context.Message, context.CancellationToken);

    protected override int UnitsDone(TransferExpressions command, ExpressionsTransferred done) => done.OutputFrames;

    protected override void LogDone(ILogger log, TransferExpressions command, ExpressionsTransferred done, double seconds) =>
        log.LogInformation(
            "Job {JobId}: {Frames} frames transferred ({Held} held at neutral) in {Seconds:F2}s",
            done.JobId, done.OutputFrames, done.HeldFrames, seconds);
}

/// <summary>A few jobs at a time: the work is a Cholesky factorisation and small per-frame solves.</summary>
public sealed class TransferExpressionsConsumerDefinition : ConsumerDefinition<TransferExpressionsConsumer>
{
    public TransferExpressionsConsumerDefinition()
    {
        ConcurrentMessageLimit = 2;
        Endpoint(e => e.PrefetchCount = 2); // no more than it runs: priority decides what runs next (docs/batches.md)
    }
}
