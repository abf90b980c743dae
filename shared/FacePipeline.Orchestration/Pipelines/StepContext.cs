using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Pipelines;

/// <summary>
/// A step's view of one job inside one coordinator transaction: the job row with its stages, clips and outputs, the
/// chunks, the outbox (commands leave only if the transaction commits) and the clock.
/// </summary>
public sealed class StepContext
{
    private readonly Action<StepContext, string, string, string> _fail;
    private List<JobChunk>? _chunks;
    private List<JobSegment>? _segments;

    internal StepContext(JobsDbContext db, Job job, JobPipeline pipeline, DateTimeOffset now, CancellationToken cancellationToken, Action<StepContext, string, string, string> fail)
    {
        Db = db;
        Job = job;
        Pipeline = pipeline;
        Now = now;
        CancellationToken = cancellationToken;
        _fail = fail;
    }

    public JobsDbContext Db { get; }

    public Job Job { get; }

    public JobPipeline Pipeline { get; }

    public DateTimeOffset Now { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Frames per chunk, as the studio asked at submission (kept on the job: a re-sent extraction cuts the same chunks).</summary>
    public int? ChunkSize { get; init; }

    /// <summary>The job's row for a stage.</summary>
    public JobStage Stage(string name) => Job.Stage(name);

    /// <summary>Queues a command (or an event) in the outbox of this transaction, with the job's broker priority.</summary>
    public void Send<T>(T message)
        where T : class => Outbox.Enqueue(Db, message, Now, Outbox.PriorityOf(Job));

    /// <summary>Records an output of the job; its content type is the one the job kind declares for it.</summary>
    public void AddOutput(string name, string key)
    {
        var declared = Pipeline.Output(name);
        if (Job.Outputs.Any(o => o.Name == name))
        {
            return;
        }

        Job.Outputs.Add(new JobOutput { JobId = Job.Id, Name = name, Key = key, ContentType = declared.ContentType });
    }

    /// <summary>The stored key of an output recorded by an earlier step.</summary>
    public string OutputKey(string name) =>
        Job.Outputs.FirstOrDefault(o => o.Name == name)?.Key
        ?? throw new InvalidOperationException($"Job {Job.Id} has no output '{name}' yet: a step reads it before the step that writes it ran.");

    /// <summary>Fails the job (a reason a person can act on, a stable code); the job's other steps see <see cref="PipelineStep.OnJobEnded"/>.</summary>
    public void Fail(string stage, string code, string reason) => _fail(this, stage, code, reason);

    /// <summary>Adds a chunk of a clip (extraction).</summary>
    public void AddChunk(JobChunk chunk)
    {
        Db.JobChunks.Add(chunk);
        _chunks = null;
    }

    /// <summary>The job's chunks, ordered by clip and index.</summary>
    public async Task<IReadOnlyList<JobChunk>> Chunks() =>
        _chunks ??= await Db.JobChunks.Where(c => c.JobId == Job.Id).OrderBy(c => c.Clip).ThenBy(c => c.Index).ToListAsync(CancellationToken);

    /// <summary>Adds a segment of an output clip (a segmented render).</summary>
    public void AddSegment(JobSegment segment)
    {
        Db.JobSegments.Add(segment);
        _segments?.Add(segment);
    }

    /// <summary>The segments of the job's output clip <paramref name="output"/>, by index.</summary>
    public async Task<IReadOnlyList<JobSegment>> Segments(string output)
    {
        _segments ??= await Db.JobSegments.Where(s => s.JobId == Job.Id).OrderBy(s => s.Output).ThenBy(s => s.Index).ToListAsync(CancellationToken);
        return [.. _segments.Where(s => s.Output == output).OrderBy(s => s.Index)];
    }

    /// <summary>A clip of the job with its chunks, as the steps after reconstruction send it.</summary>
    public async Task<ClipTrack> ClipTrack(string name)
    {
        var clip = Job.Clips.Single(c => c.Name == name);
        var video = Video(clip);
        var chunks = await Chunks();
        return new ClipTrack(
            name,
            clip.InputFileName,
            clip.InputKey,
            video,
            [.. chunks.Where(c => c.Clip == name).OrderBy(c => c.Index).Select(c => new TrackChunk(new FrameChunk(c.Index, c.FirstFrame, c.FrameCount), c.FacesKey))],
            clip.TimelineKey!,
            clip.AudioKey,
            clip.SequenceKey);
    }

    /// <summary>An extracted clip's video facts, as extraction measured them.</summary>
    public static VideoInfo Video(JobClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var rate = clip.FrameRate!.Split('/');
        return new VideoInfo(
            clip.Width!.Value,
            clip.Height!.Value,
            long.Parse(rate[0], CultureInfo.InvariantCulture),
            long.Parse(rate[1], CultureInfo.InvariantCulture),
            clip.FrameCount!.Value,
            clip.DurationSeconds!.Value,
            clip.HasAudio ?? false);
    }

    /// <summary>Marks a stage running from now.</summary>
    public JobStage Run(string stage)
    {
        var row = Stage(stage);
        if (row.State == StageState.Pending)
        {
            row.State = StageState.Running;
            row.StartedAt = Now;
        }

        return row;
    }
}
