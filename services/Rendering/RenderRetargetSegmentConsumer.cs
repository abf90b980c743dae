using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>Runs <see cref="RetargetRenderStage.RunSegmentAsync"/>: one segment of a retarget's clips, beside any number of other workers.</summary>
public sealed class RenderRetargetSegmentConsumer(RetargetRenderStage stage, ILogger<RenderRetargetSegmentConsumer> logger)
    : StageConsumer<RenderRetargetSegment, RetargetSegmentRendered>(logger)
{
    protected override string Stage => StageNames.Render;

    protected override async Task<RetargetSegmentRendered?> Run(ConsumeContext<RenderRetargetSegment> context) =>
        await stage.RunSegmentAsync(context.Message, context.CancellationToken, RenderProgressReporter.For(context, context.Message.JobId, logger, context.Message.Segment));

    protected override int UnitsDone(RenderRetargetSegment command, RetargetSegmentRendered done) => command.FrameCount;

    protected override void LogDone(ILogger log, RenderRetargetSegment command, RetargetSegmentRendered done, double seconds) =>
        log.LogInformation(
            "Job {JobId}: retarget segment {Segment} (output frames {First}..{Last}) rendered in {Seconds:F1}s ({Renderer})",
            done.JobId, command.Segment, command.FirstFrame, command.FirstFrame + command.FrameCount - 1, seconds,
            command.Outputs.GeneratorKey is null ? "warp renderer" : "actor's neural renderer");
}

/// <summary>
/// One segment at a time per process (the renderer and the encoders already use the cores), and only one held from the
/// broker: a worker that prefetched several would sit on segments another, idle worker could render.
/// </summary>
public sealed class RenderRetargetSegmentConsumerDefinition : ConsumerDefinition<RenderRetargetSegmentConsumer>
{
    public RenderRetargetSegmentConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
        Endpoint(e => e.PrefetchCount = 1);
    }
}
