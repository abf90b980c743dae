using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>Creates a job with its stages and queues its first command, in one transaction.</summary>
public sealed class JobSubmission(OutboxSignal outboxSignal, TimeProvider clock)
{
    public async Task<Job> SubmitTrackJob(
        JobsDbContext db,
        Guid jobId,
        Guid tenantId,
        string inputFileName,
        string inputKey,
        long inputBytes,
        int chunkSize,
        CancellationToken cancellationToken,
        TrackOptions? options = null)
    {
        options ??= TrackOptions.Default;
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = jobId,
            TenantId = tenantId,
            Kind = JobKinds.Track,
            State = JobStateMachine.Initial,
            InputFileName = inputFileName,
            InputKey = inputKey,
            InputBytes = inputBytes,
            MaxFaces = options.MaxFaces,
            NeutralFrame = options.NeutralFrame,
            FacePointX = options.FacePoint?.X,
            FacePointY = options.FacePoint?.Y,
            CreatedAt = now,
            UpdatedAt = now,
            Stages =
            [
                new JobStage { JobId = jobId, Name = StageNames.Extract, Order = 0, State = StageState.Running, StartedAt = now },
                new JobStage { JobId = jobId, Name = StageNames.Reconstruct, Order = 1, State = StageState.Pending },
                new JobStage { JobId = jobId, Name = StageNames.Render, Order = 2, State = StageState.Pending },
            ],
        };
        db.Jobs.Add(job);
        Outbox.Enqueue(db, new ExtractFrames(jobId, ClipNames.Source, inputKey, chunkSize), now);
        await db.SaveChangesAsync(cancellationToken);
        outboxSignal.Notify();
        return job;
    }
}

/// <summary>What a studio may choose for a track job.</summary>
/// <param name="MaxFaces">Faces tracked at most (1 to <see cref="MaxFacesLimit"/>), the largest first.</param>
/// <param name="NeutralFrame">The frame showing the actor's neutral face; null: estimated over the clip.</param>
/// <param name="FacePoint">Follow the face nearest this point instead of the largest.</param>
public sealed record TrackOptions(int MaxFaces = 1, int? NeutralFrame = null, FramePoint? FacePoint = null)
{
    public const int MaxFacesLimit = 8;

    public static TrackOptions Default { get; } = new();
}
