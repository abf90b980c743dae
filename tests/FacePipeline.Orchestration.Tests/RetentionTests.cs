using FacePipeline.Contracts;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// Retention on the real PostgreSQL, with the media in a scratch folder and a clock the test moves: a track or retarget
/// job's working data goes as it ends (and whatever a crash or work in flight left, on the sweeper's rounds), its inputs
/// and outputs after Retention:JobMedia with its row kept; an actor's footage stays with the actor; nothing else is
/// touched, byte for byte.
/// </summary>
public sealed class RetentionTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IDisposable
{
    private readonly RetentionWorld _world = new(store);

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task A_track_job_that_completes_loses_its_frames_and_face_records_at_once_and_keeps_its_input_and_outputs()
    {
        var bystander = await _world.ReconstructingTrackJob();
        var bystanderFiles = _world.Files(RetentionKeys.JobPrefix(bystander));
        var jobId = await _world.CompletedTrackJob();

        var job = RetentionKeys.JobPrefix(jobId);
        Assert.False(_world.Exists($"{job}/clips"), "The raw frames are still there.");
        Assert.False(_world.Exists($"{job}/faces"), "The face records and the sequence are still there.");
        Assert.Equal(
            new[] { MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), MediaKeys.Output(jobId, OutputNames.QcClip), MediaKeys.Output(jobId, OutputNames.Tracking), MediaKeys.Output(jobId, OutputNames.TrackingBinary) }.Order(StringComparer.Ordinal),
            _world.Files(job).Keys.Order(StringComparer.Ordinal));
        _world.AssertUnchanged(RetentionKeys.JobPrefix(bystander), bystanderFiles); // a running job keeps everything

