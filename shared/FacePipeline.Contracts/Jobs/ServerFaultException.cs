namespace FacePipeline.Contracts;

/// <summary>
/// A fault of this server that retrying cannot mend (a model it does not have, a setting it lacks): not retried, the job
/// fails at once as <see cref="FailureCodes.Internal"/> with a correlation id, and the studio is not blamed. Services
/// check what they need at start-up, so this is for what only a job can reveal.
/// </summary>
public sealed class ServerFaultException : Exception
{
    public ServerFaultException(string message)
        : base(message)
    {
    }

    public ServerFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
