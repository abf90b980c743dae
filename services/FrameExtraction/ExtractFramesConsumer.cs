using FacePipeline.Contracts;
using FacePipeline.Media;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.FrameExtraction;

/// <summary>Runs <see cref="FrameExtractionStage"/>; a refused upload fails its own job with the reason.</summary>
public sealed class ExtractFramesConsumer(FrameExtractionStage stage, ILogger<ExtractFramesConsumer> logger) : IConsumer<ExtractFrames>
{
    public async Task Consume(ConsumeContext<ExtractFrames> context)
    {
        var command = context.Message;
        var work = StageWork.Start(StageNames.Extract);
        try
        {
            var extracted = await stage.RunAsync(command, context.CancellationToken);
            var seconds = work.Complete(extracted.Video.FrameCount);
            logger.LogInformation(
                "Job {JobId}: {Frames} frames in {Chunks} chunks extracted in {Seconds:F1}s", command.JobId, extracted.Video.FrameCount, extracted.Chunks.Count, seconds);
            await context.Publish(extracted);
        }
        catch (MediaRejectedException ex)
        {
            logger.LogWarning("Job {JobId}: upload refused: {Reason}", command.JobId, ex.Message);
            await context.Publish(new StageFailed(command.JobId, StageNames.Extract, ex.Message, Kebab(ex.Kind.ToString())));
        }
    }

    /// <summary>"NoVideo" → "no-video".</summary>
    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>One extraction at a time per process: ffmpeg already uses the cores.</summary>
public sealed class ExtractFramesConsumerDefinition : ConsumerDefinition<ExtractFramesConsumer>
{
    public ExtractFramesConsumerDefinition() => ConcurrentMessageLimit = 1;
}
