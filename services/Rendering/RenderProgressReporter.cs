using FacePipeline.Contracts;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Rendering;

/// <summary>
/// A render's progress as <see cref="OutputsRenderProgressed"/> events, about once a second. Progress is advisory: a report
/// that cannot be published is logged and skipped, never a reason to fail the render.
/// </summary>
public static class RenderProgressReporter
{
    public static RenderProgress For(ConsumeContext context, Guid jobId, ILogger logger) =>
        new(async (frames, ct) =>
        {
            try
            {
                await context.Publish(new OutputsRenderProgressed(jobId, frames), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Job {JobId}: render progress ({Frames} frames) not published: {Error}", jobId, frames, ex.Message);
            }
        });
}
