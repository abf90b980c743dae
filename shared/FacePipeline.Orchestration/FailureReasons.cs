namespace FacePipeline.Orchestration;

/// <summary>The sentences a job's failure shows when the fault is the server's, not the studio's.</summary>
public static class FailureReasons
{
    /// <summary>A server fault: what the studio can do, and the id that finds the fault in the logs and traces.</summary>
    public static string ServerFault(string stage, string correlationId) =>
        $"The {stage} stage failed on a server fault, not on your footage or settings (correlation id {correlationId}). Resubmit the job; if it fails again, report the job id and this correlation id.";
}
