using FacePipeline.Contracts;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Pipelines.Steps;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The kinds' pipelines as declared, and what is derived from them (no database, no broker).</summary>
[Trait("Lane", "Fast")]
public sealed class JobPipelineTests
{
    [Theory]
    [InlineData(JobKinds.Track, "extract,reconstruct,render")]
    [InlineData(JobKinds.Retarget, "extract,reconstruct,transfer,render")]
    [InlineData(JobKinds.TrainActor, "extract,reconstruct,train")]
    public void A_new_jobs_stages_are_its_kinds_steps_in_order_the_first_running(string kind, string stages)
    {
        var now = DateTimeOffset.UnixEpoch;
        var rows = JobPipelines.Default.For(kind).NewStages(Guid.NewGuid(), now);

        Assert.Equal(stages.Split(','), rows.Select(r => r.Name));
        Assert.Equal(Enumerable.Range(0, rows.Count), rows.Select(r => r.Order));
        Assert.Equal([StageState.Running, .. Enumerable.Repeat(StageState.Pending, rows.Count - 1)], rows.Select(r => r.State));
        Assert.Equal(now, rows[0].StartedAt);
    }

    [Fact]
    public void Every_message_of_every_step_belongs_to_one_stage_in_every_kind()
    {
        var pipelines = JobPipelines.Default;

        Assert.Equal(StageNames.Extract, pipelines.StageOf(typeof(FramesExtracted)));
        Assert.Equal(StageNames.Reconstruct, pipelines.StageOf(typeof(ReconstructFaces)));
        Assert.Equal(StageNames.Reconstruct, pipelines.StageOf(typeof(FaceSequenceBuilt)));
        Assert.Equal(StageNames.Render, pipelines.StageOf(typeof(RenderTrackOutputs)));
        Assert.Equal(StageNames.Render, pipelines.StageOf(typeof(RenderQcSegment)));
        Assert.Equal(StageNames.Render, pipelines.StageOf(typeof(QcSegmentRendered)));
        Assert.Equal(StageNames.Render, pipelines.StageOf(typeof(RetargetOutputsRendered)));
        Assert.Equal(StageNames.Render, pipelines.StageOf(typeof(RetargetSegmentRendered)));
        Assert.Equal(StageNames.Train, pipelines.StageOf(typeof(ActorTrainingProgressed)));
        Assert.Equal(
            ["ExtractFrames", "ReconstructFaces", "BuildFaceSequence", "RenderQcSegment", "RenderTrackOutputs", "TransferExpressions", "RenderRetargetSegment", "RenderRetargetOutputs", "TrainActorModel"],
            pipelines.Commands.Select(t => t.Name));
        Assert.Equal(["OutputsRenderProgressed", "ActorTrainingProgressed"], pipelines.ProgressEvents.Select(t => t.Name));
        Assert.Equal(StageNames.Render, pipelines.StageOf(typeof(OutputsRenderProgressed))); // one progress event, for both kinds' render steps
    }

