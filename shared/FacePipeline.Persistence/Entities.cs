namespace FacePipeline.Persistence;

/// <summary>A studio. Requests carry an API key; only its SHA-256 hash is stored.</summary>
public sealed class Tenant
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required byte[] ApiKeyHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The studio's share of the workers against other studios' when both have shots waiting (fair share; default 1).</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Jobs running at once, at most; null: <c>Scheduling:Quotas:MaxRunningJobs</c>. Past it, jobs wait queued.</summary>
    public int? MaxRunningJobs { get; set; }

    /// <summary>Jobs waiting (queued) at most; null: <c>Scheduling:Quotas:MaxQueuedJobs</c>. Past it, a submission answers 429.</summary>
    public int? MaxQueuedJobs { get; set; }

    /// <summary>Bytes the studio may keep in the media store (uploads and outputs); null: <c>Scheduling:Quotas:MaxStoredBytes</c>. Past it, a submission answers 429.</summary>
    public long? MaxStoredBytes { get; set; }

    /// <summary>The studio paused its queue: running jobs finish, nothing new starts until it resumes.</summary>
    public bool QueuePaused { get; set; }

    /// <summary>Where job and batch notifications are POSTed (https; http only with <c>Webhooks:AllowHttp</c>); null: none.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The HMAC-SHA256 key the deliveries are signed with (shown once when set; needed in clear to sign).</summary>
    public string? WebhookSecret { get; set; }
}

/// <summary>How urgently a job runs. Interactive jobs start before any waiting overnight work, and their messages overtake it in the broker.</summary>
public enum JobPriorityClass
{
    Interactive,
    Overnight,
}

public enum JobState
{
    /// <summary>Waiting for the scheduler to start it (the studio's quota, its paused queue or batch, or the overnight slots).</summary>
    Queued,
    Extracting,
    Reconstructing,
    Transferring,
    Rendering,
    Training,
    Completed,
    Failed,
    Cancelled,
}

public enum StageState
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

public static class JobKinds
{
    /// <summary>One clip in: tracked 3D faces, a QC clip and the tracking data out.</summary>
    public const string Track = "track";

    /// <summary>A source and a target clip in: the target performing the source's expressions out.</summary>
    public const string Retarget = "retarget";

    /// <summary>One or more clips of an actor in: a version of the actor's neural renderer out.</summary>
    public const string TrainActor = "train-actor";

    public static readonly IReadOnlyList<string> All = [Track, Retarget, TrainActor];
}

/// <summary>One job of a tenant, with its stages, chunks and outputs. <see cref="Version"/> is PostgreSQL's xmin.</summary>
public sealed class Job
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Kind { get; set; }
    public JobState State { get; set; }
    public required string InputFileName { get; set; }
    public required string InputKey { get; set; }
    public long InputBytes { get; set; }

    /// <summary>Faces tracked at most, the largest first.</summary>
    public int MaxFaces { get; set; } = 1;

    /// <summary>The frame the studio names as the actor's neutral face; null: estimated over the clip.</summary>
    public int? NeutralFrame { get; set; }

    /// <summary>Follow the face nearest this point (pixels of the upright frame) instead of the largest.</summary>
    public float? FacePointX { get; set; }

    public float? FacePointY { get; set; }

    /// <summary>The studio's settings as JSON: Contracts.RetargetSettings (retarget) or Contracts.TrainingSettings (train-actor); null for track jobs.</summary>
    public string? Settings { get; set; }

    /// <summary>
    /// Train-actor jobs: the actor being trained; retarget jobs onto an actor: that actor. Not a foreign key: a retarget
    /// job keeps its outputs, and this id, after the actor is deleted (the actor then answers 410 Gone).
    /// </summary>
    public Guid? ActorId { get; set; }

    public string? FailedStage { get; set; }
    public string? FailureReason { get; set; }
    public string? FailureCode { get; set; }

    /// <summary>A server fault's correlation id (at most 64 characters), the one its logs and traces carry; null for other failures.</summary>
    public string? FailureCorrelationId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Interactive (a single job's default) or overnight (a batch's default).</summary>
    public JobPriorityClass PriorityClass { get; set; }

    /// <summary>Order within the class, -50 (last) to 50 (first), as MediaConvert's; 0 by default.</summary>
    public int Priority { get; set; }

    /// <summary>The batch the job is a shot of, if any.</summary>
    public Guid? BatchId { get; set; }

    /// <summary>The shot's name in its batch (unique in the batch; names the shot's folder in outputs.zip).</summary>
    public string? ShotName { get; set; }

    /// <summary>The shot's row in the batch manifest, from 1.</summary>
    public int? ShotIndex { get; set; }

    /// <summary>When the scheduler started the job (it left <see cref="JobState.Queued"/>); null while queued.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the job last changed: a step's result or progress, a re-send. The watchdog measures stalls from it.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Frames per chunk, as the studio asked (a re-sent extraction cuts the same chunks); null for older jobs.</summary>
    public int? ChunkSize { get; set; }

    /// <summary>How many times the watchdog re-sent the current step's outstanding commands with no progress since.</summary>
    public int StallResends { get; set; }

    /// <summary>
    /// When the sweeper last removed the job's working data (its raw frames and face records, <c>frames/</c> and
    /// <c>faces/</c> under its prefix) and stopped looking for more: the job's end plus <c>Retention:LateWorkWindow</c>.
    /// Null while it has them, or may still get some from work in flight. Never set for train-actor jobs (their clips are the actor's footage).
    /// </summary>
    public DateTimeOffset? WorkingDataDeletedAt { get; set; }

    /// <summary>
    /// When the sweeper deleted everything the job kept in the media store (inputs and outputs, <c>Retention:JobMedia</c>
    /// after it ended). The row stays, with its state, figures and failure; its outputs then answer 410 Gone.
    /// </summary>
    public DateTimeOffset? MediaDeletedAt { get; set; }

    public int? Width { get; set; }
    public int? Height { get; set; }
    public string? FrameRate { get; set; }
    public int? FrameCount { get; set; }
    public double? DurationSeconds { get; set; }
    public bool? HasAudio { get; set; }
    public string? TimelineKey { get; set; }
    public string? AudioKey { get; set; }

    public uint Version { get; set; }

    public List<JobStage> Stages { get; set; } = [];
    public List<JobChunk> Chunks { get; set; } = [];
    public List<JobClip> Clips { get; set; } = [];
    public List<JobOutput> Outputs { get; set; } = [];

    public bool IsTerminal => State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public JobStage Stage(string name) =>
        Stages.FirstOrDefault(s => s.Name == name) ?? throw new InvalidOperationException($"Job {Id} has no stage '{name}'.");
}

