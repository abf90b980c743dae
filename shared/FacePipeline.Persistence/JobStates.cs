namespace FacePipeline.Persistence;

/// <summary>Facts about job states that every part of the house shares.</summary>
public static class JobStates
{
    /// <summary>Completed, failed or cancelled: the job has ended and nothing changes it any more.</summary>
    public static bool IsTerminal(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled;
}
