using FacePipeline.Contracts;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// A studio's deletions on the real PostgreSQL, media in a scratch folder: a job or an actor goes at once (cancelled first
/// when running), nothing is left under its keys and nothing else is touched, byte for byte; another studio's finds
/// nothing; an actor's training job is refused while the actor exists; every deletion leaves its audit record.
/// </summary>
public sealed class StudioDeletionTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>, IDisposable
{
    private readonly RetentionWorld _world = new(store);

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Deleting_a_running_job_cancels_it_and_removes_its_row_and_everything_under_its_prefix_with_a_record()
    {
        var (actorId, training) = await _world.TrainedActor();
        var bystander = await _world.CompletedTrackJob();
        var others = new[] { RetentionKeys.JobPrefix(training), RetentionKeys.ActorPrefix(actorId), RetentionKeys.JobPrefix(bystander) }.ToDictionary(p => p, _world.Files);
        var jobId = await _world.ReconstructingTrackJob();
        var expected = _world.Count(RetentionKeys.JobPrefix(jobId));
        Assert.True(expected.Files >= 3); // input, timeline, audio (no frames are stored)

        var outcome = await _world.Deletions.DeleteJob(_world.TenantId, jobId, CancellationToken.None);

        Assert.Equal(DeletionStatus.Deleted, outcome.Status);
        Assert.Equal([jobId], outcome.CancelledJobs);
        Assert.True(outcome.Complete);
        Assert.False(_world.Exists(RetentionKeys.JobPrefix(jobId)));
        await using (var db = await _world.Db())
        {
            Assert.False(await db.Jobs.AnyAsync(j => j.Id == jobId));
            Assert.False(await db.JobStages.AnyAsync(s => s.JobId == jobId));
            Assert.False(await db.JobChunks.AnyAsync(c => c.JobId == jobId));
            Assert.False(await db.JobClips.AnyAsync(c => c.JobId == jobId));
            var record = await db.Deletions.SingleAsync(d => d.SubjectId == jobId);
            Assert.Equal((_world.TenantId, DeletionSubjects.Job, JobKinds.Track, DeletionReasons.StudioRequest), (record.TenantId, record.Subject, record.JobKind, record.Reason));
            Assert.Equal(expected, (record.Files, record.Bytes));
            Assert.Equal(_world.Clock.Now, record.DeletedAt);
            Assert.Equal(record.Id, outcome.Record!.Id);
        }

        foreach (var (prefix, files) in others)
        {
            _world.AssertUnchanged(prefix, files);
        }

        var again = await _world.Deletions.DeleteJob(_world.TenantId, jobId, CancellationToken.None);
        Assert.Equal(DeletionStatus.AlreadyDeleted, again.Status);
        Assert.Equal(outcome.Record.Id, again.Record!.Id);
    }

    [Fact]
    public async Task Another_studios_job_and_actor_are_not_found_and_stay_as_they_were()
    {
        Guid other;
        await using (var db = await _world.Db())
        {
            other = (await TenantKeys.CreateTenantAsync(db, $"other studio {Guid.NewGuid():N}", TimeProvider.System, CancellationToken.None)).Tenant.Id;
        }

        var (actorId, training) = await _world.TrainedActor();
        var jobId = await _world.ReconstructingTrackJob();
        var files = new[] { RetentionKeys.JobPrefix(jobId), RetentionKeys.JobPrefix(training), RetentionKeys.ActorPrefix(actorId) }.ToDictionary(p => p, _world.Files);

        Assert.Equal(DeletionStatus.NotFound, (await _world.Deletions.DeleteJob(other, jobId, CancellationToken.None)).Status);
        Assert.Equal(DeletionStatus.NotFound, (await _world.Deletions.DeleteActor(other, actorId, CancellationToken.None)).Status);
        Assert.Equal(DeletionStatus.NotFound, (await _world.Deletions.DeleteJob(other, training, CancellationToken.None)).Status);

        foreach (var (prefix, before) in files)
        {
            _world.AssertUnchanged(prefix, before);
        }

        await _world.AssertState(jobId, JobState.Reconstructing); // not cancelled either
        await using var check = await _world.Db();
        Assert.True(await check.Actors.AnyAsync(a => a.Id == actorId));
        Assert.False(await check.Deletions.AnyAsync(d => d.SubjectId == jobId || d.SubjectId == actorId || d.SubjectId == training));
    }

    [Fact]
    public async Task An_actors_training_job_is_refused_while_the_actor_exists_and_nothing_is_removed()
    {
        var (actorId, training) = await _world.TrainedActor();
        var footage = _world.Files(RetentionKeys.JobPrefix(training));

        var outcome = await _world.Deletions.DeleteJob(_world.TenantId, training, CancellationToken.None);

        Assert.Equal(DeletionStatus.Refused, outcome.Status);
        Assert.Equal((actorId, 1), (outcome.ActorId, outcome.ModelVersion));
        _world.AssertUnchanged(RetentionKeys.JobPrefix(training), footage);
        await _world.AssertState(training, JobState.Completed);
        await using var db = await _world.Db();
        Assert.False(await db.Deletions.AnyAsync(d => d.SubjectId == training));
    }

