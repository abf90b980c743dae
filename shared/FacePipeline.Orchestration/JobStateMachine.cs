using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>What happened to a job, as far as its state is concerned.</summary>
public readonly record struct JobTrigger
{
    private JobTrigger(JobTriggerKind kind, string? stage)
    {
        Kind = kind;
        Stage = stage;
    }

    public JobTriggerKind Kind { get; }

    /// <summary>The stage whose work is done (<see cref="JobTriggerKind.StageDone"/>).</summary>
    public string? Stage { get; }

    /// <summary>All the work of <paramref name="stage"/> is done.</summary>
    public static JobTrigger StageDone(string stage) => new(JobTriggerKind.StageDone, stage);

    /// <summary>The scheduler starts a queued job.</summary>
    public static JobTrigger Start { get; } = new(JobTriggerKind.Start, null);

    public static JobTrigger Fail { get; } = new(JobTriggerKind.Fail, null);

    public static JobTrigger Cancel { get; } = new(JobTriggerKind.Cancel, null);

    public override string ToString() => Stage is null ? Kind.ToString() : $"{Kind}({Stage})";
}

public enum JobTriggerKind
{
    Start,
    StageDone,
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
/// A job's life, as plain transitions derived from its kind's pipeline: a queued job starts in its first step's state
/// (or is cancelled before it starts); each step's state moves to the next step's
/// when that step's work is done, and the last step's to Completed; any running state moves to Failed or Cancelled.
/// Terminal states absorb every trigger, and a trigger that arrives in the wrong state is ignored (delivery is at
/// least once, so late duplicates are normal, not errors).
/// </summary>
public static class JobStateMachine
{
    public static bool IsTerminal(JobState state) => JobStates.IsTerminal(state);

    public static Transition Apply(JobPipeline pipeline, JobState state, JobTrigger trigger)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (state == JobState.Queued)
        {
            return trigger.Kind switch
            {
                JobTriggerKind.Start => new Transition(TransitionOutcome.Moved, pipeline.InitialState),
                JobTriggerKind.Cancel => new Transition(TransitionOutcome.Moved, JobState.Cancelled),
                JobTriggerKind.Fail => new Transition(TransitionOutcome.Moved, JobState.Failed),
                _ => new Transition(TransitionOutcome.Ignored, state),
            };
        }

        var current = pipeline.StepRunningIn(state);
        if (IsTerminal(state) || current is null)
        {
            return new Transition(TransitionOutcome.Ignored, state);
        }

        JobState? next = trigger.Kind switch
        {
            JobTriggerKind.Fail => JobState.Failed,
            JobTriggerKind.Cancel => JobState.Cancelled,
            JobTriggerKind.StageDone when trigger.Stage == current.Name => pipeline.After(current)?.RunningState ?? JobState.Completed,
            _ => null,
        };

        return next is { } to ? new Transition(TransitionOutcome.Moved, to) : new Transition(TransitionOutcome.Ignored, state);
    }

    /// <summary>Every transition of a kind, in order: what docs/architecture.md draws.</summary>
    public static IEnumerable<(JobState From, JobTrigger Trigger, JobState To)> Transitions(JobPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        yield return (JobState.Queued, JobTrigger.Start, pipeline.InitialState);
        foreach (var step in pipeline.Steps)
        {
            yield return (step.RunningState, JobTrigger.StageDone(step.Name), pipeline.After(step)?.RunningState ?? JobState.Completed);
        }
    }

    /// <summary>The stage that is running while a job of the kind is in <paramref name="state"/>.</summary>
    public static string? RunningStage(JobPipeline pipeline, JobState state) => pipeline.StepRunningIn(state)?.Name;
}