    [Fact]
    public void A_message_that_would_name_two_stages_is_refused_when_the_kinds_are_declared()
    {
        var renamed = new JobPipeline("odd", "extraction called something else", [new RenamedExtract()], []);

        var refused = Assert.Throws<ArgumentException>(() => new JobPipelines([JobPipelines.Track, renamed]));

        Assert.Contains("ExtractFrames belongs to the stage 'extract' in one kind and 'unpack'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kind_with_a_stage_twice_or_a_step_running_in_a_terminal_state_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new JobPipeline("twice", "x", [new ExtractFramesStep(), new ExtractFramesStep()], []));
        Assert.Throws<ArgumentException>(() => new JobPipeline("ends", "x", [new EndsEarly()], []));
        Assert.Throws<ArgumentException>(() => new JobPipeline("empty", "x", [], []));
    }

    [Fact]
    public void Training_counts_steps_and_every_other_stage_counts_frames()
    {
        var units = JobPipelines.Default.Kinds.SelectMany(p => p.Steps).DistinctBy(s => s.Name).ToDictionary(s => s.Name, s => s.Unit);

        Assert.Equal(ProgressUnits.Steps, units[StageNames.Train]);
        Assert.All(units.Where(u => u.Key != StageNames.Train), u => Assert.Equal(ProgressUnits.Frames, u.Value));
    }

    [Fact]
    public void The_kinds_read_as_their_pipelines()
    {
        Assert.Equal("track = extract → reconstruct → render", JobPipelines.Track.ToString());
        Assert.Equal("retarget = extract → reconstruct → transfer → render", JobPipelines.Retarget.ToString());
        Assert.Equal("train-actor = extract → reconstruct → train", JobPipelines.TrainActor.ToString());
    }

    [Fact]
    public void The_architecture_doc_shows_every_kinds_pipeline_as_its_descriptor_declares_it()
    {
        var doc = File.ReadAllText(Path.Combine(FacePipeline.TestSupport.RepoPaths.RepoRoot, "docs", "architecture.md"));

        Assert.All(JobPipelines.Default.Kinds, pipeline => Assert.Contains($"`{pipeline}`", doc, StringComparison.Ordinal));
        Assert.All(JobPipelines.Default.Kinds.SelectMany(p => p.Steps), step => Assert.Contains($"`{step.GetType().Name}`", doc, StringComparison.Ordinal));
    }

    [Fact]
    public void Each_kind_declares_the_outputs_its_steps_record_with_their_content_types()
    {
        Assert.Equal("video/mp4", JobPipelines.Track.Output(OutputNames.QcClip).ContentType);
        Assert.Equal("video/quicktime", JobPipelines.Retarget.Output(OutputNames.ResultProRes).ContentType);
        Assert.False(JobPipelines.Retarget.Output(OutputNames.ResultProRes).Always);
        Assert.All(
            new[] { OutputNames.Matte, OutputNames.ResultProRes4444, OutputNames.ResultDnxhr },
            name => Assert.Equal(("video/quicktime", false), (JobPipelines.Retarget.Output(name).ContentType, JobPipelines.Retarget.Output(name).Always)));
        Assert.Equal("image/png", JobPipelines.TrainActor.Output(ActorModelFiles.Preview).ContentType);
        Assert.Throws<InvalidOperationException>(() => JobPipelines.Track.Output(OutputNames.Result));
    }

    private sealed class RenamedExtract : PipelineStep<ExtractFrames, FramesExtracted>
    {
        public override string Name => "unpack";

        public override JobState RunningState => JobState.Extracting;

        public override Task Start(StepContext context) => Task.CompletedTask;

        protected override Task<StepOutcome> Complete(StepContext context, FramesExtracted message) => Task.FromResult(StepOutcome.Done);
    }

    private sealed class EndsEarly : PipelineStep<ExtractFrames, FramesExtracted>
    {
        public override string Name => "ends";

        public override JobState RunningState => JobState.Completed;

        public override Task Start(StepContext context) => Task.CompletedTask;

        protected override Task<StepOutcome> Complete(StepContext context, FramesExtracted message) => Task.FromResult(StepOutcome.Done);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_house_that_renders_track_QC_in_segments_runs_the_same_track_stages_messages_and_outputs_without_the_single_decode_pass()
    {
        var segments = JobPipelines.For(TrackQcPath.Segments);
        var staged = segments.For(JobKinds.Track);
        var pass = JobPipelines.Default.For(JobKinds.Track);

        Assert.Same(JobPipelines.Default, JobPipelines.For(TrackQcPath.SingleDecodePass));
        Assert.True(pass.Steps.OfType<ReconstructFacesStep>().Single().OnePassQc);
        Assert.False(staged.Steps.OfType<ReconstructFacesStep>().Single().OnePassQc);
        Assert.Equal(pass.Steps.Select(s => (s.Name, s.GetType())), staged.Steps.Select(s => (s.Name, s.GetType())));
        Assert.Equal(pass.Outputs, staged.Outputs);
        Assert.Equal(JobPipelines.Default.Commands.Order(new TypeNames()), segments.Commands.Order(new TypeNames()));
        Assert.Same(JobPipelines.Retarget, segments.For(JobKinds.Retarget));
    }

    private sealed class TypeNames : IComparer<Type>
    {
        public int Compare(Type? x, Type? y) => string.CompareOrdinal(x?.FullName, y?.FullName);
    }
}