/// <summary>A stage of a job and its progress in frames. <see cref="Version"/> is PostgreSQL's xmin.</summary>
public sealed class JobStage
{
    public Guid JobId { get; set; }
    public required string Name { get; set; }
    public int Order { get; set; }
    public StageState State { get; set; }
    public int FramesDone { get; set; }
    public int FramesTotal { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public uint Version { get; set; }
}

/// <summary>
/// One input clip of a job (a track job has one, a retarget job two), with the video facts its
/// extraction measured. The job's own video fields repeat the source clip's for the API.
/// </summary>
public sealed class JobClip
{
    public Guid JobId { get; set; }
    public required string Name { get; set; }
    public required string InputFileName { get; set; }
    public required string InputKey { get; set; }
    public long InputBytes { get; set; }
    public bool Extracted { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public string? FrameRate { get; set; }
    public int? FrameCount { get; set; }
    public double? DurationSeconds { get; set; }
    public bool? HasAudio { get; set; }
    public string? TimelineKey { get; set; }
    public string? AudioKey { get; set; }

    /// <summary>The clip's 3D face sequence, once the reconstruction service built it from every chunk's records.</summary>
    public string? SequenceKey { get; set; }

    /// <summary>
    /// Whether the clip's chunks run as one single-decode pass, one after another, each tracking, drawing and encoding its
    /// segment of the QC clip (a track job's clip that decodes as exact 4:2:0 planes; issue 16); otherwise its chunks are
    /// tracked side by side and the QC clip is rendered afterwards in segments.
    /// </summary>
    public bool OnePass { get; set; }
}

/// <summary>A chunk of consecutive frames of a job's clip, processed independently by the reconstruction stage.</summary>
public sealed class JobChunk
{
    public Guid JobId { get; set; }
    public required string Clip { get; set; }
    public int Index { get; set; }
    public int FirstFrame { get; set; }
    public int FrameCount { get; set; }
    public required string FacesKey { get; set; }
    public bool Reconstructed { get; set; }
    public int FramesWithFaces { get; set; }
    public DateTimeOffset? ReconstructedAt { get; set; }
    public uint Version { get; set; }
}

/// <summary>
/// A segment of one of a job's output clips (e.g. frames 300..599 of the QC clip), rendered by whichever Rendering worker
/// takes it, then joined with the others without re-encoding. A killed worker loses only its segment: the command is
/// delivered again and the segment rewritten under the same key.
/// </summary>
public sealed class JobSegment
{
    public Guid JobId { get; set; }

