using FacePipeline.Contracts;
using FacePipeline.Orchestration.Events;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration;

/// <summary>
/// Creates a job of a kind with the stages its pipeline declares, in one transaction: an interactive job of a studio
/// under its running cap starts at once (its first step's commands go into the outbox), any other waits queued for the
/// scheduler (<see cref="JobScheduler"/>). Each kind's method takes what that kind needs as input, and where the job
/// goes (<see cref="JobPlacement"/>: priority, batch and shot).
/// </summary>
public sealed class JobSubmission(
    JobPipelines pipelines,
    OutboxSignal outboxSignal,
    TimeProvider clock,
    IOptions<SchedulingOptions>? scheduling = null,
    SchedulerSignal? schedulerSignal = null)
{
    private readonly SchedulingOptions _scheduling = scheduling?.Value ?? new SchedulingOptions();

    public async Task<Job> SubmitTrackJob(
        JobsDbContext db,
        Guid jobId,
        Guid tenantId,
        string inputFileName,
        string inputKey,
        long inputBytes,
        int chunkSize,
        CancellationToken cancellationToken,
        TrackOptions? options = null,
        JobPlacement? placement = null)
    {
        options ??= TrackOptions.Default;
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = jobId,
            TenantId = tenantId,
            Kind = JobKinds.Track,
            InputFileName = inputFileName,
            InputKey = inputKey,
            InputBytes = inputBytes,
            MaxFaces = options.MaxFaces,
            NeutralFrame = options.NeutralFrame,
            FacePointX = options.FacePoint?.X,
            FacePointY = options.FacePoint?.Y,
            CreatedAt = now,
            UpdatedAt = now,
            Stages = Stages(JobKinds.Track, jobId, now),
            Clips = [ClipOf(jobId, new ClipInput(ClipNames.Source, inputFileName, inputKey, inputBytes))],
        };
        (placement ?? JobPlacement.Interactive).ApplyTo(job);
        await Submit(db, job, chunkSize, cancellationToken);
        return job;
    }

    /// <summary>
    /// Creates a retarget job: both clips are extracted at once (each clip's chunks go to reconstruction
    /// as soon as it is extracted), then the expression transfer and the rendering run.
    /// </summary>
    public async Task<Job> SubmitRetargetJob(
        JobsDbContext db,
        Guid jobId,
        Guid tenantId,
        ClipInput source,
        ClipInput target,
        int chunkSize,
        RetargetSettings settings,
        CancellationToken cancellationToken,
        JobPlacement? placement = null)
    {
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = jobId,
            TenantId = tenantId,
            Kind = JobKinds.Retarget,
            InputFileName = source.FileName,
            InputKey = source.Key,
            InputBytes = source.Bytes + target.Bytes,
            Settings = JobSettings.Serialize(settings),
            CreatedAt = now,
            UpdatedAt = now,
            Stages = Stages(JobKinds.Retarget, jobId, now),
            Clips = [ClipOf(jobId, source with { Name = ClipNames.Source }), ClipOf(jobId, target with { Name = ClipNames.Target })],
        };
        (placement ?? JobPlacement.Interactive).ApplyTo(job);
        await Submit(db, job, chunkSize, cancellationToken);
        return job;
    }

    /// <summary>
    /// Creates a train-actor job for <paramref name="actor"/> (new, or one the tenant already has) and the
    /// model version it trains (the actor's next version number): every clip is extracted and
    /// reconstructed, then the training service trains on all of them.
    /// </summary>
    public async Task<(Job Job, ActorModel Model)> SubmitTrainActorJob(
        JobsDbContext db,
        Guid jobId,
        Actor actor,
        IReadOnlyList<ClipInput> clips,
        int chunkSize,
        TrainingSettings settings,
        CancellationToken cancellationToken,
        JobPlacement? placement = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (clips.Count == 0)
        {
            throw new ArgumentException("An actor needs at least one clip.", nameof(clips));
        }

        var now = clock.GetUtcNow();
        var isNew = db.Entry(actor).State == EntityState.Detached;
        var version = isNew ? 1 : 1 + (await db.ActorModels.Where(m => m.ActorId == actor.Id).MaxAsync(m => (int?)m.Version, cancellationToken) ?? 0);
        if (isNew)
        {
            actor.CreatedAt = now;
            db.Actors.Add(actor);
        }

        var job = new Job
        {
            Id = jobId,
            TenantId = actor.TenantId,
            Kind = JobKinds.TrainActor,
            ActorId = actor.Id,
            InputFileName = clips[0].FileName,
            InputKey = clips[0].Key,
            InputBytes = clips.Sum(c => c.Bytes),
            Settings = JobSettings.Serialize(settings),
            CreatedAt = now,
            UpdatedAt = now,
            Stages = Stages(JobKinds.TrainActor, jobId, now),
            Clips = [.. clips.Select(c => ClipOf(jobId, c))],
        };
        var model = new ActorModel
        {
            Id = Guid.NewGuid(),
            ActorId = actor.Id,
            Version = version,
            JobId = jobId,
            State = ActorModelState.Training,
            Settings = job.Settings,
            MaxSteps = settings.MaxSteps,
            GeneratorKey = MediaKeys.ActorModel(actor.Id, version, ActorModelFiles.Generator),
            CheckpointKey = MediaKeys.ActorModel(actor.Id, version, ActorModelFiles.Checkpoint),
            PreviewKey = MediaKeys.ActorModel(actor.Id, version, ActorModelFiles.Preview),
            CreatedAt = now,
        };
        db.ActorModels.Add(model);
        (placement ?? JobPlacement.Interactive).ApplyTo(job);
        await Submit(db, job, chunkSize, cancellationToken);
        return (job, model);
    }

    /// <summary>
    /// Creates a retarget job onto an actor's trained model: the target footage is the first clip of the job that
    /// trained <paramref name="model"/> (already extracted and reconstructed, so only the source is), and the result
    /// is rendered by that model.
    /// </summary>
    public async Task<Job> SubmitRetargetOntoActor(
        JobsDbContext db,
        Guid jobId,
        Guid tenantId,
        ClipInput source,
        ActorModel model,
        int chunkSize,
        RetargetSettings settings,
        CancellationToken cancellationToken,
        JobPlacement? placement = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var training = await db.Jobs.AsNoTracking().Include(j => j.Clips).SingleAsync(j => j.Id == model.JobId, cancellationToken);
        var clip = training.Clips.OrderBy(c => c.Name, StringComparer.Ordinal).First();
        var chunks = await db.JobChunks.AsNoTracking().Where(c => c.JobId == training.Id && c.Clip == clip.Name).OrderBy(c => c.Index).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var target = ClipOf(jobId, new ClipInput(ClipNames.Target, clip.InputFileName, clip.InputKey, clip.InputBytes));
        target.Extracted = true;
        (target.Width, target.Height, target.FrameRate, target.FrameCount, target.DurationSeconds, target.HasAudio, target.TimelineKey, target.AudioKey, target.SequenceKey) =
            (clip.Width, clip.Height, clip.FrameRate, clip.FrameCount, clip.DurationSeconds, clip.HasAudio, clip.TimelineKey, clip.AudioKey, clip.SequenceKey);
        var job = new Job
        {
            Id = jobId,
            TenantId = tenantId,
            Kind = JobKinds.Retarget,
            ActorId = model.ActorId,
            InputFileName = source.FileName,
            InputKey = source.Key,
            InputBytes = source.Bytes,
            Settings = JobSettings.Serialize(settings with { ActorModelVersion = model.Version }),
            CreatedAt = now,
            UpdatedAt = now,
            Stages = Stages(JobKinds.Retarget, jobId, now),
            Clips = [ClipOf(jobId, source with { Name = ClipNames.Source }), target],
            Chunks = [.. chunks.Select(c => new JobChunk
            {
                JobId = jobId,
                Clip = ClipNames.Target,
                Index = c.Index,
                FirstFrame = c.FirstFrame,
                FrameCount = c.FrameCount,
                FacesKey = c.FacesKey, // the training job's face records (and, through the clip, its upload), by reference
                Reconstructed = true,
                FramesWithFaces = c.FramesWithFaces,
                ReconstructedAt = c.ReconstructedAt,
            })],
        };
        var reconstruct = job.Stage(StageNames.Reconstruct);
        reconstruct.FramesDone = reconstruct.FramesTotal = clip.FrameCount ?? 0; // the actor's footage is reconstructed already
        (placement ?? JobPlacement.Interactive).ApplyTo(job);
        await Submit(db, job, chunkSize, cancellationToken);
        return job;
    }

    /// <summary>The stage rows of a new job of <paramref name="kind"/>, as its pipeline declares them.</summary>
    private List<JobStage> Stages(string kind, Guid jobId, DateTimeOffset now) => pipelines.For(kind).NewStages(jobId, now);

    /// <summary>
    /// Adds a job of any declared kind (its clips set, its stages from its pipeline when not given) and either starts its
    /// first step (an interactive job under its studio's running cap) or leaves it queued for the scheduler: one
    /// transaction (the caller's, or its own), taken under the scheduler's admission lock.
    /// </summary>
    public async Task Submit(JobsDbContext db, Job job, int chunkSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var now = clock.GetUtcNow();
        var pipeline = pipelines.For(job.Kind);
        if (job.Stages.Count == 0)
        {
            job.Stages = pipeline.NewStages(job.Id, now);
        }

        foreach (var stage in job.Stages)
        {
            stage.State = StageState.Pending;
            stage.StartedAt = null;
        }

        job.State = JobState.Queued;
        job.ChunkSize = chunkSize;
        db.Jobs.Add(job);
        var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (transaction)
        {
            await JobScheduler.LockAdmissions(db, cancellationToken);
            var batch = job.BatchId is { } batchId ? db.Batches.Local.FirstOrDefault(b => b.Id == batchId) ?? await db.Batches.SingleAsync(b => b.Id == batchId, cancellationToken) : null;
            var startsNow = await JobScheduler.StartsAtSubmission(db, job, batch, _scheduling, cancellationToken);
            if (startsNow)
            {
                var context = new StepContext(db, job, pipeline, now, cancellationToken, (_, stage, _, reason) => throw new InvalidOperationException($"A new job cannot fail in {stage}: {reason}"))
                {
                    ChunkSize = chunkSize,
                };
                job.State = pipeline.InitialState;
                await JobCoordinator.StartFirstStep(context);
            }

            await JobEventLog.RecordJob(db, job, startsNow ? JobEventTypes.JobStarted : JobEventTypes.JobQueued, now, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            if (startsNow)
            {
                outboxSignal.Notify();
            }
            else
            {
                schedulerSignal?.Notify();
            }
        }
    }

    private static JobClip ClipOf(Guid jobId, ClipInput clip) =>
        new() { JobId = jobId, Name = clip.Name, InputFileName = clip.FileName, InputKey = clip.Key, InputBytes = clip.Bytes };
}

