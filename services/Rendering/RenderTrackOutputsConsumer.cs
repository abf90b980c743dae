using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>Runs <see cref="TrackRenderStage"/> and reports the outputs.</summary>
public sealed class RenderTrackOutputsConsumer(TrackRenderStage stage, ILogger<RenderTrackOutputsConsumer> logger)
    : StageConsumer<RenderTrackOutputs, TrackOutputsRendered>(logger)
{
    protected override string Stage => StageNames.Render;

    protected override async Task<TrackOutputsRendered?> Run(ConsumeContext<RenderTrackOutputs> context) =>
        await stage.RunAsync(context.Message, context.CancellationToken, RenderProgressReporter.For(context, context.Message.JobId, logger));

    protected override int UnitsDone(RenderTrackOutputs command, TrackOutputsRendered done) => command.Video.FrameCount;

    protected override void LogDone(ILogger log, RenderTrackOutputs command, TrackOutputsRendered done, double seconds) =>
        log.LogInformation("Job {JobId}: QC clip and tracking data written in {Seconds:F1}s", done.JobId, seconds);
}

/// <summary>One clip at a time per process: x264 already uses the cores. Prefetch one, so priority decides what runs next.</summary>
public sealed class RenderTrackOutputsConsumerDefinition : ConsumerDefinition<RenderTrackOutputsConsumer>
{
    public RenderTrackOutputsConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
        Endpoint(e => e.PrefetchCount = 1);
    }
}
