using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// reconstruct, in the reconstruction service: every chunk of every clip is tracked (one <see cref="ReconstructFaces"/>
/// per chunk, fanned out to the workers); once a clip's chunks are all tracked, its 3D face sequence is built from them
/// (one <see cref="BuildFaceSequence"/> per clip). The step is done when every clip has its sequence. A clip with no
/// face anywhere fails the job when its last chunk is tracked (<see cref="FailureCodes.NoFace"/>), before any sequence
/// is built or anything transferred or rendered.
/// <para>
/// With <paramref name="onePassQc"/> (track jobs, issue 16), a clip that decodes as exact 4:2:0 planes
/// (<see cref="FramesExtracted.ExactPlanes"/>) runs as one single-decode pass instead: its chunks are sent one after
/// another, each a <see cref="TrackPass"/> that takes up the tracker and filters where the chunk before left them and
/// also draws and encodes the chunk's segment of the QC clip (<see cref="RenderTrackOutputsStep.QcOutput"/>; planned
/// here, one per chunk, and counted rendered with its chunk), so every frame is decoded once and the render step only
/// joins. A clip that does not decode as exact planes is tracked side by side and its QC clip rendered afterwards.
/// </para>
/// </summary>
/// <param name="onePassQc">Whether this kind's clips run the single-decode pass that also draws the QC clip.</param>
public sealed class ReconstructFacesStep(bool onePassQc = false) : PipelineStep<ReconstructFaces, FacesReconstructed>
{
    /// <summary>
    /// A single-decode pass's chunks are this many of the job's chunk size long (<see cref="ExtractFrames.PassChunkSize"/>;
    /// 2,048 frames at the default 512): each piece restarts its decoder (from the key frame before it) and x264 and
    /// waits for the coordinator's round trip, which cost 3.5–10 % of the pass at 512-frame pieces (docs/benchmarks.md,
    /// "The single-decode track pass against the floors"); a killed worker loses one piece, and progress moves a piece at a time.
    /// </summary>
    public const int PassChunksPerPiece = 4;

    /// <summary>Whether this kind's clips that decode as exact planes run the single-decode pass that also draws the QC clip.</summary>
    public bool OnePassQc => onePassQc;

    public override string Name => StageNames.Reconstruct;

    public override JobState RunningState => JobState.Reconstructing;

    public override IReadOnlyList<Type> Commands => [typeof(ReconstructFaces), typeof(BuildFaceSequence)];

    public override IReadOnlyList<Type> Completions => [typeof(FacesReconstructed), typeof(FaceSequenceBuilt)];

    /// <summary>Sends every chunk not tracked yet, and every sequence not built yet (for a kind whose step before this one does not feed it clip by clip).</summary>
    public override async Task Start(StepContext context)
    {
        var stage = context.Run(Name);
        var chunks = await context.Chunks();
        stage.FramesTotal = chunks.Sum(c => c.FrameCount);
        stage.FramesDone = chunks.Where(c => c.Reconstructed).Sum(c => c.FrameCount);
        foreach (var clipChunks in chunks.Where(c => !c.Reconstructed).GroupBy(c => c.Clip))
        {
            var clip = context.Job.Clips.Single(c => c.Name == clipChunks.Key);
            if (clip.OnePass)
            {
                // One piece at a time: the first not tracked yet (the watchdog's re-send of a stalled pass lands here too).
                await SendPiece(context, clip, clipChunks.OrderBy(c => c.Index).First());
                continue;
            }

            foreach (var chunk in clipChunks)
            {
                context.Send(ReconstructCommand(context.Job, clip, new FrameChunk(chunk.Index, chunk.FirstFrame, chunk.FrameCount), chunk.FacesKey));
            }
        }

        await BuildMissingSequences(context, borrowedOnly: false);
    }

