using FacePipeline.Contracts;

namespace FacePipeline.Orchestration.Pipelines;

/// <summary>What one event did to its step's work.</summary>
public enum StepOutcome
{
    /// <summary>A redelivery, or work the job no longer waits for: nothing changes.</summary>
    Stale,

    /// <summary>Part of the step's work is done (a chunk, a clip, a progress report).</summary>
    Progressed,

    /// <summary>The step's work is all done: once it is the job's current step, the job moves on.</summary>
    Done,
}

/// <summary>
/// One stage of a job kind's pipeline, as the coordinator runs it: the command it sends (built from the job and the
/// results of the steps before it), the event that reports its work, the unit its progress counts, and how the job's
/// row records each result. A step is a plain class: everything it does goes through <see cref="StepContext"/>, inside
/// the coordinator's transaction (at-least-once delivery: every handler must ignore what it has already counted).
/// </summary>
public abstract class PipelineStep
{
    /// <summary>The stage's name, as the API and the metrics show it (<see cref="StageNames"/>).</summary>
    public abstract string Name { get; }

    /// <summary>The job's state while this step is its current one.</summary>
    public abstract Persistence.JobState RunningState { get; }

    /// <summary>What the stage's progress counts ("frames", "steps").</summary>
    public virtual string Unit => ProgressUnits.Frames;

    /// <summary>The commands the step sends to its services (most steps: one kind of command).</summary>
    public abstract IReadOnlyList<Type> Commands { get; }

    /// <summary>The events that report the step's work, one per command sent.</summary>
    public abstract IReadOnlyList<Type> Completions { get; }

    /// <summary>
    /// An advisory progress event, or null. Progress never fails a job: a report that cannot be recorded is dropped
    /// (the next one, or the completion, carries the figures), so there is no fault handler for it.
    /// </summary>
    public virtual Type? Progress => null;

    /// <summary>Starts the step: sets its totals and sends its commands.</summary>
    public abstract Task Start(StepContext context);

    /// <summary>Records one completion event; says whether the step's work is all done.</summary>
    public abstract Task<StepOutcome> Complete(StepContext context, object message);

    /// <summary>Records one progress event (<see cref="Progress"/>).</summary>
    public virtual Task<StepOutcome> Report(StepContext context, object message) => Task.FromResult(StepOutcome.Stale);

    /// <summary>
    /// Whether a step that was started early (while the step before it ran) has already done all its work when the
    /// job reaches it.
    /// </summary>
    public virtual Task<bool> IsDone(StepContext context) => Task.FromResult(false);

    /// <summary>
    /// Checks the step's whole result before the job moves on; may fail the job (<see cref="StepContext.Fail"/>)
    /// when the result cannot go further (e.g. no face in a clip).
    /// </summary>
    public virtual Task Finish(StepContext context) => Task.CompletedTask;

    /// <summary>The job failed or was cancelled: what this step leaves behind (e.g. a model version's state).</summary>
    public virtual Task OnJobEnded(StepContext context) => Task.CompletedTask;

    public override string ToString() => Name;
}

/// <summary>A step that sends <typeparamref name="TCommand"/> and is reported by <typeparamref name="TEvent"/>.</summary>
public abstract class PipelineStep<TCommand, TEvent> : PipelineStep
    where TCommand : class, IJobMessage
    where TEvent : class, IJobMessage
{
    /// <summary><typeparamref name="TCommand"/>, and any follow-up command of the same stage.</summary>
    public override IReadOnlyList<Type> Commands => [typeof(TCommand)];

    /// <summary><typeparamref name="TEvent"/>, and the follow-up command's event.</summary>
    public override IReadOnlyList<Type> Completions => [typeof(TEvent)];

    public sealed override Task<StepOutcome> Complete(StepContext context, object message) =>
        message is TEvent done ? Complete(context, done) : CompleteFollowUp(context, message);

    /// <inheritdoc cref="PipelineStep.Complete(StepContext, object)"/>
    protected abstract Task<StepOutcome> Complete(StepContext context, TEvent message);

    /// <summary>The event of a follow-up command the step declares in <see cref="Completions"/>.</summary>
    protected virtual Task<StepOutcome> CompleteFollowUp(StepContext context, object message) =>
        throw new InvalidOperationException($"Step '{Name}' declares no follow-up event {message.GetType().Name}.");
}

/// <summary>The units a stage's progress counts.</summary>
public static class ProgressUnits
{
    public const string Frames = "frames";
    public const string Steps = "steps";
}
