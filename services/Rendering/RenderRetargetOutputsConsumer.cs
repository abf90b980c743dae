using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>Runs <see cref="RetargetRenderStage"/> and reports the outputs.</summary>
public sealed class RenderRetargetOutputsConsumer(RetargetRenderStage stage, ILogger<RenderRetargetOutputsConsumer> logger) : IConsumer<RenderRetargetOutputs>
{
    public async Task Consume(ConsumeContext<RenderRetargetOutputs> context)
    {
        var work = StageWork.Start(StageNames.Render);
        var rendered = await stage.RunAsync(context.Message, context.CancellationToken);
        var seconds = work.Complete(context.Message.Source.Video.FrameCount);
        logger.LogInformation("Job {JobId}: retarget result and review clip written in {Seconds:F1}s ({Renderer})", rendered.JobId, seconds, context.Message.GeneratorKey is null ? "warp renderer" : "actor's neural renderer");
        await context.Publish(rendered);
    }
}

/// <summary>One job at a time per process: the encoders already use the cores.</summary>
public sealed class RenderRetargetOutputsConsumerDefinition : ConsumerDefinition<RenderRetargetOutputsConsumer>
{
    public RenderRetargetOutputsConsumerDefinition() => ConcurrentMessageLimit = 1;
}