    /// <summary>The output clip the segment belongs to (e.g. <c>qc</c>).</summary>
    public required string Output { get; set; }
    public int Index { get; set; }
    public int FirstFrame { get; set; }
    public int FrameCount { get; set; }
    public required string Key { get; set; }

    /// <summary>Frames of the segment rendered so far (progress reports; the segment's count once rendered).</summary>
    public int FramesDone { get; set; }
    public bool Rendered { get; set; }
    public DateTimeOffset? RenderedAt { get; set; }
    public uint Version { get; set; }
}

/// <summary>A person whose footage a studio uploaded to learn their neural renderer.</summary>
public sealed class Actor
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ActorModel> Models { get; set; } = [];
}

public enum ActorModelState
{
    Training,
    Ready,
    Failed,
    Cancelled,
}

/// <summary>
/// A version of an actor's neural renderer, trained by one train-actor job: its settings, progress,
/// quality figures and the media-store keys of its artefacts.
/// </summary>
public sealed class ActorModel
{
    public Guid Id { get; set; }
    public Guid ActorId { get; set; }
    public int Version { get; set; }
    public Guid JobId { get; set; }
    public ActorModelState State { get; set; }

    /// <summary>Contracts.TrainingSettings as JSON.</summary>
    public required string Settings { get; set; }

    public int Step { get; set; }
    public int MaxSteps { get; set; }
    public double TrainingSeconds { get; set; }

    /// <summary>The latest losses and validation figures, and at the end the warp renderer's baseline, as JSON.</summary>
    public string? Metrics { get; set; }

    public required string GeneratorKey { get; set; }
    public required string CheckpointKey { get; set; }
    public required string PreviewKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A downloadable result of a job.</summary>
public sealed class JobOutput
{
    public Guid JobId { get; set; }
    public required string Name { get; set; }
    public required string Key { get; set; }
    public required string ContentType { get; set; }
}

/// <summary>
/// A message waiting to be published, written in the same transaction as the state change that
/// caused it (transactional outbox); the dispatcher publishes it and stamps <see cref="DispatchedAt"/>.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public required string MessageType { get; set; }
    public required string Body { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DispatchedAt { get; set; }

    /// <summary>W3C trace context of the transaction that enqueued it, so the job's trace continues through the outbox.</summary>
    public string? TraceParent { get; set; }

    /// <summary>The broker priority it is published with (RabbitMQ priority queues): interactive jobs' work overtakes overnight work.</summary>
    public byte Priority { get; set; }

    /// <summary>
    /// Set when the dispatcher cannot publish the row at all (its type no longer resolves, its body does not
    /// deserialise or serialise): the row is set aside, kept for inspection, and no longer blocks the rows after it.
    /// </summary>
    public DateTimeOffset? QuarantinedAt { get; set; }

    /// <summary>Why the row was quarantined (the exception's type and message); null otherwise.</summary>
    public string? Error { get; set; }
}

public enum BatchState
{
    /// <summary>Some shots have not ended.</summary>
    Running,

    /// <summary>Every shot ended (completed, failed or cancelled).</summary>
    Ended,
}

/// <summary>
/// Shots a studio submitted together from one manifest: each shot is a job (<see cref="Job.BatchId"/>). The batch carries
/// the default priority of its shots and can be paused (running shots finish, nothing new starts) or cancelled.
/// <see cref="Version"/> is PostgreSQL's xmin: the shot that ends last sees every other shot ended, exactly once.
/// </summary>
public sealed class Batch
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }

    /// <summary>The studio's name for the batch (e.g. the manifest's file name).</summary>
    public string? Name { get; set; }

    public JobPriorityClass PriorityClass { get; set; } = JobPriorityClass.Overnight;
    public int Priority { get; set; }
    public BatchState State { get; set; }
    public bool Paused { get; set; }
    public int ShotCount { get; set; }

    /// <summary>Shots ended so far; the batch ends when it reaches <see cref="ShotCount"/>.</summary>
    public int ShotsEnded { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public uint Version { get; set; }
}

/// <summary>Kinds of <see cref="JobEvent"/>, as the event streams and webhooks name them.</summary>
public static class JobEventTypes
{
    public const string JobQueued = "job.queued";
    public const string JobStarted = "job.started";
    public const string JobProgress = "job.progress";
    public const string JobCompleted = "job.completed";
    public const string JobFailed = "job.failed";
    public const string JobCancelled = "job.cancelled";
    public const string BatchEnded = "batch.ended";