/// <summary>An uploaded clip of a job: its role, the studio's file name, where it is stored and its size.</summary>
public sealed record ClipInput(string Name, string FileName, string Key, long Bytes);

/// <summary>What a studio may choose for a track job.</summary>
/// <param name="MaxFaces">Faces tracked at most (1 to <see cref="MaxFacesLimit"/>), the largest first.</param>
/// <param name="NeutralFrame">The frame showing the actor's neutral face; null: estimated over the clip.</param>
/// <param name="FacePoint">Follow the face nearest this point instead of the largest.</param>
public sealed record TrackOptions(int MaxFaces = 1, int? NeutralFrame = null, FramePoint? FacePoint = null)
{
    public const int MaxFacesLimit = 8;

    public static TrackOptions Default { get; } = new();
}

/// <summary>
/// Where a new job goes: its priority class and its order in it, and the batch and shot it belongs to (a batch's shots).
/// </summary>
public sealed record JobPlacement(JobPriorityClass Class, int Priority = 0, Guid? BatchId = null, string? ShotName = null, int? ShotIndex = null)
{
    public const int MinPriority = -50;
    public const int MaxPriority = 50;

    /// <summary>A single job's default: interactive, priority 0.</summary>
    public static JobPlacement Interactive { get; } = new(JobPriorityClass.Interactive);

    public void ApplyTo(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (Priority is < MinPriority or > MaxPriority)
        {
            throw new ArgumentOutOfRangeException(nameof(Priority), Priority, $"A priority is between {MinPriority} and {MaxPriority}.");
        }

        job.PriorityClass = Class;
        job.Priority = Priority;
        job.BatchId = BatchId;
        job.ShotName = ShotName;
        job.ShotIndex = ShotIndex;
    }
}
