using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

public sealed class TrainActorJobTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    private const int ChunkSize = CoordinatorEvents.ChunkSize;

    [Fact]
    public async Task A_train_actor_job_reconstructs_every_clip_trains_once_and_records_the_model_version()
    {
        var (jobId, actor) = await Submit("Ada", new TrainingSettings(CropSize: 64, MaxSteps: 40), "take-1.mp4", "take-2.mov");

        await store.Coordinator.Handle(Extracted(jobId, 1, "clip-2"), CancellationToken.None);
        await store.Coordinator.Handle(Extracted(jobId, 2, "clip-1"), CancellationToken.None);
        foreach (var (clip, chunk) in new[] { ("clip-1", 0), ("clip-2", 0), ("clip-1", 1), ("clip-1", 1) })
        {
            await store.Coordinator.Handle(Detected(jobId, chunk, clip: clip), CancellationToken.None);
        }

        await store.Coordinator.Handle(Sequenced(jobId, "clip-2"), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId, "clip-1", frames: 20), CancellationToken.None);

        TrainActorModel command;
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobState.Training, job.State);
            Assert.Equal(StageState.Running, job.Stage(StageNames.Train).State);
            Assert.Equal(40, job.Stage(StageNames.Train).FramesTotal);
            command = Assert.Single(await Messages<TrainActorModel>(db, jobId));
            Assert.Equal(["clip-1", "clip-2"], command.Clips.Select(c => c.Clip));
            Assert.Equal([2, 1], command.Clips.Select(c => c.Chunks.Count));
            Assert.Equal(64, command.Settings.CropSize);
            Assert.Equal(actor, command.ActorId);
            Assert.Equal(1, command.Version);
            Assert.Equal(MediaKeys.ActorModel(actor, 1, ActorModelFiles.Generator), command.GeneratorKey);
            Assert.Empty(await Messages<RenderTrackOutputs>(db, jobId));
        }

        var losses = new TrainingLossFigures(3.1, 0.4, 0.08, 0.6, 1.2);
        await store.Coordinator.Handle(new ActorTrainingProgressed(jobId, command.ModelId, 20, 40, losses, new ValidationFigures(0.07, 21.5, 0.71, 8), 12.5), CancellationToken.None);
        await store.Coordinator.Handle(new ActorTrainingProgressed(jobId, command.ModelId, 10, 40, losses with { L1 = 9 }, null, 6), CancellationToken.None); // late: ignored
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
            Assert.Equal(20, job.Stage(StageNames.Train).FramesDone);
            var model = await db.ActorModels.SingleAsync(m => m.JobId == jobId);
            Assert.Equal((ActorModelState.Training, 20, 12.5), (model.State, model.Step, model.TrainingSeconds));
            var metrics = JsonSerializer.Deserialize<ModelMetrics>(model.Metrics!, JsonSerializerOptions.Web)!;
            Assert.Equal(0.08, metrics.Losses!.L1);
            Assert.Equal(21.5, metrics.Validation!.Psnr);
        }

        var trained = new ActorModelTrained(jobId, command.ModelId, 40, 30.2, new ValidationFigures(0.05, 24.0, 0.8, 8), new ValidationFigures(0.09, 21.0, 0.7, 8), command.GeneratorKey, command.CheckpointKey, command.PreviewKey);
        await store.Coordinator.Handle(trained, CancellationToken.None);
        await store.Coordinator.Handle(trained, CancellationToken.None); // redelivered

        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).Include(j => j.Outputs).SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobState.Completed, job.State);
            Assert.Equal([ActorModelFiles.Generator, ActorModelFiles.Preview], job.Outputs.Select(o => o.Name).Order(StringComparer.Ordinal));
            var model = await db.ActorModels.SingleAsync(m => m.JobId == jobId);
            Assert.Equal((ActorModelState.Ready, 40), (model.State, model.Step));
            var metrics = JsonSerializer.Deserialize<ModelMetrics>(model.Metrics!, JsonSerializerOptions.Web)!;
            Assert.Equal(24.0, metrics.Validation!.Psnr);
            Assert.Equal(21.0, metrics.WarpBaseline!.Psnr);
            Assert.Equal(0.08, metrics.Losses!.L1); // the last progress report's losses are kept
        }

        // A second training of the same actor is version 2.
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var existing = await db.Actors.SingleAsync(a => a.Id == actor);
            var second = Guid.NewGuid();
            var (_, model) = await store.Submission.SubmitTrainActorJob(db, second, existing, [Clip(second, "clip-1", "take-3.mp4")], ChunkSize, TrainingSettings.Default, CancellationToken.None);
            Assert.Equal(2, model.Version);
            Assert.Equal(MediaKeys.ActorModel(actor, 2, ActorModelFiles.Checkpoint), model.CheckpointKey);
        }
    }

    [Fact]
    public async Task A_retarget_onto_an_actor_reuses_the_actors_reconstructed_footage_and_renders_with_its_model()
    {
        var (trainJob, actor) = await Submit("Di", new TrainingSettings(CropSize: 64, MaxSteps: 10), "actor.mp4");
        await store.Coordinator.Handle(Extracted(trainJob, 2, "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(trainJob, 0, clip: "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(trainJob, 1, framesWithFaces: 7, clip: "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(trainJob, "clip-1", frames: 20), CancellationToken.None);
        ActorModel model;
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            model = await db.ActorModels.SingleAsync(m => m.JobId == trainJob);
        }

        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitRetargetOntoActor(
                db, jobId, store.TenantId, new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 10),
                model, ChunkSize, new RetargetSettings(MouthGain: 1.5), CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, 1), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId), CancellationToken.None);

        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var job = await db.Jobs.Include(j => j.Stages).SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobState.Transferring, job.State);
            Assert.Equal((30, 30), (job.Stage(StageNames.Reconstruct).FramesDone, job.Stage(StageNames.Reconstruct).FramesTotal));
            var transfer = Assert.Single(await Messages<TransferExpressions>(db, jobId));
            Assert.Equal("actor.mp4", transfer.Target.FileName);
            Assert.Equal([(0, 0, 10), (1, 10, 10)], transfer.Target.Chunks.Select(c => (c.Frames.Index, c.Frames.FirstFrame, c.Frames.FrameCount)));
            var trainingClip = await db.JobClips.AsNoTracking().SingleAsync(c => c.JobId == trainJob);
            Assert.Equal(trainingClip.InputKey, transfer.Target.SourceKey); // the actor's footage is decoded from its training upload
            Assert.Equal(MediaKeys.Faces(trainJob, "clip-1", 1), transfer.Target.Chunks[1].FacesKey);
            Assert.Equal(1, transfer.Settings.ActorModelVersion);
            Assert.Equal(1.5, transfer.Settings.MouthGain);
            Assert.Single(await Messages<ExtractFrames>(db, jobId)); // only the source is extracted
        }

        await store.Coordinator.Handle(new ExpressionsTransferred(jobId, MediaKeys.Output(jobId, OutputNames.Transfer), 10, 0), CancellationToken.None);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var render = Assert.Single(await Messages<RenderRetargetSegment>(db, jobId)).Outputs; // 10 frames: one segment
            Assert.Equal(MediaKeys.ActorModel(actor, 1, ActorModelFiles.Generator), render.GeneratorKey);
        }
    }

    [Fact]
    public async Task An_actors_footage_tracked_before_sequences_existed_gets_its_sequence_built_by_the_retarget()
    {
        var (trainJob, _) = await Submit("Flo", new TrainingSettings(CropSize: 64, MaxSteps: 10), "actor.mp4");
        await store.Coordinator.Handle(Extracted(trainJob, 1, "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(trainJob, 0, clip: "clip-1"), CancellationToken.None);
        ActorModel model;
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            model = await db.ActorModels.SingleAsync(m => m.JobId == trainJob);
            (await db.JobClips.SingleAsync(c => c.JobId == trainJob)).SequenceKey = null; // as before the sequence step
            await db.SaveChangesAsync();
        }

        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitRetargetOntoActor(
                db, jobId, store.TenantId, new ClipInput(ClipNames.Source, "performer.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 10),
                model, ChunkSize, RetargetSettings.Default, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, 1), CancellationToken.None);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var borrowed = Assert.Single(await Messages<BuildFaceSequence>(db, jobId));
            Assert.Equal(ClipNames.Target, borrowed.Clip.Clip);
            Assert.Equal(MediaKeys.FaceSequence(jobId, ClipNames.Target), borrowed.SequenceKey);
            Assert.Equal(MediaKeys.Faces(trainJob, "clip-1", 0), borrowed.Clip.Chunks.Single().FacesKey);
        }

        await store.Coordinator.Handle(Detected(jobId, 0), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId, ClipNames.Target), CancellationToken.None);
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            Assert.Equal(2, (await Messages<BuildFaceSequence>(db, jobId)).Count);
            Assert.Equal(JobState.Transferring, (await db.Jobs.SingleAsync(j => j.Id == jobId)).State);
        }
    }

    [Fact]
    public async Task Cancelling_training_cancels_the_model_and_tells_the_training_service()
    {
        var (jobId, _) = await Submit("Bo", TrainingSettings.Default, "take.mp4");
        await store.Coordinator.Handle(Extracted(jobId, 1, "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0, clip: "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId, "clip-1"), CancellationToken.None);

        Assert.True(await store.Coordinator.Cancel(jobId, CancellationToken.None));
        Assert.False(await store.Coordinator.Cancel(jobId, CancellationToken.None));

        await using var db = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Cancelled, (await db.Jobs.SingleAsync(j => j.Id == jobId)).State);
        Assert.Equal(ActorModelState.Cancelled, (await db.ActorModels.SingleAsync(m => m.JobId == jobId)).State);
        Assert.Single(await Messages<JobCancelled>(db, jobId));
    }

    [Fact]
    public async Task A_clip_without_a_face_fails_the_training_naming_the_clip_and_the_model_fails()
    {
        var (jobId, _) = await Submit("Cy", TrainingSettings.Default, "good.mp4", "wall.mp4");
        await store.Coordinator.Handle(Extracted(jobId, 1, "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Extracted(jobId, 1, "clip-2"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0, clip: "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0, framesWithFaces: 0, clip: "clip-2"), CancellationToken.None);

        await using var db = await store.Db.CreateDbContextAsync();
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal((JobState.Failed, FailureCodes.NoFace), (job.State, job.FailureCode));
        Assert.Contains("the actor's clip 'wall.mp4'", job.FailureReason, StringComparison.Ordinal);
        Assert.Equal(ActorModelState.Failed, (await db.ActorModels.SingleAsync(m => m.JobId == jobId)).State);
        Assert.Empty(await Messages<TrainActorModel>(db, jobId));
    }

    [Fact]
    public async Task Non_finite_training_figures_travel_as_null_and_a_diverged_run_fails_the_job_and_the_model()
    {
        var (jobId, _) = await Submit("Ed", new TrainingSettings(CropSize: 64, MaxSteps: 40), "take.mp4");
        await store.Coordinator.Handle(Extracted(jobId, 1, "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Detected(jobId, 0, clip: "clip-1"), CancellationToken.None);
        await store.Coordinator.Handle(Sequenced(jobId, "clip-1"), CancellationToken.None);
        TrainActorModel command;
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            command = Assert.Single(await Messages<TrainActorModel>(db, jobId));
        }

        var progressed = new ActorTrainingProgressed(
            jobId, command.ModelId, 30, 40,
            TrainingLossFigures.Of(double.PositiveInfinity, double.NaN, 0.08, double.NegativeInfinity, 1.2),
            ValidationFigures.Of(0.07, double.PositiveInfinity, 0.71, 8), 12.5);
        var json = JsonSerializer.Serialize(progressed, JsonSerializerOptions.Web); // what the bus and the API write
        Assert.Contains("\"generator\":null", json, StringComparison.Ordinal);
        Assert.Contains("\"psnr\":null", json, StringComparison.Ordinal);
        Assert.Equal(0.08, JsonSerializer.Deserialize<ActorTrainingProgressed>(json, JsonSerializerOptions.Web)!.Losses!.L1);

        await store.Coordinator.Handle(progressed, CancellationToken.None);
        await store.Coordinator.OnStageFailed(
            jobId, StageNames.Train, FailureCodes.TrainingDiverged,
            "Training diverged at step 31: the generator loss became non-finite (NaN or infinite). The last good checkpoint (step 30) is kept; the model version is not finished.",
            CancellationToken.None);

        await using (var db = await store.Db.CreateDbContextAsync())
        {
            var model = await db.ActorModels.SingleAsync(m => m.JobId == jobId);
            var metrics = JsonSerializer.Deserialize<ModelMetrics>(model.Metrics!, JsonSerializerOptions.Web)!;
            Assert.Null(metrics.Losses!.Generator);
            Assert.Null(metrics.Losses.Discriminator);
            Assert.Equal(0.08, metrics.Losses.L1);
            Assert.Null(metrics.Validation!.Psnr);
            Assert.Equal(ActorModelState.Failed, model.State);
            var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
            Assert.Equal((JobState.Failed, FailureCodes.TrainingDiverged), (job.State, job.FailureCode));
            Assert.StartsWith("Training diverged at step 31", job.FailureReason, StringComparison.Ordinal);
        }
    }

    private async Task<(Guid JobId, Guid ActorId)> Submit(string name, TrainingSettings settings, params string[] files)
    {
        var jobId = Guid.NewGuid();
        var actor = new Actor { Id = Guid.NewGuid(), TenantId = store.TenantId, Name = name };
        await using var db = await store.Db.CreateDbContextAsync();
        await store.Submission.SubmitTrainActorJob(
            db, jobId, actor, [.. files.Select((f, i) => Clip(jobId, $"clip-{i + 1}", f))], ChunkSize, settings, CancellationToken.None);
        return (jobId, actor.Id);
    }

    private static ClipInput Clip(Guid jobId, string name, string file) => new(name, file, MediaKeys.Input(jobId, name, Path.GetExtension(file)), 100);
}
