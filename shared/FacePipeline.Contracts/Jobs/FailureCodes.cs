using System.Reflection;

namespace FacePipeline.Contracts;

/// <summary>
/// The stable codes of a job's failure, part of the public API (docs/failures.md lists them with what to do). Every
/// code in use is declared here: a test checks the code base and the docs against this list.
/// </summary>
public static class FailureCodes
{
    /// <summary>The server's fault (or a transient one that outlasted its retries): never the studio's. Comes with a correlation id.</summary>
    public const string Internal = "internal-error";

    /// <summary>No face in a clip.</summary>
    public const string NoFace = "no-face";

    /// <summary>The job's settings do not fit its footage (e.g. a neutral frame on which no face was tracked) or are out of range.</summary>
    public const string BadSettings = "bad-settings";

    /// <summary>Too few frames with a tracked face to train an actor's renderer and hold frames out.</summary>
    public const string InsufficientFootage = "insufficient-footage";

    /// <summary>A training run whose loss or weights became NaN or infinite: stopped, its last good checkpoint kept.</summary>
    public const string TrainingDiverged = "training-diverged";

    /// <summary>The upload is not a recognised video format.</summary>
    public const string Unreadable = "unreadable";

    /// <summary>The upload is empty.</summary>
    public const string Empty = "empty";

    /// <summary>The upload is truncated or damaged.</summary>
    public const string Corrupt = "corrupt";

    /// <summary>A container outside the allow-list.</summary>
    public const string UnsupportedContainer = "unsupported-container";

    /// <summary>No video stream.</summary>
    public const string NoVideo = "no-video";

    /// <summary>A still image, not a clip.</summary>
    public const string StillImage = "still-image";

    /// <summary>Longer than the duration limit.</summary>
    public const string TooLong = "too-long";

    /// <summary>A frame size beyond the limit.</summary>
    public const string TooLarge = "too-large";

    /// <summary>More frames than the limit.</summary>
    public const string TooManyFrames = "too-many-frames";

    /// <summary>No frame could be decoded.</summary>
    public const string NoDecodableFrames = "no-decodable-frames";

    /// <summary>Every declared code.</summary>
    public static IReadOnlyList<string> All { get; } =
        [.. typeof(FailureCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    public static bool IsDeclared(string code) => All.Contains(code, StringComparer.Ordinal);
}
