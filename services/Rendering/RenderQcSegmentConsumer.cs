using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>Runs <see cref="QcSegmentRenderStage"/>: one segment of a track job's QC clip, beside any number of other workers.</summary>
public sealed class RenderQcSegmentConsumer(QcSegmentRenderStage stage, ILogger<RenderQcSegmentConsumer> logger)
    : StageConsumer<RenderQcSegment, QcSegmentRendered>(logger)
{
    protected override string Stage => StageNames.Render;

    protected override async Task<QcSegmentRendered?> Run(ConsumeContext<RenderQcSegment> context) =>
        await stage.RunAsync(context.Message, context.CancellationToken, RenderProgressReporter.For(context, context.Message.JobId, logger, context.Message.Segment));

    protected override int UnitsDone(RenderQcSegment command, QcSegmentRendered done) => command.FrameCount;

    protected override void LogDone(ILogger log, RenderQcSegment command, QcSegmentRendered done, double seconds) =>
        log.LogInformation(
            "Job {JobId}: QC segment {Segment} (frames {First}..{Last}) rendered in {Seconds:F1}s",
            done.JobId, command.Segment, command.FirstFrame, command.FirstFrame + command.FrameCount - 1, seconds);
}

/// <summary>
/// One segment at a time per process (x264 already uses the cores), and only one held from the broker: a worker that
/// prefetched several would sit on segments another, idle worker could render.
/// </summary>
public sealed class RenderQcSegmentConsumerDefinition : ConsumerDefinition<RenderQcSegmentConsumer>
{
    public RenderQcSegmentConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
        Endpoint(e => e.PrefetchCount = 1);
    }
}
