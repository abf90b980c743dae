namespace FacePipeline.Contracts;

/// <summary>Event: a studio cancelled the job. Long-running stages (training) stop the work in hand.</summary>
public sealed record JobCancelled(Guid JobId) : IJobMessage;