    [Fact]
    public async Task Deleting_an_actor_cancels_its_training_removes_its_footage_and_models_and_retargets_onto_it_keep_their_outputs()
    {
        var (other, otherTraining) = await _world.TrainedActor("Other");
        var (actorId, first) = await _world.TrainedActor("Cy");
        var retarget = await _world.RetargetOntoActor(actorId, complete: true);
        var second = await _world.TrainingNextVersion(actorId);
        var kept = new[] { RetentionKeys.JobPrefix(retarget), RetentionKeys.JobPrefix(otherTraining), RetentionKeys.ActorPrefix(other) }.ToDictionary(p => p, _world.Files);
        Assert.False(_world.Exists($"{RetentionKeys.JobPrefix(retarget)}/clips")); // its own working data went when it completed
        var expected = new[] { RetentionKeys.ActorPrefix(actorId), RetentionKeys.JobPrefix(first), RetentionKeys.JobPrefix(second) }.ToDictionary(p => p, _world.Count);

        var outcome = await _world.Deletions.DeleteActor(_world.TenantId, actorId, CancellationToken.None);

        Assert.Equal(DeletionStatus.Deleted, outcome.Status);
        Assert.Equal([second], outcome.CancelledJobs);
        Assert.Equal(new[] { first, second }.Order(), outcome.JobRecords.Select(r => r.SubjectId).Order());
        foreach (var prefix in expected.Keys)
        {
            Assert.False(_world.Exists(prefix), $"{prefix} is still there.");
        }

        foreach (var (prefix, files) in kept)
        {
            _world.AssertUnchanged(prefix, files);
        }

        await using var db = await _world.Db();
        Assert.False(await db.Actors.AnyAsync(a => a.Id == actorId));
        Assert.False(await db.ActorModels.AnyAsync(m => m.ActorId == actorId));
        Assert.False(await db.Jobs.AnyAsync(j => j.Id == first || j.Id == second));
        var survivor = await db.Jobs.Include(j => j.Outputs).SingleAsync(j => j.Id == retarget);
        Assert.Equal((JobState.Completed, actorId), (survivor.State, survivor.ActorId));
        Assert.Equal(4, survivor.Outputs.Count);
        Assert.True(await db.Actors.AnyAsync(a => a.Id == other));

        // The running training was told to stop (its service keeps nothing of a cancelled run).
        Assert.Contains(await CoordinatorEvents.Messages<JobCancelled>(db, second), m => m.JobId == second);

        var records = await db.Deletions.Where(d => d.ActorId == actorId && d.Reason == DeletionReasons.StudioRequest).ToListAsync();
        Assert.Equal(3, records.Count);
        var actorRecord = Assert.Single(records, r => r.Subject == DeletionSubjects.Actor);
        Assert.Equal((actorId, (string?)null), (actorRecord.SubjectId, actorRecord.JobKind));
        Assert.Equal(expected[RetentionKeys.ActorPrefix(actorId)], (actorRecord.Files, actorRecord.Bytes));
        foreach (var training in new[] { first, second })
        {
            var record = Assert.Single(records, r => r.SubjectId == training);
            Assert.Equal((DeletionSubjects.Job, JobKinds.TrainActor), (record.Subject, record.JobKind));
            Assert.Equal(expected[RetentionKeys.JobPrefix(training)], (record.Files, record.Bytes));
        }

        Assert.Equal(DeletionStatus.AlreadyDeleted, (await _world.Deletions.DeleteActor(_world.TenantId, actorId, CancellationToken.None)).Status);
        Assert.Equal(DeletionStatus.AlreadyDeleted, (await _world.Deletions.DeleteJob(_world.TenantId, first, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Files_that_work_in_flight_writes_after_a_deletion_are_removed_by_the_sweeper_and_counted()
    {
        var (actorId, _) = await _world.TrainedActor("Di");
        var training = await _world.TrainingNextVersion(actorId);
        var jobId = await _world.ReconstructingTrackJob(chunks: 1);
        var job = await _world.Deletions.DeleteJob(_world.TenantId, jobId, CancellationToken.None);
        var actor = await _world.Deletions.DeleteActor(_world.TenantId, actorId, CancellationToken.None);
        var (jobFiles, actorFiles) = (job.Record!.Files, actor.Record!.Files);

        // The chunk in hand is tracked and the training writes a last checkpoint before it stops.
        _world.Clock.Advance(TimeSpan.FromMinutes(5));
        _world.Put(MediaKeys.Faces(jobId, ClipNames.Source, 0));
        _world.Put(MediaKeys.ActorModel(actorId, 2, ActorModelFiles.Checkpoint));
        var late = _world.Count(RetentionKeys.ActorPrefix(actorId));
        await _world.Retention.SweepAsync(CancellationToken.None);

        Assert.False(_world.Exists(RetentionKeys.JobPrefix(jobId)));
        Assert.False(_world.Exists(RetentionKeys.ActorPrefix(actorId)));
        await using var db = await _world.Db();
        Assert.Equal(jobFiles + 1, (await db.Deletions.SingleAsync(d => d.Id == job.Record.Id)).Files);
        var actorRecord = await db.Deletions.SingleAsync(d => d.Id == actor.Record.Id);
        Assert.Equal(actorFiles + 1, actorRecord.Files);
        Assert.Equal(actor.Record.Bytes + late.Bytes, actorRecord.Bytes);
        Assert.False(await db.Jobs.AnyAsync(j => j.Id == training));
    }
}
