using System.Globalization;

namespace FacePipeline.Contracts;

/// <summary>
/// Where each artefact of a job lives in the media store. One place, so that every service agrees
/// and a redelivered message writes to the same key.
/// </summary>
public static class MediaKeys
{
    public static string JobPrefix(Guid jobId) => $"jobs/{jobId:N}";

    public static string Input(Guid jobId, string clip, string extension) =>
        $"{JobPrefix(jobId)}/input/{clip}{extension}";

    public static string FramesFolder(Guid jobId, string clip) => $"{JobPrefix(jobId)}/frames/{clip}";

    public static string Faces(Guid jobId, string clip, int chunkIndex) =>
        $"{JobPrefix(jobId)}/faces/{clip}/chunk-{chunkIndex.ToString("D5", CultureInfo.InvariantCulture)}.fptk";

    public static string Output(Guid jobId, string name) => $"{JobPrefix(jobId)}/outputs/{name}";
}

/// <summary>The names of the outputs a job offers for download.</summary>
public static class OutputNames
{
    public const string QcClip = "qc.mp4";
    public const string Tracking = "tracking.json";
    public const string TrackingBinary = "tracking.fptk";

    /// <summary>Retarget: the target's footage performing the source's expressions (H.264, target frame rate, source audio).</summary>
    public const string Result = "result.mp4";

    /// <summary>Retarget, on request: the result as ProRes 422 HQ.</summary>
    public const string ResultProRes = "result.mov";

    /// <summary>Retarget: source | target | result side by side, with frame numbers.</summary>
    public const string Review = "review.mp4";

    /// <summary>Retarget: the transferred per-frame 3D data (schema facepipeline.retarget/v1).</summary>
    public const string Transfer = "transfer.json";
}

/// <summary>Clip roles within a job. A track job has one clip (source); a retarget job has two.</summary>
public static class ClipNames
{
    /// <summary>The performer whose expressions are used (a track job's only clip).</summary>
    public const string Source = "source";

    /// <summary>Retarget: the actor whose footage is rendered.</summary>
    public const string Target = "target";
}
