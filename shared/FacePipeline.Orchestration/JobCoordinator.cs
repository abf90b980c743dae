using FacePipeline.Contracts;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration;

/// <summary>
/// Owns job state. Each stage's event becomes one transaction that updates the job, its stages and
/// chunks and enqueues the next commands in the outbox, so state and messages never disagree.
/// Concurrent completions of a job's chunks conflict on the job row's xmin; the loser re-reads and
/// tries again, so no update is lost and the next stage is started exactly once.
/// </summary>
public sealed class JobCoordinator(
    IDbContextFactory<JobsDbContext> dbFactory,
    OutboxSignal outboxSignal,
    TimeProvider clock,
    ILogger<JobCoordinator> logger)
{
    private const int MaxConcurrencyRetries = 50;

    private static readonly System.Text.Json.JsonSerializerOptions MetricsJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    public Task OnFramesExtracted(FramesExtracted message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, (db, job, now) =>
        {
            var clip = job.Clips.FirstOrDefault(c => c.Name == message.Clip);
            if (job.State != JobState.Extracting || clip is null || clip.Extracted)
            {
                return false; // a redelivery, or the job has moved on
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

            var extract = job.Stage(StageNames.Extract);
            extract.FramesDone += video.FrameCount;
            extract.FramesTotal += video.FrameCount;

            // A clip's chunks go to reconstruction as soon as it is extracted, even while another clip still is.
            var reconstruct = job.Stage(StageNames.Reconstruct);
            reconstruct.FramesTotal += video.FrameCount;
            if (reconstruct.State == StageState.Pending)
            {
                reconstruct.State = StageState.Running;
                reconstruct.StartedAt = now;
            }

            foreach (var chunk in message.Chunks)
            {
                var facesKey = MediaKeys.Faces(job.Id, message.Clip, chunk.Index);
                db.JobChunks.Add(new JobChunk
                {
                    JobId = job.Id,
                    Clip = message.Clip,
                    Index = chunk.Index,
                    FirstFrame = chunk.FirstFrame,
                    FrameCount = chunk.FrameCount,
                    FramesKey = chunk.FramesKey,
                    FacesKey = facesKey,
                });
                Outbox.Enqueue(db, new ReconstructFaces(job.Id, message.Clip, chunk, video.Width, video.Height, message.TimelineKey, facesKey, job.MaxFaces,
                    job.FacePointX is { } x && job.FacePointY is { } y ? new FramePoint(x, y) : null), now);
            }

            if (job.Clips.All(c => c.Extracted) && TryMove(job, JobTrigger.FramesExtracted))
            {
                extract.State = StageState.Completed;
                extract.CompletedAt = now;
            }

            return true;
        });

    public Task OnFacesReconstructed(FacesReconstructed message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, async (db, job, now) =>
        {
            if (job.State is not (JobState.Extracting or JobState.Reconstructing))
            {
                return false;
            }

            var chunk = await db.JobChunks.SingleOrDefaultAsync(
                c => c.JobId == job.Id && c.Clip == message.Clip && c.Index == message.ChunkIndex, cancellationToken);
            if (chunk is null || chunk.Detected)
            {
                return false; // a redelivered result: already counted
            }

            chunk.Detected = true;
            chunk.FramesWithFaces = message.FramesWithFaces;
            chunk.DetectedAt = now;

            var reconstruct = job.Stage(StageNames.Reconstruct);
            reconstruct.FramesDone += chunk.FrameCount;
            if (job.State != JobState.Reconstructing || reconstruct.FramesDone < reconstruct.FramesTotal)
            {
                return true;
            }

            var chunks = await db.JobChunks.Where(c => c.JobId == job.Id).OrderBy(c => c.Clip).ThenBy(c => c.Index).ToListAsync(cancellationToken);
            foreach (var clip in job.Clips.OrderBy(c => c.Name == ClipNames.Source ? 0 : 1))
            {
                if (chunks.Where(c => c.Clip == clip.Name).Sum(c => c.FramesWithFaces) == 0)
                {
                    var which = job.Clips.Count == 1 ? "the clip"
                        : job.Kind == JobKinds.TrainActor ? $"the actor's clip '{clip.InputFileName}'"
                        : $"the {clip.Name} clip '{clip.InputFileName}'";
                    FailJob(job, StageNames.Reconstruct, FailureCodes.NoFace, $"No face found in {which} ({clip.FrameCount} frames). The face must be visible and reasonably large (at least about a tenth of the frame).", now);
                    await EndModel(db, job, ActorModelState.Failed, now, cancellationToken);
                    return true;
                }
            }

            TryMove(job, JobTrigger.AllChunksReconstructed);
            reconstruct.State = StageState.Completed;
            reconstruct.CompletedAt = now;
            if (job.State == JobState.Training)
            {
                var model = await db.ActorModels.SingleAsync(m => m.JobId == job.Id, cancellationToken);
                var train = job.Stage(StageNames.Train);
                train.State = StageState.Running;
                train.StartedAt = now;
                train.FramesTotal = model.MaxSteps;
                Outbox.Enqueue(db, new TrainActorModel(
                    job.Id,
                    model.ActorId,
                    model.Id,
                    model.Version,
                    [.. job.Clips.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => ClipTrackOf(job, c.Name, chunks))],
                    JobSettings.Training(job.Settings),
                    model.CheckpointKey,
                    model.GeneratorKey,
                    model.PreviewKey), now);
                return true;
            }

            if (job.State == JobState.Transferring)
            {
                var transfer = job.Stage(StageNames.Transfer);
                transfer.State = StageState.Running;
                transfer.StartedAt = now;
                Outbox.Enqueue(db, new TransferExpressions(
                    job.Id,
                    ClipTrackOf(job, ClipNames.Source, chunks),
                    ClipTrackOf(job, ClipNames.Target, chunks),
                    JobSettings.Retarget(job),
                    MediaKeys.Output(job.Id, OutputNames.Transfer)), now);
                return true;
            }

            var render = job.Stage(StageNames.Render);
            render.State = StageState.Running;
            render.FramesTotal = job.FrameCount ?? 0;
            render.StartedAt = now;
            var source = ClipTrackOf(job, ClipNames.Source, chunks);
            Outbox.Enqueue(db, new RenderTrackOutputs(
                job.Id,
                job.InputFileName,
                source.Video,
                source.Chunks,
                source.TimelineKey,
                source.AudioKey,
                MediaKeys.Output(job.Id, OutputNames.QcClip),
                MediaKeys.Output(job.Id, OutputNames.Tracking),
                MediaKeys.Output(job.Id, OutputNames.TrackingBinary),
                job.NeutralFrame), now);
            return true;
        });

    public Task OnExpressionsTransferred(ExpressionsTransferred message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, async (db, job, now) =>
        {
            if (!TryMove(job, JobTrigger.ExpressionsTransferred))
            {
                return false;
            }

            var transfer = job.Stage(StageNames.Transfer);
            transfer.State = StageState.Completed;
            transfer.FramesDone = transfer.FramesTotal = message.OutputFrames;
            transfer.CompletedAt = now;
            var render = job.Stage(StageNames.Render);
            render.State = StageState.Running;
            render.FramesTotal = message.OutputFrames;
            render.StartedAt = now;
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.Transfer, Key = message.TransferKey, ContentType = "application/json" });

            var chunks = await db.JobChunks.Where(c => c.JobId == job.Id).OrderBy(c => c.Index).ToListAsync(cancellationToken);
            var settings = JobSettings.Retarget(job);
            Outbox.Enqueue(db, new RenderRetargetOutputs(
                job.Id,
                ClipTrackOf(job, ClipNames.Source, chunks),
                ClipTrackOf(job, ClipNames.Target, chunks),
                settings,
                message.TransferKey,
                MediaKeys.Output(job.Id, OutputNames.Result),
                MediaKeys.Output(job.Id, OutputNames.Review),
                settings.ProRes ? MediaKeys.Output(job.Id, OutputNames.ResultProRes) : null,
                job.ActorId is { } actor && settings.ActorModelVersion is { } version ? MediaKeys.ActorModel(actor, version, ActorModelFiles.Generator) : null,
                MediaKeys.Output(job.Id, OutputNames.Qc)), now);
            return true;
        });

    public Task OnRetargetOutputsRendered(RetargetOutputsRendered message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, (db, job, now) =>
        {
            if (!TryMove(job, JobTrigger.OutputsRendered))
            {
                return false;
            }

            CompleteRender(job, now);
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.Result, Key = message.ResultKey, ContentType = "video/mp4" });
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.Review, Key = message.ReviewKey, ContentType = "video/mp4" });
            if (message.ProResKey is { } proRes)
            {
                job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.ResultProRes, Key = proRes, ContentType = "video/quicktime" });
            }

            AddCurves(job, message.BlendshapesCsvKey, message.BlendshapesJsonKey);
            if (message.QcKey is { } qc)
            {
                job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.Qc, Key = qc, ContentType = "application/json" });
            }

            return true;
        });

    /// <summary>Training progress: the train stage counts steps; the model keeps the latest figures. Late or repeated reports change nothing.</summary>
    public Task OnActorTrainingProgressed(ActorTrainingProgressed message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, async (db, job, now) =>
        {
            var train = job.Stages.FirstOrDefault(s => s.Name == StageNames.Train);
            if (job.State != JobState.Training || train is null || message.Step <= train.FramesDone)
            {
                return false;
            }

            train.FramesDone = message.Step;
            train.FramesTotal = message.MaxSteps;
            var model = await db.ActorModels.SingleAsync(m => m.Id == message.ModelId && m.JobId == job.Id, cancellationToken);
            model.Step = message.Step;
            model.MaxSteps = message.MaxSteps;
            model.TrainingSeconds = message.ElapsedSeconds;
            var previous = model.Metrics is { } text ? System.Text.Json.JsonSerializer.Deserialize<ModelMetrics>(text, MetricsJson) : null;
            model.Metrics = JobSettings.SerializeValue(new ModelMetrics(
                message.Losses ?? previous?.Losses,
                message.Validation ?? previous?.Validation,
                previous?.WarpBaseline));
            return true;
        });

    /// <summary>The model version is trained: it becomes the actor's latest ready model and the job completes.</summary>
    public Task OnActorModelTrained(ActorModelTrained message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, async (db, job, now) =>
        {
            if (!TryMove(job, JobTrigger.ModelTrained))
            {
                return false;
            }

            var train = job.Stage(StageNames.Train);
            train.State = StageState.Completed;
            train.FramesDone = train.FramesTotal = message.Steps;
            train.CompletedAt = now;
            job.CompletedAt = now;
            var model = await db.ActorModels.SingleAsync(m => m.Id == message.ModelId && m.JobId == job.Id, cancellationToken);
            model.State = ActorModelState.Ready;
            model.Step = model.MaxSteps = message.Steps;
            model.TrainingSeconds = message.TrainingSeconds;
            var previous = model.Metrics is { } text ? System.Text.Json.JsonSerializer.Deserialize<ModelMetrics>(text, MetricsJson) : null;
            model.Metrics = JobSettings.SerializeValue(new ModelMetrics(previous?.Losses, message.Validation, message.WarpBaseline));
            model.CompletedAt = now;
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = ActorModelFiles.Generator, Key = message.GeneratorKey, ContentType = "application/octet-stream" });
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = ActorModelFiles.Preview, Key = message.PreviewKey, ContentType = "image/png" });
            return true;
        });

    public Task OnTrackOutputsRendered(TrackOutputsRendered message, CancellationToken cancellationToken) =>
        UpdateJob(message.JobId, cancellationToken, (db, job, now) =>
        {
            if (!TryMove(job, JobTrigger.OutputsRendered))
            {
                return false;
            }

            CompleteRender(job, now);
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.QcClip, Key = message.QcClipKey, ContentType = "video/mp4" });
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.Tracking, Key = message.TrackingKey, ContentType = "application/json" });
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.TrackingBinary, Key = message.TrackingBinaryKey, ContentType = "application/octet-stream" });
            AddCurves(job, message.BlendshapesCsvKey, message.BlendshapesJsonKey);
            return true;
        });

    /// <summary>The blendshape curves, when the renderer wrote them.</summary>
    private static void AddCurves(Job job, string? csvKey, string? jsonKey)
    {
        if (csvKey is { } csv && jsonKey is { } json)
        {
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.BlendshapesCsv, Key = csv, ContentType = "text/csv" });
            job.Outputs.Add(new JobOutput { JobId = job.Id, Name = OutputNames.BlendshapesJson, Key = json, ContentType = "application/json" });
        }
    }

    private static void CompleteRender(Job job, DateTimeOffset now)
    {
        var render = job.Stage(StageNames.Render);
        render.State = StageState.Completed;
        render.FramesDone = render.FramesTotal;
        render.CompletedAt = now;
        job.CompletedAt = now;
    }

    /// <summary>A clip of the job with its chunks, as the stages after reconstruction need it.</summary>
    private static ClipTrack ClipTrackOf(Job job, string name, IReadOnlyList<JobChunk> chunks)
    {
        var clip = job.Clips.Single(c => c.Name == name);
        var rate = clip.FrameRate!.Split('/');
        var video = new VideoInfo(
            clip.Width!.Value,
            clip.Height!.Value,
            long.Parse(rate[0], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(rate[1], System.Globalization.CultureInfo.InvariantCulture),
            clip.FrameCount!.Value,
            clip.DurationSeconds!.Value,
            clip.HasAudio ?? false);
        return new ClipTrack(
            name,
            clip.InputFileName,
            video,
            [.. chunks.Where(c => c.Clip == name).OrderBy(c => c.Index).Select(c => new TrackChunk(new FrameChunk(c.Index, c.FirstFrame, c.FrameCount, c.FramesKey), c.FacesKey))],
            clip.TimelineKey!,
            clip.AudioKey);
    }

    /// <summary>Fails the job with a reason a person can act on; a job already ended stays as it is.</summary>
    public Task OnStageFailed(Guid jobId, string stage, string code, string reason, CancellationToken cancellationToken) =>
        UpdateJob(jobId, cancellationToken, async (db, job, now) =>
        {
            if (!FailJob(job, stage, code, reason, now))
            {
                return false;
            }

            await EndModel(db, job, ActorModelState.Failed, now, cancellationToken);
            return true;
        });

    /// <summary>A train-actor job that ends otherwise than completed leaves its model version in that state.</summary>
    private static async Task EndModel(JobsDbContext db, Job job, ActorModelState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (job.Kind != JobKinds.TrainActor)
        {
            return;
        }

        var model = await db.ActorModels.SingleAsync(m => m.JobId == job.Id, cancellationToken);
        model.State = state;
        model.CompletedAt = now;
    }

    private bool FailJob(Job job, string stage, string code, string reason, DateTimeOffset now)
    {
        if (!TryMove(job, JobTrigger.Fail))
        {
            return false;
        }

        job.FailedStage = stage;
        job.FailureReason = reason;
        job.FailureCode = code;
        job.CompletedAt = now;
        foreach (var s in job.Stages)
        {
            s.State = s.Name == stage ? StageState.Failed : s.State is StageState.Completed ? StageState.Completed : StageState.Cancelled;
        }

        logger.LogWarning("Job {JobId} failed in {Stage}: {Reason}", job.Id, stage, reason);
        return true;
    }

    /// <summary>Cancels a running job; returns false when it had already ended. Work in flight finishes and is ignored.</summary>
    public async Task<bool> Cancel(Guid jobId, CancellationToken cancellationToken)
    {
        var cancelled = false;
        await UpdateJob(jobId, cancellationToken, async (db, job, now) =>
        {
            cancelled = TryMove(job, JobTrigger.Cancel);
            if (!cancelled)
            {
                return false;
            }

            job.CompletedAt = now;
            foreach (var s in job.Stages.Where(s => s.State is StageState.Pending or StageState.Running))
            {
                s.State = StageState.Cancelled;
            }

            await EndModel(db, job, ActorModelState.Cancelled, now, cancellationToken);
            if (job.Kind == JobKinds.TrainActor)
            {
                Outbox.Enqueue(db, new JobCancelled(job.Id), now); // the training service stops the work in hand
            }

            return true;
        });
        return cancelled;
    }

    private static bool TryMove(Job job, JobTrigger trigger)
    {
        var transition = JobStateMachine.Apply(job.State, trigger, job.Kind);
        if (transition.Outcome != TransitionOutcome.Moved)
        {
            return false;
        }

        job.State = transition.To;
        return true;
    }

    private Task UpdateJob(Guid jobId, CancellationToken cancellationToken, Func<JobsDbContext, Job, DateTimeOffset, bool> change) =>
        UpdateJob(jobId, cancellationToken, (db, job, now) => Task.FromResult(change(db, job, now)));

    /// <summary>
    /// Loads the job with its stages, applies <paramref name="change"/> and saves everything in one
    /// transaction; on an optimistic-concurrency conflict (xmin) it starts over from a fresh read.
    /// </summary>
    private async Task UpdateJob(Guid jobId, CancellationToken cancellationToken, Func<JobsDbContext, Job, DateTimeOffset, Task<bool>> change)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var job = await db.Jobs.Include(j => j.Stages).Include(j => j.Outputs).Include(j => j.Clips).AsSplitQuery().SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
            if (job is null)
            {
                logger.LogWarning("Message for unknown job {JobId} ignored", jobId);
                return;
            }

            var now = clock.GetUtcNow();
            if (!await change(db, job, now))
            {
                return;
            }

            job.UpdatedAt = now;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                outboxSignal.Notify();
                if (job.IsTerminal)
                {
                    JobMetrics.Record(job);
                }

                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxConcurrencyRetries)
            {
                logger.LogDebug("Concurrent update of job {JobId}, attempt {Attempt}; retrying", jobId, attempt);
            }
        }
    }
}

/// <summary>What an actor model's metrics column holds: the latest losses, the latest validation and, once trained, the warp renderer's baseline.</summary>
public sealed record ModelMetrics(TrainingLossFigures? Losses, ValidationFigures? Validation, ValidationFigures? WarpBaseline);
