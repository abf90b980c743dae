using FacePipeline.Contracts;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Pipelines.Steps;
using FacePipeline.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// A new stage through its descriptor alone: a toy lip-sync step, placed between reconstruction and rendering in a toy
/// kind, runs end to end through the coordinator, the outbox (real PostgreSQL) and MassTransit's in-memory harness,
/// with stand-in workers. No consumer, transition, stage list or fault handler is written for it.
/// </summary>
public sealed class ToyJobKindTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    private const string Kind = "toy-dub";
    private const string LipSync = "lipsync";
    private const string LipSyncOutput = "lipsync.json";

    private static readonly JobPipeline Toy = new(
        Kind,
        "A clip in: its mouth re-timed to new dialogue (a toy).",
        [new ExtractFramesStep(), new ReconstructFacesStep(), new SyncLipsStep(), new RenderTrackOutputsStep()],
        [.. JobPipelines.Track.Outputs, new OutputSpec(LipSyncOutput, "application/json", "The re-timed mouth.")]);

    private static readonly JobPipelines Kinds = new([JobPipelines.Track, JobPipelines.Retarget, JobPipelines.TrainActor, Toy]);

    [Fact]
    public async Task A_toy_stage_declared_only_in_a_pipeline_runs_between_reconstruction_and_rendering_and_the_job_completes()
    {
        await using var provider = Services(fail: false);
        var (harness, jobId) = await StartAndSubmit(provider);
        try
        {
            Assert.True(await harness.GetConsumerHarness<StepEventConsumer<TrackOutputsRendered>>().Consumed.Any<TrackOutputsRendered>(m => m.Context.Message.JobId == jobId));
            var job = await WaitForEnd(jobId);

            Assert.Equal(JobState.Completed, job.State);
            Assert.Equal(["extract", "reconstruct", LipSync, "render"], job.Stages.OrderBy(s => s.Order).Select(s => s.Name));
            Assert.All(job.Stages, s => Assert.Equal(StageState.Completed, s.State));
            Assert.Equal(40, job.Stage(LipSync).FramesDone);
            var sync = job.Stages.Single(s => s.Name == LipSync);
            var render = job.Stages.Single(s => s.Name == "render");
            Assert.True(sync.CompletedAt <= render.StartedAt, "the render starts after the lip-sync is done");
            Assert.Equal("application/json", job.Outputs.Single(o => o.Name == LipSyncOutput).ContentType);
            Assert.Contains(job.Outputs, o => o.Name == OutputNames.QcClip);

            // The lip-sync command was built from the job and the earlier steps' results: every chunk, in order.
            using var now = new CancellationTokenSource();
            await now.CancelAsync();
            var consumed = await harness.Consumed.SelectAsync<SyncLips>(now.Token).ToListAsync(); // what was consumed: no waiting
            var command = consumed.Single(m => m.Context.Message.JobId == jobId).Context.Message;
            Assert.Equal([0, 1, 2, 3], command.Chunks);
        }
        finally
        {
            await harness.Stop();
        }
    }

    [Fact]
    public async Task A_toy_stage_whose_worker_keeps_failing_fails_its_job_in_that_stage_as_a_server_fault()
    {
        await using var provider = Services(fail: true);
        var (harness, jobId) = await StartAndSubmit(provider);
        try
        {
            Assert.True(await harness.GetConsumerHarness<StepFaultConsumer<SyncLips>>().Consumed.Any<Fault<SyncLips>>(m => m.Context.Message.Message.JobId == jobId));
            var job = await WaitForEnd(jobId);

            Assert.Equal((JobState.Failed, LipSync, FailureCodes.Internal), (job.State, job.FailedStage, job.FailureCode));
            Assert.NotNull(job.FailureCorrelationId);
            Assert.Equal(StageState.Cancelled, job.Stage("render").State);
        }
        finally
        {
            await harness.Stop();
        }
    }

    private ServiceProvider Services(bool fail) => new ServiceCollection()
        .AddLogging()
        .AddSingleton(store.Db)
        .AddSingleton(Kinds)
        .AddSingleton(TimeProvider.System)
        .AddSingleton<OutboxSignal>()
        .AddSingleton<JobCoordinator>()
        .AddSingleton<JobSubmission>()
        .AddSingleton(sp => new OutboxDispatcher(
            store.Db, sp.GetRequiredService<IBus>(), Kinds, sp.GetRequiredService<OutboxSignal>(), TimeProvider.System, Options.Create(new OutboxOptions()), NullLogger<OutboxDispatcher>.Instance))
        .AddSingleton(new LipSyncWorker(fail))
        .AddMassTransitTestHarness(x =>
        {
            // The job's messages pass through the outbox (a poll, a transaction) between consumes: on a loaded machine the
            // harness's default 1.2 s of quiet would end a wait while the job is still moving.
            x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(2), testInactivityTimeout: TimeSpan.FromSeconds(30));
            x.AddJobCoordinatorConsumers(Kinds);
            x.AddConsumer<StandInExtraction>();
            x.AddConsumer<StandInReconstruction>();
            x.AddConsumer<StandInSequence>();
            x.AddConsumer<StandInLipSync>();
            x.AddConsumer<StandInQcSegment>();
            x.AddConsumer<StandInRendering>();
        })
        .BuildServiceProvider(true);

    private async Task<(ITestHarness Harness, Guid JobId)> StartAndSubmit(ServiceProvider provider)
    {
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        await provider.GetRequiredService<OutboxDispatcher>().StartAsync(CancellationToken.None);
        var jobId = Guid.NewGuid();
        await using var db = await store.Db.CreateDbContextAsync();
        var input = MediaKeys.Input(jobId, ClipNames.Source, ".mp4");
        await provider.GetRequiredService<JobSubmission>().Submit(
            db,
            new Job
            {
                Id = jobId,
                TenantId = store.TenantId,
                Kind = Kind,
                InputFileName = "line.mp4",
                InputKey = input,
                InputBytes = 1,
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
                Clips = [new JobClip { JobId = jobId, Name = ClipNames.Source, InputFileName = "line.mp4", InputKey = input, InputBytes = 1 }],
            },
            chunkSize: 10,
            CancellationToken.None);
        return (harness, jobId);
    }

    /// <summary>The coordinator has handled the last event once the consumer harness saw it; the row says the rest.</summary>
    private async Task<Job> WaitForEnd(Guid jobId)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return await db.Jobs.Include(j => j.Stages).Include(j => j.Outputs).SingleAsync(j => j.Id == jobId);
    }

    public sealed record SyncLips(Guid JobId, IReadOnlyList<int> Chunks, string OutputKey) : IJobMessage;

    public sealed record LipsSynced(Guid JobId, int Frames, string OutputKey) : IJobMessage;

    /// <summary>The toy stage's whole orchestration: its name, its state, its command and what its event records.</summary>
    private sealed class SyncLipsStep : PipelineStep<SyncLips, LipsSynced>
    {
        public override string Name => LipSync;

        public override JobState RunningState => JobState.Transferring;

        public override async Task Start(StepContext context)
        {
            context.Run(Name).FramesTotal = context.Job.FrameCount ?? 0;
            var source = await context.ClipTrack(ClipNames.Source);
            context.Send(new SyncLips(context.Job.Id, [.. source.Chunks.Select(c => c.Frames.Index)], MediaKeys.Output(context.Job.Id, LipSyncOutput)));
        }

        protected override Task<StepOutcome> Complete(StepContext context, LipsSynced message)
        {
            context.Stage(Name).FramesDone = message.Frames;
            context.AddOutput(LipSyncOutput, message.OutputKey);
            return Task.FromResult(StepOutcome.Done);
        }
    }

    public sealed record LipSyncWorker(bool Fail);

    public sealed class StandInExtraction : IConsumer<ExtractFrames>
    {
        public Task Consume(ConsumeContext<ExtractFrames> context) =>
            context.Publish(CoordinatorEvents.Extracted(context.Message.JobId, chunks: 4, audio: false));
    }

    public sealed class StandInReconstruction : IConsumer<ReconstructFaces>
    {
        public Task Consume(ConsumeContext<ReconstructFaces> context) =>
            context.Publish(CoordinatorEvents.Detected(context.Message.JobId, context.Message.Chunk.Index));
    }

    public sealed class StandInSequence : IConsumer<BuildFaceSequence>
    {
        public Task Consume(ConsumeContext<BuildFaceSequence> context) =>
            context.Publish(CoordinatorEvents.Sequenced(context.Message.JobId, context.Message.Clip.Clip, frames: context.Message.Clip.Video.FrameCount));
    }

    public sealed class StandInLipSync(LipSyncWorker worker) : IConsumer<SyncLips>
    {
        public Task Consume(ConsumeContext<SyncLips> context) => worker.Fail
            ? throw new InvalidOperationException("the lip-sync model crashed")
            : context.Publish(new LipsSynced(context.Message.JobId, 40, context.Message.OutputKey));
    }

    public sealed class StandInQcSegment : IConsumer<RenderQcSegment>
    {
        public Task Consume(ConsumeContext<RenderQcSegment> context) =>
            context.Publish(new QcSegmentRendered(context.Message.JobId, context.Message.Segment, context.Message.FrameCount, context.Message.SegmentKey));
    }

    public sealed class StandInRendering : IConsumer<RenderTrackOutputs>
    {
        public Task Consume(ConsumeContext<RenderTrackOutputs> context) => context.Publish(new TrackOutputsRendered(
            context.Message.JobId, context.Message.QcClipKey, context.Message.TrackingKey, context.Message.TrackingBinaryKey, null, null));
    }
}
