using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>What the two render steps share: how a render's progress moves its stage.</summary>
internal static class RenderSteps
{
    public static StepOutcome Report(JobStage render, OutputsRenderProgressed progress)
    {
        var frames = render.FramesTotal > 0 ? Math.Min(progress.FramesRendered, render.FramesTotal) : progress.FramesRendered;
        if (frames <= render.FramesDone) // the coordinator hands over reports only while the stage runs
        {
            return StepOutcome.Stale;
        }

        render.FramesDone = frames;
        return StepOutcome.Progressed;
    }
}
