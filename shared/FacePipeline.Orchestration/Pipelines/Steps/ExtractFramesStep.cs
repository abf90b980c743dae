using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// extract: every clip of the job not yet extracted is probed, validated and cut into chunks (one
/// <see cref="ExtractFrames"/> per clip). A clip's chunks go on to the next step as soon as that clip is in, even
/// while another clip is still being extracted (when the next step is <see cref="ReconstructFacesStep"/>). A clip the
/// job's settings do not fit (a neutral frame beyond its frames, a face point off its picture: <see cref="JobSettings.Misfit"/>)
/// fails the job as soon as it is measured (<see cref="FailureCodes.BadSettings"/>).
/// </summary>
public sealed class ExtractFramesStep : PipelineStep<ExtractFrames, FramesExtracted>
{
    public override string Name => StageNames.Extract;

    public override JobState RunningState => JobState.Extracting;

    public override Task Start(StepContext context)
    {
        var chunkSize = context.ChunkSize ?? throw new InvalidOperationException("Extraction starts with the job: its chunk size is needed.");
        context.Run(Name);
        foreach (var clip in context.Job.Clips.Where(c => !c.Extracted).OrderBy(c => c.Name == ClipNames.Source ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            context.Send(new ExtractFrames(
                context.Job.Id, clip.Name, clip.InputKey, chunkSize,
                context.Pipeline.After(this) is ReconstructFacesStep { OnePassQc: true } ? chunkSize * ReconstructFacesStep.PassChunksPerPiece : null));
        }

        return Task.CompletedTask;
    }

    protected override async Task<StepOutcome> Complete(StepContext context, FramesExtracted message)
    {
        var job = context.Job;
        var clip = job.Clips.FirstOrDefault(c => c.Name == message.Clip);
        if (clip is null || clip.Extracted)
        {
            return StepOutcome.Stale; // a redelivery
        }

        var video = message.Video;
        clip.Extracted = true;
        clip.Width = video.Width;
        clip.Height = video.Height;
        clip.FrameRate = $"{video.FrameRateNumerator}/{video.FrameRateDenominator}";
        clip.FrameCount = video.FrameCount;
        clip.DurationSeconds = video.DurationSeconds;
        clip.HasAudio = video.HasAudio;
        clip.TimelineKey = message.TimelineKey;
        clip.AudioKey = message.AudioKey;
        if (clip.Name == ClipNames.Source)
        {
            job.Width = clip.Width;
            job.Height = clip.Height;
            job.FrameRate = clip.FrameRate;
            job.FrameCount = clip.FrameCount;
            job.DurationSeconds = clip.DurationSeconds;
            job.HasAudio = clip.HasAudio;
            job.TimelineKey = clip.TimelineKey;
            job.AudioKey = clip.AudioKey;
        }

        var extract = context.Stage(Name);
        extract.FramesDone += video.FrameCount;
        extract.FramesTotal += video.FrameCount;

        // The clip's frame count and picture size are known from here on: a setting that names a frame beyond a clip,
        // or a point off its picture, fails the job now, as the studio's settings, before anything is reconstructed.
        // Every measured clip is checked (an actor's footage comes measured already).
        foreach (var measured in job.Clips.Where(c => c.Extracted))
        {
            if (JobSettings.Misfit(job, measured) is { } misfit)
            {
                context.Fail(Name, FailureCodes.BadSettings, misfit);
                return StepOutcome.Progressed;
            }
        }

        foreach (var chunk in message.Chunks)
        {
            context.AddChunk(new JobChunk
            {
                JobId = job.Id,
                Clip = message.Clip,
                Index = chunk.Index,
                FirstFrame = chunk.FirstFrame,
                FrameCount = chunk.FrameCount,
                FacesKey = MediaKeys.Faces(job.Id, message.Clip, chunk.Index),
            });
        }

        if (context.Pipeline.After(this) is ReconstructFacesStep reconstruct)
        {
            await reconstruct.StartClip(context, message);
        }

        return job.Clips.All(c => c.Extracted) ? StepOutcome.Done : StepOutcome.Progressed;
    }
}
