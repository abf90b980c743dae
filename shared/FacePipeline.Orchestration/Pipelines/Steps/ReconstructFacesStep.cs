using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// reconstruct: every chunk of every clip is tracked (one <see cref="ReconstructFaces"/> per chunk, fanned out to
/// the reconstruction workers); the step is done when every frame of every clip is. A clip with no face anywhere
/// fails the job (<see cref="FailureCodes.NoFace"/>).
/// </summary>
public sealed class ReconstructFacesStep : PipelineStep<ReconstructFaces, FacesReconstructed>
{
    public override string Name => StageNames.Reconstruct;

    public override JobState RunningState => JobState.Reconstructing;

    /// <summary>Sends every chunk not reconstructed yet (for a kind whose step before this one does not feed it clip by clip).</summary>
    public override async Task Start(StepContext context)
    {
        var stage = context.Run(Name);
        var chunks = await context.Chunks();
        stage.FramesTotal = chunks.Sum(c => c.FrameCount);
        stage.FramesDone = chunks.Where(c => c.Reconstructed).Sum(c => c.FrameCount);
        foreach (var chunk in chunks.Where(c => !c.Reconstructed))
        {
            context.Send(ReconstructCommand(
                context.Job, context.Job.Clips.Single(c => c.Name == chunk.Clip), new FrameChunk(chunk.Index, chunk.FirstFrame, chunk.FrameCount, chunk.FramesKey), chunk.FacesKey));
        }
    }

    /// <summary>One clip is extracted: its chunks are tracked now, while the job's other clips may still be extracting.</summary>
    public Task StartClip(StepContext context, FramesExtracted extracted)
    {
        var stage = context.Run(Name);
        stage.FramesTotal += extracted.Video.FrameCount;
        var clip = context.Job.Clips.Single(c => c.Name == extracted.Clip);
        foreach (var chunk in extracted.Chunks)
        {
            context.Send(ReconstructCommand(context.Job, clip, chunk, MediaKeys.Faces(context.Job.Id, clip.Name, chunk.Index)));
        }

        return Task.CompletedTask;
    }

    protected override async Task<StepOutcome> Complete(StepContext context, FacesReconstructed message)
    {
        var chunk = (await context.Chunks()).SingleOrDefault(c => c.Clip == message.Clip && c.Index == message.ChunkIndex);
        if (chunk is null || chunk.Reconstructed)
        {
            return StepOutcome.Stale; // a redelivered result: already counted
        }

        chunk.Reconstructed = true;
        chunk.FramesWithFaces = message.FramesWithFaces;
        chunk.ReconstructedAt = context.Now;
        context.Stage(Name).FramesDone += chunk.FrameCount;
        return await IsDone(context) ? StepOutcome.Done : StepOutcome.Progressed;
    }

    public override Task<bool> IsDone(StepContext context)
    {
        var stage = context.Stage(Name);
        return Task.FromResult(context.Job.Clips.All(c => c.Extracted) && stage.FramesDone >= stage.FramesTotal);
    }

    /// <summary>A clip without a face anywhere cannot go further: the job fails with which clip and why.</summary>
    public override async Task Finish(StepContext context)
    {
        var job = context.Job;
        var chunks = await context.Chunks();
        foreach (var clip in job.Clips.OrderBy(c => c.Name == ClipNames.Source ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            if (chunks.Where(c => c.Clip == clip.Name).Sum(c => c.FramesWithFaces) == 0)
            {
                var which = job.Clips.Count == 1 ? "the clip"
                    : job.Kind == JobKinds.TrainActor ? $"the actor's clip '{clip.InputFileName}'"
                    : $"the {clip.Name} clip '{clip.InputFileName}'";
                context.Fail(Name, FailureCodes.NoFace, $"No face found in {which} ({clip.FrameCount} frames). The face must be visible and reasonably large (at least about a tenth of the frame).");
                return;
            }
        }
    }

    private static ReconstructFaces ReconstructCommand(Job job, JobClip clip, FrameChunk chunk, string facesKey) => new(
        job.Id,
        clip.Name,
        chunk,
        clip.Width!.Value,
        clip.Height!.Value,
        clip.TimelineKey!,
        facesKey,
        job.MaxFaces,
        job.FacePointX is { } x && job.FacePointY is { } y ? new FramePoint(x, y) : null);
}
