namespace FacePipeline.Contracts;

/// <summary>
/// The studio's to fix: the job's input or settings cannot be processed. <see cref="Exception.Message"/> is one sentence
/// for the person who submitted the job, saying what is wrong and what to do; <see cref="Code"/> is one of
/// <see cref="FailureCodes"/>. A stage that throws it fails its job at once (a <see cref="StageFailed"/> with the code),
/// never retried. Anything else a stage throws is the server's: retried, then failed as
/// <see cref="FailureCodes.Internal"/> with a correlation id.
/// </summary>
public sealed class JobInputException : Exception
{
    public JobInputException(string code, string reason, Exception? innerException = null)
        : base(reason, innerException)
    {
        if (!FailureCodes.IsDeclared(code) || code == FailureCodes.Internal)
        {
            throw new ArgumentException($"'{code}' is not a declared code of the studio's failures.", nameof(code));
        }

        Code = code;
    }

    public string Code { get; }
}