    /// <summary>
    /// One clip is extracted: its chunks are tracked now, while the job's other clips may still be extracting. A clip the
    /// job took already tracked (an actor's footage, by reference) whose sequence is missing gets it built now.
    /// </summary>
    public async Task StartClip(StepContext context, FramesExtracted extracted)
    {
        var stage = context.Run(Name);
        stage.FramesTotal += extracted.Video.FrameCount;
        var clip = context.Job.Clips.Single(c => c.Name == extracted.Clip);
        clip.OnePass = onePassQc && extracted.ExactPlanes && extracted.Chunks.Count > 0;
        if (clip.OnePass)
        {
            // The QC clip's segments are the chunks: each piece of the pass encodes its own.
            foreach (var chunk in extracted.Chunks)
            {
                context.AddSegment(new JobSegment
                {
                    JobId = context.Job.Id,
                    Output = RenderTrackOutputsStep.QcOutput,
                    Index = chunk.Index,
                    FirstFrame = chunk.FirstFrame,
                    FrameCount = chunk.FrameCount,
                    Key = QcSegmentKey(context.Job, chunk.Index),
                });
            }

            var first = extracted.Chunks.MinBy(c => c.Index)!;
            context.Send(PassCommand(context.Job, clip, first, MediaKeys.Faces(context.Job.Id, clip.Name, first.Index), previous: null));
        }
        else
        {
            foreach (var chunk in extracted.Chunks)
            {
                context.Send(ReconstructCommand(context.Job, clip, chunk, MediaKeys.Faces(context.Job.Id, clip.Name, chunk.Index)));
            }
        }

        await BuildMissingSequences(context, borrowedOnly: true);
    }

    protected override async Task<StepOutcome> Complete(StepContext context, FacesReconstructed message)
    {
        var chunks = await context.Chunks();
        var chunk = chunks.SingleOrDefault(c => c.Clip == message.Clip && c.Index == message.ChunkIndex);
        if (chunk is null || chunk.Reconstructed)
        {
            return StepOutcome.Stale; // a redelivered result: already counted
        }

        chunk.Reconstructed = true;
        chunk.FramesWithFaces = message.FramesWithFaces;
        chunk.ReconstructedAt = context.Now;
        context.Stage(Name).FramesDone += chunk.FrameCount;
        var clip = context.Job.Clips.Single(c => c.Name == message.Clip);
        var clipChunks = chunks.Where(c => c.Clip == clip.Name).ToList();
        if (clip.OnePass)
        {
            await PieceDone(context, clip, chunk, clipChunks);
        }

        if (clip.Extracted && clipChunks.All(c => c.Reconstructed) && !HasNoFace(context, clip, clipChunks))
        {
            await SendSequence(context, clip); // the clip's last chunk: exactly once, since each chunk is counted once
        }

        return StepOutcome.Progressed;
    }

    protected override async Task<StepOutcome> CompleteFollowUp(StepContext context, object message)
    {
        var built = (FaceSequenceBuilt)message;
        var clip = context.Job.Clips.FirstOrDefault(c => c.Name == built.Clip);
        if (clip is null || clip.SequenceKey is not null)
        {
            return StepOutcome.Stale;
        }

        clip.SequenceKey = built.SequenceKey;
        return await IsDone(context) ? StepOutcome.Done : StepOutcome.Progressed;
    }

    public override Task<bool> IsDone(StepContext context) =>
        Task.FromResult(context.Job.Clips.All(c => c.Extracted && c.SequenceKey is not null));

    /// <summary>A clip without a face anywhere cannot go further: the job fails with which clip and why.</summary>
    private static bool HasNoFace(StepContext context, JobClip clip, IEnumerable<JobChunk> clipChunks)
    {
        if (clipChunks.Sum(c => c.FramesWithFaces) > 0)
        {
            return false;
        }

        var job = context.Job;
        var which = job.Clips.Count == 1 ? "the clip"
            : job.Kind == JobKinds.TrainActor ? $"the actor's clip '{clip.InputFileName}'"
            : $"the {clip.Name} clip '{clip.InputFileName}'";
        context.Fail(StageNames.Reconstruct, FailureCodes.NoFace, $"No face found in {which} ({clip.FrameCount} frames). The face must be visible and reasonably large (at least about a tenth of the frame).");
        return true;
    }

