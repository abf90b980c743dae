namespace FacePipeline.Contracts;

// Messages between the services. Commands are imperative (a stage is asked to do one piece of
// work); events are past tense (a stage says what it did). Every message carries keys into the
// media store (claim check), never media bytes. Every piece of work is keyed by job, clip and
// chunk index so that a redelivered message repeats the same work into the same keys.

/// <summary>Every message concerns one job: its id goes into log scopes and traces.</summary>
public interface IJobMessage
{
    Guid JobId { get; }
}
