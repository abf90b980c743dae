using FacePipeline.Contracts;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The transitions each kind's pipeline gives, and the stale triggers they ignore.</summary>
[Trait("Lane", "Fast")]
public sealed class JobStateMachineTests
{
    [Theory]
    [InlineData(JobKinds.Track, JobState.Extracting, "extract", JobState.Reconstructing)]
    [InlineData(JobKinds.Track, JobState.Reconstructing, "reconstruct", JobState.Rendering)]
    [InlineData(JobKinds.Track, JobState.Rendering, "render", JobState.Completed)]
    [InlineData(JobKinds.Track, JobState.Extracting, "fail", JobState.Failed)]
    [InlineData(JobKinds.Track, JobState.Reconstructing, "cancel", JobState.Cancelled)]
    [InlineData(JobKinds.Track, JobState.Rendering, "fail", JobState.Failed)]
    [InlineData(JobKinds.Retarget, JobState.Extracting, "extract", JobState.Reconstructing)]
    [InlineData(JobKinds.Retarget, JobState.Reconstructing, "reconstruct", JobState.Transferring)]
    [InlineData(JobKinds.Retarget, JobState.Transferring, "transfer", JobState.Rendering)]
    [InlineData(JobKinds.Retarget, JobState.Rendering, "render", JobState.Completed)]
    [InlineData(JobKinds.Retarget, JobState.Transferring, "fail", JobState.Failed)]
    [InlineData(JobKinds.Retarget, JobState.Transferring, "cancel", JobState.Cancelled)]
    [InlineData(JobKinds.TrainActor, JobState.Extracting, "extract", JobState.Reconstructing)]
    [InlineData(JobKinds.TrainActor, JobState.Reconstructing, "reconstruct", JobState.Training)]
    [InlineData(JobKinds.TrainActor, JobState.Training, "train", JobState.Completed)]
    [InlineData(JobKinds.TrainActor, JobState.Training, "fail", JobState.Failed)]
    [InlineData(JobKinds.TrainActor, JobState.Training, "cancel", JobState.Cancelled)]
    public void Each_kind_moves_along_its_pipeline(string kind, JobState from, string trigger, JobState to)
    {
        var transition = JobStateMachine.Apply(JobPipelines.Default.For(kind), from, Trigger(trigger));

        Assert.Equal(TransitionOutcome.Moved, transition.Outcome);
        Assert.Equal(to, transition.To);
    }

    [Theory]
    [InlineData(JobKinds.TrainActor, JobState.Training, "render")]
    [InlineData(JobKinds.TrainActor, JobState.Training, "reconstruct")] // redelivered
    [InlineData(JobKinds.Track, JobState.Rendering, "train")]
    [InlineData(JobKinds.Retarget, JobState.Transferring, "train")]
    [InlineData(JobKinds.Retarget, JobState.Transferring, "reconstruct")] // redelivered
    [InlineData(JobKinds.Retarget, JobState.Rendering, "transfer")]
    [InlineData(JobKinds.Retarget, JobState.Transferring, "render")]
    [InlineData(JobKinds.Track, JobState.Rendering, "transfer")]
    [InlineData(JobKinds.Track, JobState.Reconstructing, "extract")] // redelivered extraction result
    [InlineData(JobKinds.Track, JobState.Rendering, "reconstruct")]
    [InlineData(JobKinds.Track, JobState.Extracting, "render")]
    [InlineData(JobKinds.Track, JobState.Transferring, "transfer")] // a state the kind does not have
    [InlineData(JobKinds.Track, JobState.Completed, "fail")]
    [InlineData(JobKinds.Track, JobState.Failed, "cancel")]
    [InlineData(JobKinds.Track, JobState.Cancelled, "extract")]
    [InlineData(JobKinds.Track, JobState.Completed, "render")]
    public void Stale_late_or_out_of_place_triggers_change_nothing(string kind, JobState from, string trigger)
    {
        var transition = JobStateMachine.Apply(JobPipelines.Default.For(kind), from, Trigger(trigger));

        Assert.Equal(TransitionOutcome.Ignored, transition.Outcome);
        Assert.Equal(from, transition.To);
    }

    [Fact]
    public void Every_running_state_of_every_kind_ends_in_a_terminal_state_through_fail_and_cancel()
    {
        foreach (var pipeline in JobPipelines.Default.Kinds)
        {
            foreach (var step in pipeline.Steps)
            {
                var failed = JobStateMachine.Apply(pipeline, step.RunningState, JobTrigger.Fail).To;
                var cancelled = JobStateMachine.Apply(pipeline, step.RunningState, JobTrigger.Cancel).To;
                Assert.True(JobStateMachine.IsTerminal(failed), $"{pipeline.Kind}: {step.RunningState} + Fail -> {failed}");
                Assert.True(JobStateMachine.IsTerminal(cancelled), $"{pipeline.Kind}: {step.RunningState} + Cancel -> {cancelled}");
            }
        }
    }

    [Fact]
    public void The_transitions_of_a_kind_start_from_the_queue_then_are_its_steps_in_order_ending_completed()
    {
        var transitions = JobStateMachine.Transitions(JobPipelines.Retarget).Select(t => $"{t.From} -[{t.Trigger.Stage ?? "start"}]-> {t.To}");

        Assert.Equal(
            ["Queued -[start]-> Extracting", "Extracting -[extract]-> Reconstructing", "Reconstructing -[reconstruct]-> Transferring", "Transferring -[transfer]-> Rendering", "Rendering -[render]-> Completed"],
            transitions);
        Assert.Equal(StageNames.Train, JobStateMachine.RunningStage(JobPipelines.TrainActor, JobState.Training));
    }

    [Theory]
    [InlineData("start", JobState.Extracting)]
    [InlineData("cancel", JobState.Cancelled)]
    [InlineData("fail", JobState.Failed)]
    [InlineData("extract", JobState.Queued)]
    public void A_queued_job_starts_in_its_first_step_or_ends_but_ignores_stage_results(string trigger, JobState expected)
    {
        Assert.Equal(expected, JobStateMachine.Apply(JobPipelines.Track, JobState.Queued, Trigger(trigger)).To);
    }

    [Theory]
    [InlineData(JobState.Extracting)]
    [InlineData(JobState.Completed)]
    public void A_started_or_ended_job_ignores_a_second_start(JobState state)
    {
        Assert.Equal(TransitionOutcome.Ignored, JobStateMachine.Apply(JobPipelines.Track, state, JobTrigger.Start).Outcome);
    }

    private static JobTrigger Trigger(string name) => name switch
    {
        "start" => JobTrigger.Start,
        "fail" => JobTrigger.Fail,
        "cancel" => JobTrigger.Cancel,
        _ => JobTrigger.StageDone(name),
    };
}
