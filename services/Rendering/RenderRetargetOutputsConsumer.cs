using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>Runs <see cref="RetargetRenderStage"/> and reports the outputs.</summary>
public sealed class RenderRetargetOutputsConsumer(RetargetRenderStage stage, ILogger<RenderRetargetOutputsConsumer> logger)
    : StageConsumer<RenderRetargetOutputs, RetargetOutputsRendered>(logger)
{
    protected override string Stage => StageNames.Render;

    protected override async Task<RetargetOutputsRendered?> Run(ConsumeContext<RenderRetargetOutputs> context) =>
        await stage.RunAsync(context.Message, context.CancellationToken, RenderProgressReporter.For(context, context.Message.JobId, logger));

    protected override int UnitsDone(RenderRetargetOutputs command, RetargetOutputsRendered done) => command.Source.Video.FrameCount;

    protected override void LogDone(ILogger log, RenderRetargetOutputs command, RetargetOutputsRendered done, double seconds) =>
        log.LogInformation(
            "Job {JobId}: retarget result and review clip written in {Seconds:F1}s ({Renderer})",
            done.JobId, seconds, command.GeneratorKey is null ? "warp renderer" : "actor's neural renderer");
}

/// <summary>One job at a time per process: the encoders already use the cores. Prefetch one, so priority decides what runs next.</summary>
public sealed class RenderRetargetOutputsConsumerDefinition : ConsumerDefinition<RenderRetargetOutputsConsumer>
{
    public RenderRetargetOutputsConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
        Endpoint(e => e.PrefetchCount = 1);
    }
}
