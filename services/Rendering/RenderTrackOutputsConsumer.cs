using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>Runs <see cref="TrackRenderStage"/> and reports the outputs.</summary>
public sealed class RenderTrackOutputsConsumer(TrackRenderStage stage, ILogger<RenderTrackOutputsConsumer> logger) : IConsumer<RenderTrackOutputs>
{
    public async Task Consume(ConsumeContext<RenderTrackOutputs> context)
    {
        var work = StageWork.Start(StageNames.Render);
        var rendered = await stage.RunAsync(context.Message, context.CancellationToken);
        var seconds = work.Complete(context.Message.Video.FrameCount);
        logger.LogInformation("Job {JobId}: QC clip and tracking data written in {Seconds:F1}s", rendered.JobId, seconds);
        await context.Publish(rendered);
    }
}

/// <summary>One clip at a time per process: x264 already uses the cores.</summary>
public sealed class RenderTrackOutputsConsumerDefinition : ConsumerDefinition<RenderTrackOutputsConsumer>
{
    public RenderTrackOutputsConsumerDefinition() => ConcurrentMessageLimit = 1;
}
