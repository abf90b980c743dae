namespace FacePipeline.Media;

/// <summary>Why an upload was refused, in categories a caller can map to a response.</summary>
public enum MediaRejectionKind
{
    Unreadable,
    Empty,
    Corrupt,
    UnsupportedContainer,
    NoVideo,
    StillImage,
    TooLong,
    TooLarge,
    TooManyFrames,
    NoDecodableFrames,
}

/// <summary>
/// The upload cannot be processed. <see cref="Exception.Message"/> is the <see cref="Reason"/>: one sentence meant
/// for the person who uploaded the file, saying what is wrong and, where it helps, what to do.
/// </summary>
public sealed class MediaRejectedException : Exception
{
    public MediaRejectedException(string reason)
        : this(MediaRejectionKind.Unreadable, reason)
    {
    }

    public MediaRejectedException(MediaRejectionKind kind, string reason, Exception? innerException = null)
        : base(reason, innerException)
    {
        Kind = kind;
        Reason = reason;
    }

    public MediaRejectionKind Kind { get; }

    public string Reason { get; }
}
