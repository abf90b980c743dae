namespace FacePipeline.Contracts;

/// <summary>
/// Event: a stage refused the job's input or could not finish it, for a reason a person can act on
/// (for example "The upload has no video stream"). The job fails; nothing else is touched.
/// </summary>
/// <param name="Code">A short, stable category of the failure for metrics and scripts (e.g. "no-video", "no-face", "internal-error").</param>
public sealed record StageFailed(Guid JobId, string Stage, string Reason, string Code = FailureCodes.Internal) : IJobMessage;
