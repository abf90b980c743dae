using FacePipeline.Orchestration;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Tests;

public sealed class JobStateMachineTests
{
    [Theory]
    [InlineData(JobState.Extracting, JobTrigger.FramesExtracted, JobState.Reconstructing)]
    [InlineData(JobState.Reconstructing, JobTrigger.AllChunksReconstructed, JobState.Rendering)]
    [InlineData(JobState.Rendering, JobTrigger.OutputsRendered, JobState.Completed)]
    [InlineData(JobState.Extracting, JobTrigger.Fail, JobState.Failed)]
    [InlineData(JobState.Reconstructing, JobTrigger.Cancel, JobState.Cancelled)]
    [InlineData(JobState.Rendering, JobTrigger.Fail, JobState.Failed)]
    public void Moves_along_the_track_job(JobState from, JobTrigger trigger, JobState to)
    {
        var transition = JobStateMachine.Apply(from, trigger);

        Assert.Equal(TransitionOutcome.Moved, transition.Outcome);
        Assert.Equal(to, transition.To);
    }

    [Theory]
    [InlineData(JobState.Extracting, JobTrigger.FramesExtracted, JobState.Reconstructing)]
    [InlineData(JobState.Reconstructing, JobTrigger.AllChunksReconstructed, JobState.Transferring)]
    [InlineData(JobState.Transferring, JobTrigger.ExpressionsTransferred, JobState.Rendering)]
    [InlineData(JobState.Rendering, JobTrigger.OutputsRendered, JobState.Completed)]
    [InlineData(JobState.Transferring, JobTrigger.Fail, JobState.Failed)]
    [InlineData(JobState.Transferring, JobTrigger.Cancel, JobState.Cancelled)]
    public void Moves_along_the_retarget_job(JobState from, JobTrigger trigger, JobState to)
    {
        var transition = JobStateMachine.Apply(from, trigger, JobKinds.Retarget);

        Assert.Equal(TransitionOutcome.Moved, transition.Outcome);
        Assert.Equal(to, transition.To);
    }

    [Theory]
    [InlineData(JobState.Extracting, JobTrigger.FramesExtracted, JobState.Reconstructing)]
    [InlineData(JobState.Reconstructing, JobTrigger.AllChunksReconstructed, JobState.Training)]
    [InlineData(JobState.Training, JobTrigger.ModelTrained, JobState.Completed)]
    [InlineData(JobState.Training, JobTrigger.Fail, JobState.Failed)]
    [InlineData(JobState.Training, JobTrigger.Cancel, JobState.Cancelled)]
    public void Moves_along_the_train_actor_job(JobState from, JobTrigger trigger, JobState to)
    {
        var transition = JobStateMachine.Apply(from, trigger, JobKinds.TrainActor);

        Assert.Equal(TransitionOutcome.Moved, transition.Outcome);
        Assert.Equal(to, transition.To);
        Assert.Equal(Contracts.StageNames.Train, JobStateMachine.RunningStage(JobState.Training));
    }

    [Theory]
    [InlineData(JobState.Training, JobTrigger.OutputsRendered, JobKinds.TrainActor)]
    [InlineData(JobState.Training, JobTrigger.AllChunksReconstructed, JobKinds.TrainActor)] // redelivered
    [InlineData(JobState.Rendering, JobTrigger.ModelTrained, JobKinds.Track)]
    [InlineData(JobState.Transferring, JobTrigger.ModelTrained, JobKinds.Retarget)]
    [InlineData(JobState.Transferring, JobTrigger.AllChunksReconstructed, JobKinds.Retarget)] // redelivered
    [InlineData(JobState.Rendering, JobTrigger.ExpressionsTransferred, JobKinds.Retarget)]
    [InlineData(JobState.Transferring, JobTrigger.OutputsRendered, JobKinds.Retarget)]
    [InlineData(JobState.Rendering, JobTrigger.ExpressionsTransferred, JobKinds.Track)]
    public void A_transfer_trigger_out_of_place_changes_nothing(JobState from, JobTrigger trigger, string kind)
    {
        var transition = JobStateMachine.Apply(from, trigger, kind);

        Assert.Equal(TransitionOutcome.Ignored, transition.Outcome);
        Assert.Equal(from, transition.To);
    }

    [Theory]
    [InlineData(JobState.Reconstructing, JobTrigger.FramesExtracted)] // redelivered extraction result
    [InlineData(JobState.Rendering, JobTrigger.AllChunksReconstructed)]
    [InlineData(JobState.Extracting, JobTrigger.OutputsRendered)]
    [InlineData(JobState.Completed, JobTrigger.Fail)]
    [InlineData(JobState.Failed, JobTrigger.Cancel)]
    [InlineData(JobState.Cancelled, JobTrigger.FramesExtracted)]
    [InlineData(JobState.Completed, JobTrigger.OutputsRendered)]
    public void Stale_or_late_triggers_change_nothing(JobState from, JobTrigger trigger)
    {
        var transition = JobStateMachine.Apply(from, trigger);

        Assert.Equal(TransitionOutcome.Ignored, transition.Outcome);
        Assert.Equal(from, transition.To);
    }

    [Fact]
    public void Every_state_ends_in_a_terminal_state_through_fail_and_cancel()
    {
        foreach (var state in Enum.GetValues<JobState>())
        {
            var failed = JobStateMachine.Apply(state, JobTrigger.Fail).To;
            var cancelled = JobStateMachine.Apply(state, JobTrigger.Cancel).To;
            Assert.True(JobStateMachine.IsTerminal(failed), $"{state} + Fail -> {failed}");
            Assert.True(JobStateMachine.IsTerminal(cancelled), $"{state} + Cancel -> {cancelled}");
        }
    }
}
