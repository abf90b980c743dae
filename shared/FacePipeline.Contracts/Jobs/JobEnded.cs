namespace FacePipeline.Contracts;

/// <summary>
/// A job failed or was cancelled (<paramref name="State"/>: <c>failed</c> or <c>cancelled</c>). Every stage service
/// hears it (a queue per instance) and drops the job's work still waiting in the broker instead of running it against
/// working data that went with the job's end.
/// </summary>
public sealed record JobEnded(Guid JobId, string State) : IJobMessage;
