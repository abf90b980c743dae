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
    /// <param name="segment">The segment rendered (its frames are counted alone), or null for a whole render.</param>
    public static RenderProgress For(ConsumeContext context, Guid jobId, ILogger logger, int? segment = null) =>
        new(async (frames, ct) =>
        {
            try
            {
                await context.Publish(new OutputsRenderProgressed(jobId, frames, segment), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Job {JobId}: render progress ({Frames} frames) not published: {Error}", jobId, frames, ex.Message);
            }
        });
}
