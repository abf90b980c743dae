using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.FrameExtraction;

/// <summary>Runs <see cref="FrameExtractionStage"/>; a refused upload fails its own job with the reason.</summary>
public sealed class ExtractFramesConsumer(FrameExtractionStage stage, ILogger<ExtractFramesConsumer> logger)
    : StageConsumer<ExtractFrames, FramesExtracted>(logger)
{
    protected override string Stage => StageNames.Extract;

    protected override async Task<FramesExtracted?> Run(ConsumeContext<ExtractFrames> context) => await stage.RunAsync(context.Message, context.CancellationToken);

    protected override int UnitsDone(ExtractFrames command, FramesExtracted done) => done.Video.FrameCount;

    protected override void LogDone(ILogger log, ExtractFrames command, FramesExtracted done, double seconds) =>
        log.LogInformation("Job {JobId}: {Frames} frames in {Chunks} chunks extracted in {Seconds:F1}s", command.JobId, done.Video.FrameCount, done.Chunks.Count, seconds);
}

/// <summary>
/// One extraction at a time per process: ffmpeg already uses the cores. Prefetch one: a message waiting in a busy
/// worker's buffer could not be overtaken by an interactive job's (priority queues, docs/batches.md), and an idle worker would not get it.
/// </summary>
public sealed class ExtractFramesConsumerDefinition : ConsumerDefinition<ExtractFramesConsumer>
{
    public ExtractFramesConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
        Endpoint(e => e.PrefetchCount = 1);
    }
}