    /// <summary>The events a webhook is told of: a job's or a batch's end.</summary>
    public static bool IsNotified(string type) => type is JobCompleted or JobFailed or JobCancelled or BatchEnded;
}

/// <summary>
/// Something that happened to a job or a batch (table <c>job_events</c>), written in the same transaction as the change,
/// in commit order of <see cref="Id"/> per job: what <c>/v1/jobs/{id}/events</c> and <c>/v1/batches/{id}/events</c> stream and
/// the webhooks are made from. <see cref="Data"/> is the job's state and stages at that moment (or the batch's counts), as JSON.
/// </summary>
public sealed class JobEvent
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid? JobId { get; set; }
    public Guid? BatchId { get; set; }
    public required string Type { get; set; }
    public required string Data { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One webhook notification to a studio (table <c>webhook_deliveries</c>): written with the event it tells of, POSTed
/// signed (HMAC-SHA256 over the timestamp and body) until the receiver answers 2xx, retried with backoff, given up after
/// the last attempt. The row is the delivery log the API shows.
/// </summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public long EventId { get; set; }

    /// <summary>The event it tells of (set when both are written together; EF orders the inserts).</summary>
    public JobEvent? Event { get; set; }

    public required string EventType { get; set; }
    public required string Url { get; set; }

    /// <summary>The exact body POSTed (JSON), the same on every attempt.</summary>
    public required string Payload { get; set; }

    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Set after the last attempt failed: no more attempts.</summary>
    public DateTimeOffset? GaveUpAt { get; set; }

    /// <summary>The receiver's last HTTP status; null when it did not answer.</summary>
    public int? LastStatus { get; set; }

    /// <summary>Why the last attempt failed (status line or connection error), for the studio.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A file a studio uploaded ahead of a job (table <c>uploads</c>, <c>/v1/uploads</c>): named in a job or a batch by its id
/// instead of a multipart part. <see cref="Offset"/> and <see cref="Length"/> let a resumable upload continue.
/// </summary>
public sealed class Upload
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string FileName { get; set; }
    public required string Key { get; set; }

    /// <summary>The declared size in bytes; null while deferred.</summary>
    public long? Length { get; set; }

    /// <summary>Bytes received so far.</summary>
    public long Offset { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the last byte arrived; null while incomplete.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>An incomplete upload is swept after this.</summary>
    public DateTimeOffset ExpiresAt { get; set; }
    public uint Version { get; set; }
}

/// <summary>What a deletion record is about.</summary>
public static class DeletionSubjects
{
    /// <summary>A job: everything under <c>jobs/&lt;id&gt;/</c>.</summary>
    public const string Job = "job";

    /// <summary>An actor: its models, everything under <c>actors/&lt;id&gt;/</c> (each of its training jobs has its own record).</summary>
    public const string Actor = "actor";
}

/// <summary>Why media was deleted.</summary>
public static class DeletionReasons
{
    /// <summary>The studio asked (<c>DELETE /v1/jobs/{id}</c>, <c>DELETE /v1/actors/{id}</c>): the media and the job's or actor's row are gone.</summary>
    public const string StudioRequest = "studio-request";

    /// <summary>The retention period ran out (<c>Retention:JobMedia</c>): the job's media is gone, its row stays.</summary>
    public const string Retention = "retention";
}

/// <summary>
/// The audit record of a deletion (table <c>deletions</c>): whose, what, when, why and how much was removed. It holds no
/// face data, no file name and no media key, and it is never deleted: it outlives the job or actor it is about.
/// </summary>
public sealed class Deletion
{
    public long Id { get; set; }

    /// <summary>The studio whose job or actor it was.</summary>
    public Guid TenantId { get; set; }

    /// <summary><see cref="DeletionSubjects.Job"/> or <see cref="DeletionSubjects.Actor"/>.</summary>
    public required string Subject { get; set; }

    /// <summary>The job's or the actor's id.</summary>
    public Guid SubjectId { get; set; }

    /// <summary>A job's kind (track, retarget, train-actor); null for an actor.</summary>
    public string? JobKind { get; set; }

    /// <summary>The actor: for an actor, itself; for a train-actor job, the actor it trained; for a retarget job, the actor it was rendered onto.</summary>
    public Guid? ActorId { get; set; }

    /// <summary><see cref="DeletionReasons.StudioRequest"/> or <see cref="DeletionReasons.Retention"/>.</summary>
    public required string Reason { get; set; }

    public DateTimeOffset DeletedAt { get; set; }

    /// <summary>Files removed from the media store under the subject's own prefix (late writes of work in flight included).</summary>
    public int Files { get; set; }

    /// <summary>Their bytes.</summary>
    public long Bytes { get; set; }
}