        var row = (await _world.Job(jobId))!;
        Assert.Null(row.WorkingDataDeletedAt); // work in flight may still write some: the sweeper looks for an hour
        Assert.Null(row.MediaDeletedAt);
    }

    [Fact]
    public async Task A_track_jobs_chunk_records_go_once_its_face_sequence_is_recorded_and_the_sequence_and_the_rest_stay()
    {
        var bystander = await _world.ReconstructingTrackJob();
        var bystanderFiles = _world.Files(RetentionKeys.JobPrefix(bystander));
        var jobId = await _world.ReconstructingTrackJob(chunks: 3);
        await _world.TrackChunks(jobId, ClipNames.Source, 3);
        var chunkRecords = Enumerable.Range(0, 3).Select(c => MediaKeys.Faces(jobId, ClipNames.Source, c)).ToList();
        Assert.All(chunkRecords, k => Assert.True(_world.Exists(k), $"{k} is missing before the sequence is built."));
        var before = _world.Files(RetentionKeys.JobPrefix(jobId));

        await _world.BuildSequence(jobId, ClipNames.Source, 3);

        await _world.AssertState(jobId, JobState.Rendering);
        Assert.All(chunkRecords, k => Assert.False(_world.Exists(k), $"{k} is still there once the sequence is recorded."));
        var after = _world.Files(RetentionKeys.JobPrefix(jobId));
        Assert.Equal(
            before.Keys.Except(chunkRecords).Append(MediaKeys.FaceSequence(jobId, ClipNames.Source)).Order(StringComparer.Ordinal),
            after.Keys.Order(StringComparer.Ordinal)); // input, timeline, audio and the sequence
        Assert.All(before.Keys.Except(chunkRecords), k => Assert.True(before[k].AsSpan().SequenceEqual(after[k]), $"{k} changed."));
        _world.AssertUnchanged(RetentionKeys.JobPrefix(bystander), bystanderFiles);
    }

    [Fact]
    public async Task A_single_decode_pass_loses_its_states_with_its_chunk_records_and_keeps_its_QC_segments_for_the_join()
    {
        var bystander = await _world.ReconstructingTrackJob(exactPlanes: true);
        await _world.TrackChunks(bystander, ClipNames.Source, 1, passStates: true);
        var bystanderFiles = _world.Files(RetentionKeys.JobPrefix(bystander));
        var jobId = await _world.ReconstructingTrackJob(chunks: 3, exactPlanes: true);
        await _world.TrackChunks(jobId, ClipNames.Source, 3, passStates: true);
        var gone = Enumerable.Range(0, 3).SelectMany(c => new[] { MediaKeys.Faces(jobId, ClipNames.Source, c), MediaKeys.TrackPassState(jobId, ClipNames.Source, c) }).ToList();
        var before = _world.Files(RetentionKeys.JobPrefix(jobId));
        Assert.All(gone, k => Assert.True(before.ContainsKey(k), $"{k} is missing before the sequence is built."));

        await _world.BuildSequence(jobId, ClipNames.Source, 3);

        await _world.AssertState(jobId, JobState.Rendering);
        var after = _world.Files(RetentionKeys.JobPrefix(jobId));
        Assert.Equal(
            before.Keys.Except(gone).Append(MediaKeys.FaceSequence(jobId, ClipNames.Source)).Order(StringComparer.Ordinal),
            after.Keys.Order(StringComparer.Ordinal)); // input, timeline, audio, the QC segments and the sequence
        Assert.All(before.Keys.Except(gone), k => Assert.True(before[k].AsSpan().SequenceEqual(after[k]), $"{k} changed."));
        _world.AssertUnchanged(RetentionKeys.JobPrefix(bystander), bystanderFiles);
    }

    [Fact]
    public async Task An_actors_chunk_records_and_a_job_keeping_its_working_data_keep_their_chunk_records_after_the_sequence()
    {
        var (_, training) = await _world.TrainedActor(chunks: 2);
        Assert.All(Enumerable.Range(0, 2), c => Assert.True(_world.Exists(MediaKeys.Faces(training, "clip-1", c)), "The actor's footage lost its face records."));

        using var keeping = new RetentionWorld(store, new RetentionOptions { WorkingData = TimeSpan.FromDays(2) });
        var jobId = await keeping.ReconstructingTrackJob(chunks: 2);
        await keeping.TrackChunks(jobId, ClipNames.Source, 2);
        await keeping.BuildSequence(jobId, ClipNames.Source, 2);

        await keeping.AssertState(jobId, JobState.Rendering);
        Assert.All(Enumerable.Range(0, 2), c => Assert.True(keeping.Exists(MediaKeys.Faces(jobId, ClipNames.Source, c)), "Working data kept for two days went early."));
    }

    [Fact]
    public async Task A_cancelled_retarget_onto_an_actor_loses_its_own_working_data_but_never_the_actors_footage_it_borrowed()
    {
        var (actorId, training) = await _world.TrainedActor();
        var footage = _world.Files(RetentionKeys.JobPrefix(training));
        var models = _world.Files(RetentionKeys.ActorPrefix(actorId));
        Assert.Contains(footage.Keys, k => k.Contains("/clips/clip-1/timeline.json", StringComparison.Ordinal));
        Assert.Contains(footage.Keys, k => k.EndsWith("/faces/clip-1/sequence.fptk", StringComparison.Ordinal)); // a completed training keeps its clips

        var retarget = await _world.RetargetOntoActor(actorId, complete: false);
        Assert.True(_world.Exists($"{RetentionKeys.JobPrefix(retarget)}/clips/source"));
        Assert.True(await _world.Coordinator.Cancel(retarget, CancellationToken.None));

        Assert.False(_world.Exists($"{RetentionKeys.JobPrefix(retarget)}/clips"));
        Assert.False(_world.Exists($"{RetentionKeys.JobPrefix(retarget)}/faces"));
        Assert.True(_world.Exists(MediaKeys.Input(retarget, ClipNames.Source, ".mp4")));
        _world.AssertUnchanged(RetentionKeys.JobPrefix(training), footage);
        _world.AssertUnchanged(RetentionKeys.ActorPrefix(actorId), models);
    }

    [Fact]
    public async Task The_sweeper_deletes_working_data_a_crash_left_and_what_work_in_flight_writes_after_the_end_then_settles()
    {
        using var crashed = new RetentionWorld(store, hook: false); // the process died between the commit and the deletion
        var jobId = await crashed.ReconstructingTrackJob();
        await crashed.Coordinator.OnStageFailed(jobId, StageNames.Reconstruct, FailureCodes.NoFace, "No face found in the clip.", CancellationToken.None);
        var job = RetentionKeys.JobPrefix(jobId);
        Assert.True(crashed.Exists($"{job}/clips"));

        await crashed.Retention.SweepAsync(CancellationToken.None);
        Assert.False(crashed.Exists($"{job}/clips"));
        Assert.Null((await crashed.Job(jobId))!.WorkingDataDeletedAt);

        // A chunk that was being tracked when the job failed lands afterwards.
        crashed.Clock.Advance(TimeSpan.FromMinutes(20));
        crashed.Put(MediaKeys.Faces(jobId, ClipNames.Source, 1));
        await crashed.Retention.SweepAsync(CancellationToken.None);
        Assert.False(crashed.Exists($"{job}/faces"));
        Assert.Null((await crashed.Job(jobId))!.WorkingDataDeletedAt);

        crashed.Clock.Advance(crashed.Options.LateWorkWindow);
        crashed.Put(MediaKeys.Faces(jobId, ClipNames.Source, 0));
        await crashed.Retention.SweepAsync(CancellationToken.None);
        Assert.False(crashed.Exists($"{job}/faces"));
        Assert.Equal(crashed.Clock.Now, (await crashed.Job(jobId))!.WorkingDataDeletedAt);
        Assert.True(crashed.Exists(MediaKeys.Input(jobId, ClipNames.Source, ".mp4"))); // the input waits for Retention:JobMedia
        var failed = (await crashed.Job(jobId))!;
        Assert.Equal((JobState.Failed, FailureCodes.NoFace), (failed.State, failed.FailureCode));
    }

    [Fact]
    public async Task Inputs_and_outputs_go_after_the_retention_period_and_the_row_stays_with_its_figures_and_a_retention_record()
    {
        var (actorId, training) = await _world.TrainedActor("Bo");
        var retarget = await _world.RetargetOntoActor(actorId, complete: true);
        var running = await _world.ReconstructingTrackJob();
        var jobId = await _world.CompletedTrackJob(chunks: 3);
        var expected = _world.Count(RetentionKeys.JobPrefix(jobId));
        var kept = new[] { RetentionKeys.JobPrefix(training), RetentionKeys.ActorPrefix(actorId), RetentionKeys.JobPrefix(running) }
            .ToDictionary(p => p, _world.Files);

        _world.Clock.Advance(_world.Options.JobMedia - TimeSpan.FromMinutes(1));
        await _world.Retention.SweepAsync(CancellationToken.None);
        Assert.Equal(expected, _world.Count(RetentionKeys.JobPrefix(jobId)));
        Assert.Null((await _world.Job(jobId))!.MediaDeletedAt);

        _world.Clock.Advance(TimeSpan.FromMinutes(2));
        await _world.Retention.SweepAsync(CancellationToken.None);

        Assert.False(_world.Exists(RetentionKeys.JobPrefix(jobId)));
        Assert.False(_world.Exists(RetentionKeys.JobPrefix(retarget)));
        var row = (await _world.Job(jobId))!;
        Assert.Equal(JobState.Completed, row.State);
        Assert.Equal(3 * CoordinatorEvents.ChunkSize, row.FrameCount);
        Assert.Equal(3, row.Outputs.Count);
        Assert.Equal(_world.Clock.Now, row.MediaDeletedAt);
        Assert.NotNull(row.WorkingDataDeletedAt);

        await using var db = await _world.Db();
        var record = await db.Deletions.SingleAsync(d => d.SubjectId == jobId);
        Assert.Equal((DeletionSubjects.Job, JobKinds.Track, DeletionReasons.Retention, _world.TenantId), (record.Subject, record.JobKind, record.Reason, record.TenantId));
        Assert.Equal(expected, (record.Files, record.Bytes));
        Assert.Equal(_world.Clock.Now, record.DeletedAt);
        var retargetRecord = await db.Deletions.SingleAsync(d => d.SubjectId == retarget);
        Assert.Equal(actorId, retargetRecord.ActorId);

        // The actor's footage and models stay as long as the actor; a running job is never swept.
        foreach (var (prefix, files) in kept)
        {
            _world.AssertUnchanged(prefix, files);
        }

        Assert.Null((await _world.Job(training))!.MediaDeletedAt);
        Assert.False(await db.Deletions.AnyAsync(d => d.SubjectId == training || d.SubjectId == running));

        // A second round finds nothing more to do for it: one record, counts unchanged.
        await _world.Retention.SweepAsync(CancellationToken.None);
        Assert.Equal(expected, await db.Deletions.Where(d => d.SubjectId == jobId).Select(d => new ValueTuple<int, long>(d.Files, d.Bytes)).SingleAsync());
    }

    [Fact]
    public async Task Working_data_kept_for_a_while_goes_on_the_sweepers_round_after_that_time()
    {
        using var keeping = new RetentionWorld(store, new RetentionOptions { WorkingData = TimeSpan.FromDays(2) });
        var jobId = await keeping.CompletedTrackJob();
        var job = RetentionKeys.JobPrefix(jobId);
        Assert.True(keeping.Exists($"{job}/clips")); // not at the end: the setting keeps it two days

        keeping.Clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        await keeping.Retention.SweepAsync(CancellationToken.None);
        Assert.True(keeping.Exists($"{job}/faces"));

        keeping.Clock.Advance(TimeSpan.FromMinutes(2));
        await keeping.Retention.SweepAsync(CancellationToken.None);
        Assert.False(keeping.Exists($"{job}/clips"));
        Assert.False(keeping.Exists($"{job}/faces"));
        Assert.True(keeping.Exists($"{job}/outputs"));
        Assert.Equal(keeping.Clock.Now, (await keeping.Job(jobId))!.WorkingDataDeletedAt);
    }
}
