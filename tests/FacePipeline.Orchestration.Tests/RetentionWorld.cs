using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using FacePipeline.Contracts;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// One test's world for retention and deletion: a media store in a scratch folder, a clock the test moves, the retention,
/// the studios' deletions and a coordinator that calls the retention hook (or not: a crash between the commit and the
/// deletion), over the test class's real database. Jobs are driven through the coordinator with the stages' events, and
/// every key those events name is written as a file of its own random bytes.
/// </summary>
public sealed class RetentionWorld : IDisposable
{
    private readonly JobStoreFixture _store;
    private readonly Random _random = new(16);

    public RetentionWorld(JobStoreFixture store, RetentionOptions? options = null, bool hook = true)
    {
        _store = store;
        Root = RepoPaths.NewScratchFolder("retention-media");
        Media = new MediaStore(Root);
        var now = DateTimeOffset.UtcNow;
        Clock = new ManualClock(new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero)); // whole microseconds, as PostgreSQL keeps them
        Options = options ?? new RetentionOptions();
        Retention = new MediaRetention(store.Db, Media, Microsoft.Extensions.Options.Options.Create(Options), Clock, NullLogger<MediaRetention>.Instance);
        Coordinator = new JobCoordinator(store.Db, store.Pipelines, store.Signal, Clock, NullLogger<JobCoordinator>.Instance, hook ? Retention : null);
        Deletions = new StudioDeletions(store.Db, Media, Coordinator, Clock, NullLogger<StudioDeletions>.Instance);
        Submission = new JobSubmission(store.Pipelines, store.Signal, Clock);
    }

    public string Root { get; }

    public MediaStore Media { get; }

    public ManualClock Clock { get; }

    public RetentionOptions Options { get; }

    public MediaRetention Retention { get; }

    public JobCoordinator Coordinator { get; }

    public StudioDeletions Deletions { get; }

    public JobSubmission Submission { get; }

    public Guid TenantId => _store.TenantId;

    public Task<JobsDbContext> Db() => _store.Db.CreateDbContextAsync();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Writes a file of random bytes (a few hundred to a few thousand) under <paramref name="key"/>.</summary>
    public void Put(string key)
    {
        var bytes = new byte[_random.Next(200, 4000)];
        _random.NextBytes(bytes);
        Media.Write(key, s => s.Write(bytes));
    }

    /// <summary>Every file under a key prefix, by key, with its bytes (empty when there is none).</summary>
    public SortedDictionary<string, byte[]> Files(string prefix)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var path = Media.PathFor(prefix);
        if (!Directory.Exists(path))
        {
            return files;
        }

        foreach (var file in Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            files[Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/')] = File.ReadAllBytes(file);
        }

        return files;
    }

    /// <summary>The files and bytes under a prefix, as a deletion record would count them.</summary>
    public (int Files, long Bytes) Count(string prefix)
    {
        var files = Files(prefix);
        return (files.Count, files.Values.Sum(b => (long)b.Length));
    }

    /// <summary>Asserts that the files under a prefix are exactly <paramref name="before"/>, byte for byte.</summary>
    public void AssertUnchanged(string prefix, SortedDictionary<string, byte[]> before)
    {
        Assert.NotEmpty(before);
        var now = Files(prefix);
        Assert.Equal(before.Keys, now.Keys);
        foreach (var (key, bytes) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(now[key]), $"{key} changed.");
        }
    }

    /// <summary>Whether anything is left under a prefix (the folder itself included).</summary>
    public bool Exists(string prefix) => Directory.Exists(Media.PathFor(prefix)) || File.Exists(Media.PathFor(prefix));

    /// <summary>
    /// A track job submitted, extracted (its input, frames, timeline and audio written) and reconstructing; with
    /// <paramref name="exactPlanes"/>, as a single-decode pass (its chunks one after another).
    /// </summary>
    public async Task<Guid> ReconstructingTrackJob(int chunks = 2, Guid? tenantId = null, bool exactPlanes = false)
    {
        var jobId = Guid.NewGuid();
        var input = MediaKeys.Input(jobId, ClipNames.Source, ".mp4");
        Put(input);
        await using (var db = await Db())
        {
            await Submission.SubmitTrackJob(db, jobId, tenantId ?? TenantId, "clip.mp4", input, 1000, ChunkSize, CancellationToken.None);
        }

        await Extract(jobId, ClipNames.Source, chunks, exactPlanes);
        return jobId;
    }

    /// <summary>A track job run to completion: every key its stages name is written (frames, face records, sequence, outputs).</summary>
    public async Task<Guid> CompletedTrackJob(int chunks = 2)
    {
        var jobId = await ReconstructingTrackJob(chunks);
        await Reconstruct(jobId, ClipNames.Source, chunks);
        string[] outputs = [MediaKeys.Output(jobId, OutputNames.QcClip), MediaKeys.Output(jobId, OutputNames.Tracking), MediaKeys.Output(jobId, OutputNames.TrackingBinary)];
        foreach (var key in outputs)
        {
            Put(key);
        }

        await Coordinator.Handle(new TrackOutputsRendered(jobId, outputs[0], outputs[1], outputs[2]));
        await AssertState(jobId, JobState.Completed);
        return jobId;
    }

    /// <summary>
    /// An actor with model version 1 trained (its train-actor job completed): the job's input, frames, face records and
    /// sequence of its clip, and the model's generator, checkpoint and preview are written.
    /// </summary>
    public async Task<(Guid ActorId, Guid JobId)> TrainedActor(string name = "Ada", int chunks = 2)
    {
        var actor = new Actor { Id = Guid.NewGuid(), TenantId = TenantId, Name = name };
        var jobId = await Training(actor, chunks);
        await using (var db = await Db())
        {
            var model = await db.ActorModels.SingleAsync(m => m.JobId == jobId);
            foreach (var key in new[] { model.GeneratorKey, model.CheckpointKey, model.PreviewKey })
            {
                Put(key);
            }

            await Coordinator.Handle(new ActorModelTrained(jobId, model.Id, 10, 3.5, new ValidationFigures(0.05, 24, 0.8, 4), new ValidationFigures(0.09, 21, 0.7, 4), model.GeneratorKey, model.CheckpointKey, model.PreviewKey));
        }

        await AssertState(jobId, JobState.Completed);
        return (actor.Id, jobId);
    }

    /// <summary>The actor's next model version, training (its clip extracted and reconstructed, a checkpoint written).</summary>
    public async Task<Guid> TrainingNextVersion(Guid actorId)
    {
        Actor actor;
        await using (var db = await Db())
        {
            actor = await db.Actors.SingleAsync(a => a.Id == actorId);
        }

        var jobId = await Training(actor, chunks: 1);
        await using (var db = await Db())
        {
            Put((await db.ActorModels.SingleAsync(m => m.JobId == jobId)).CheckpointKey);
        }

        await AssertState(jobId, JobState.Training);
        return jobId;
    }

    /// <summary>A retarget job onto the actor's model version 1: the source extracted, reconstructed and, with <paramref name="complete"/>, transferred and rendered (outputs written).</summary>
    public async Task<Guid> RetargetOntoActor(Guid actorId, bool complete)
    {
        var jobId = Guid.NewGuid();
        var input = MediaKeys.Input(jobId, ClipNames.Source, ".mp4");
        Put(input);
        await using (var db = await Db())
        {
            var model = await db.ActorModels.SingleAsync(m => m.ActorId == actorId && m.Version == 1);
            await Submission.SubmitRetargetOntoActor(db, jobId, TenantId, new ClipInput(ClipNames.Source, "performer.mp4", input, 10), model, ChunkSize, RetargetSettings.Default, CancellationToken.None);
        }

        await Extract(jobId, ClipNames.Source, 1);
        await Reconstruct(jobId, ClipNames.Source, 1);
        await AssertState(jobId, JobState.Transferring);
        if (!complete)
        {
            return jobId;
        }

        var transfer = MediaKeys.Output(jobId, OutputNames.Transfer);
        Put(transfer);
        await Coordinator.Handle(new ExpressionsTransferred(jobId, transfer, 10, 0));
        string[] outputs = [MediaKeys.Output(jobId, OutputNames.Result), MediaKeys.Output(jobId, OutputNames.Review), MediaKeys.Output(jobId, OutputNames.Qc)];
        foreach (var key in outputs)
        {
            Put(key);
        }

        await Coordinator.Handle(new RetargetOutputsRendered(jobId, outputs[0], outputs[1], null, QcKey: outputs[2]));
        await AssertState(jobId, JobState.Completed);
        return jobId;
    }

    public async Task<Job?> Job(Guid jobId)
    {
        await using var db = await Db();
        return await db.Jobs.AsNoTracking().Include(j => j.Outputs).Include(j => j.Stages).SingleOrDefaultAsync(j => j.Id == jobId);
    }

    public async Task AssertState(Guid jobId, JobState state) => Assert.Equal(state, (await Job(jobId))!.State);

    private async Task<Guid> Training(Actor actor, int chunks)
    {
        var jobId = Guid.NewGuid();
        var input = MediaKeys.Input(jobId, "clip-1", ".mp4");
        Put(input);
        await using (var db = await Db())
        {
            var tracked = await db.Actors.AnyAsync(a => a.Id == actor.Id) ? await db.Actors.SingleAsync(a => a.Id == actor.Id) : actor;
            await Submission.SubmitTrainActorJob(db, jobId, tracked, [new ClipInput("clip-1", $"{actor.Name}.mp4", input, 1000)], ChunkSize, new TrainingSettings(CropSize: 64, MaxSteps: 10), CancellationToken.None);
        }

        await Extract(jobId, "clip-1", chunks);
        await Reconstruct(jobId, "clip-1", chunks);
        return jobId;
    }

    private async Task Extract(Guid jobId, string clip, int chunks, bool exactPlanes = false)
    {
        var extracted = Extracted(jobId, chunks, clip) with { ExactPlanes = exactPlanes };
        foreach (var key in new[] { extracted.TimelineKey, extracted.AudioKey! })
        {
            Put(key);
        }

        await Coordinator.Handle(extracted);
    }

    private async Task Reconstruct(Guid jobId, string clip, int chunks)
    {
        await TrackChunks(jobId, clip, chunks);
        await BuildSequence(jobId, clip, chunks);
    }

    /// <summary>Every chunk of a clip tracked: its face records written (and, with <paramref name="passStates"/>, the state a single-decode pass leaves), each reported.</summary>
    public async Task TrackChunks(Guid jobId, string clip, int chunks, bool passStates = false)
    {
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            Put(MediaKeys.Faces(jobId, clip, chunk));
            if (passStates)
            {
                Put(MediaKeys.TrackPassState(jobId, clip, chunk));
                Put(MediaKeys.Segment(jobId, "qc", chunk, ".nut"));
            }

            await Coordinator.Handle(Detected(jobId, chunk, clip: clip));
        }
    }

    /// <summary>A clip's face sequence written and reported.</summary>
    public async Task BuildSequence(Guid jobId, string clip, int chunks)
    {
        Put(MediaKeys.FaceSequence(jobId, clip));
        await Coordinator.Handle(Sequenced(jobId, clip, frames: chunks * ChunkSize));
    }
}