    /// <summary>
    /// Clips extracted and tracked whose sequence was never built; with <paramref name="borrowedOnly"/>, only clips another
    /// job tracked (their records live under that job's keys: an actor's footage, by reference), since this job's own
    /// clips get theirs when their last chunk is tracked.
    /// </summary>
    private async Task BuildMissingSequences(StepContext context, bool borrowedOnly)
    {
        var chunks = await context.Chunks();
        var ownPrefix = MediaKeys.JobPrefix(context.Job.Id) + "/";
        foreach (var clip in context.Job.Clips.Where(c => c.Extracted && c.SequenceKey is null))
        {
            var clipChunks = chunks.Where(c => c.Clip == clip.Name).ToList();
            if (clipChunks.Count > 0 && clipChunks.All(c => c.Reconstructed)
                && (!borrowedOnly || clipChunks.All(c => !c.FacesKey.StartsWith(ownPrefix, StringComparison.Ordinal))))
            {
                await SendSequence(context, clip);
            }
        }
    }

    private static async Task SendSequence(StepContext context, JobClip clip) =>
        context.Send(new BuildFaceSequence(
            context.Job.Id, await context.ClipTrack(clip.Name), context.Job.NeutralFrame, MediaKeys.FaceSequence(context.Job.Id, clip.Name), ContinuousTracks: clip.OnePass));

    /// <summary>
    /// A piece of a clip's single-decode pass is in: its QC segment is counted rendered, and the next piece (the first
    /// chunk not tracked yet) goes out, taking up the state this one left.
    /// </summary>
    private static async Task PieceDone(StepContext context, JobClip clip, JobChunk done, IReadOnlyList<JobChunk> clipChunks)
    {
        var segment = (await context.Segments(RenderTrackOutputsStep.QcOutput)).FirstOrDefault(s => s.Index == done.Index)
            ?? throw new InvalidOperationException($"Job {context.Job.Id}: chunk {done.Index} of a single-decode pass has no QC segment planned.");
        segment.Rendered = true;
        segment.FramesDone = segment.FrameCount;
        segment.RenderedAt = context.Now;
        if (clipChunks.Where(c => !c.Reconstructed).OrderBy(c => c.Index).FirstOrDefault() is { } next)
        {
            await SendPiece(context, clip, next);
        }
    }

    /// <summary>Sends a chunk of a single-decode pass, after the chunk before it (whose state it takes up).</summary>
    private static async Task SendPiece(StepContext context, JobClip clip, JobChunk chunk)
    {
        var previous = (await context.Chunks()).Where(c => c.Clip == clip.Name && c.Index < chunk.Index).MaxBy(c => c.Index);
        if (previous is { Reconstructed: false })
        {
            throw new InvalidOperationException($"Job {context.Job.Id}: chunk {chunk.Index} of a single-decode pass was due before chunk {previous.Index} was tracked.");
        }

        context.Send(PassCommand(context.Job, clip, new FrameChunk(chunk.Index, chunk.FirstFrame, chunk.FrameCount), chunk.FacesKey, previous?.Index));
    }

    private static ReconstructFaces PassCommand(Job job, JobClip clip, FrameChunk chunk, string facesKey, int? previous)
        => ReconstructCommand(job, clip, chunk, facesKey) with
        {
            Pass = new TrackPass(
                previous is { } before ? MediaKeys.TrackPassState(job.Id, clip.Name, before) : null,
                MediaKeys.TrackPassState(job.Id, clip.Name, chunk.Index),
                QcSegmentKey(job, chunk.Index),
                StepContext.Video(clip)),
        };

    private static string QcSegmentKey(Job job, int index) => MediaKeys.Segment(job.Id, RenderTrackOutputsStep.QcOutput, index, ".nut");

    private static ReconstructFaces ReconstructCommand(Job job, JobClip clip, FrameChunk chunk, string facesKey) => new(
        job.Id,
        clip.Name,
        clip.InputKey,
        chunk,
        clip.Width!.Value,
        clip.Height!.Value,
        clip.TimelineKey!,
        facesKey,
        job.MaxFaces,
        job.FacePointX is { } x && job.FacePointY is { } y ? new FramePoint(x, y) : null);
}
