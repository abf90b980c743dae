using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>What happened to a job, as far as its state is concerned.</summary>
public enum JobTrigger
{
    FramesExtracted,
    AllChunksReconstructed,
    ExpressionsTransferred,
    OutputsRendered,
    ModelTrained,
    Fail,
    Cancel,
}

public enum TransitionOutcome
{
    /// <summary>The job moves to <see cref="Transition.To"/>.</summary>
    Moved,

    /// <summary>The trigger is stale (a redelivery, or the job already ended): nothing changes.</summary>
    Ignored,
}

public readonly record struct Transition(TransitionOutcome Outcome, JobState To);

/// <summary>
/// A job's life, as plain transitions. Track: Extracting → Reconstructing → Rendering → Completed.
/// Retarget: Extracting → Reconstructing → Transferring → Rendering → Completed. Train-actor:
/// Extracting → Reconstructing → Training → Completed. Any running state
/// → Failed or Cancelled.
/// Terminal states absorb every trigger, and a trigger that arrives in the wrong state is ignored
/// (delivery is at least once, so late duplicates are normal, not errors).
/// </summary>
public static class JobStateMachine
{
    public static JobState Initial => JobState.Extracting;

    public static bool IsTerminal(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public static Transition Apply(JobState state, JobTrigger trigger, string kind = JobKinds.Track)
    {
        if (IsTerminal(state))
        {
            return new Transition(TransitionOutcome.Ignored, state);
        }

        JobState? next = (state, trigger) switch
        {
            (_, JobTrigger.Fail) => JobState.Failed,
            (_, JobTrigger.Cancel) => JobState.Cancelled,
            (JobState.Extracting, JobTrigger.FramesExtracted) => JobState.Reconstructing,
            (JobState.Reconstructing, JobTrigger.AllChunksReconstructed) => kind switch
            {
                JobKinds.Retarget => JobState.Transferring,
                JobKinds.TrainActor => JobState.Training,
                _ => JobState.Rendering,
            },
            (JobState.Training, JobTrigger.ModelTrained) when kind == JobKinds.TrainActor => JobState.Completed,
            (JobState.Transferring, JobTrigger.ExpressionsTransferred) when kind == JobKinds.Retarget => JobState.Rendering,
            (JobState.Rendering, JobTrigger.OutputsRendered) when kind != JobKinds.TrainActor => JobState.Completed,
            _ => null,
        };

        return next is { } to ? new Transition(TransitionOutcome.Moved, to) : new Transition(TransitionOutcome.Ignored, state);
    }

    /// <summary>The stage that is running while the job is in <paramref name="state"/>.</summary>
    public static string? RunningStage(JobState state) => state switch
    {
        JobState.Extracting => Contracts.StageNames.Extract,
        JobState.Reconstructing => Contracts.StageNames.Reconstruct,
        JobState.Transferring => Contracts.StageNames.Transfer,
        JobState.Rendering => Contracts.StageNames.Render,
        JobState.Training => Contracts.StageNames.Train,
        _ => null,
    };
}
