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

    /// <summary>
    /// What extraction measured of a clip: its per-frame timeline (timeline.json) and its audio (audio.mka). No frames are
    /// stored: stages decode the runs they need from the upload.
    /// </summary>
    public static string ClipFolder(Guid jobId, string clip) => $"{JobPrefix(jobId)}/clips/{clip}";

    public static string Faces(Guid jobId, string clip, int chunkIndex) =>
        $"{JobPrefix(jobId)}/faces/{clip}/chunk-{chunkIndex.ToString("D5", CultureInfo.InvariantCulture)}.fptk";

    /// <summary>
    /// Where a track job's single-decode pass left the tracker and filters after a chunk (<see cref="TrackPass"/>), for the
    /// next chunk: working data beside the chunk's records.
    /// </summary>
    public static string TrackPassState(Guid jobId, string clip, int chunkIndex) =>
        $"{JobPrefix(jobId)}/faces/{clip}/pass-state-{chunkIndex.ToString("D5", CultureInfo.InvariantCulture)}.bin";

    /// <summary>A clip's 3D face sequence (.fptk), beside its chunks' landmark records.</summary>
    public static string FaceSequence(Guid jobId, string clip) => $"{JobPrefix(jobId)}/faces/{clip}/sequence.fptk";

    public static string Output(Guid jobId, string name) => $"{JobPrefix(jobId)}/outputs/{name}";

    /// <summary>
    /// Where each frame of a retarget's transfer document lies, and what a render reads of every frame (its time, its state,
    /// the target's openings): working data beside the faces, written by the transfer, read by every render segment.
    /// </summary>
    public static string TransferIndex(Guid jobId) => $"{JobPrefix(jobId)}/faces/transfer.index";

    /// <summary>
    /// A segment of an output clip (<see cref="RenderedSegment"/>), e.g. <c>segments/qc/segment-00003.nut</c>: working data,
    /// deleted once joined.
    /// </summary>
    public static string Segment(Guid jobId, string output, int index, string extension) =>
        $"{JobPrefix(jobId)}/segments/{output}/segment-{index.ToString("D5", CultureInfo.InvariantCulture)}{extension}";

    /// <summary>An artefact of an actor's model version (<see cref="ActorModelFiles"/>).</summary>
    public static string ActorModel(Guid actorId, int version, string name) =>
        $"actors/{actorId:N}/models/{version.ToString("D4", CultureInfo.InvariantCulture)}/{name}";
}

/// <summary>The files of an actor's model version in the media store.</summary>
public static class ActorModelFiles
{
    /// <summary>The trained generator, ONNX (what the rendering service runs).</summary>
    public const string Generator = "generator.onnx";

    /// <summary>The training state (networks, optimisers, step): a killed training resumes from it.</summary>
    public const string Checkpoint = "checkpoint.bin";

    /// <summary>Real | warp | neural renderer on held-out frames, PNG.</summary>
    public const string Preview = "preview.png";
}

/// <summary>The names of the outputs a job offers for download.</summary>
public static class OutputNames
{
    public const string QcClip = "qc.mp4";
    public const string Tracking = "tracking.json";
    public const string TrackingBinary = "tracking.fptk";

    /// <summary>Track: ARKit blendshape curves of the main face as Live Link Face writes them (docs/blendshapes.md); retarget: of the transferred expression, on the target, at the output's rate.</summary>
    public const string BlendshapesCsv = "blendshapes.csv";

    /// <summary>Track: the same curves as JSON (schema facepipeline.blendshapes/v1) with exact times and head pose.</summary>
    public const string BlendshapesJson = "blendshapes.json";

    /// <summary>Retarget: the target's footage performing the source's expressions (H.264, target frame rate, source audio).</summary>
    public const string Result = "result.mp4";

    /// <summary>Retarget, on request: the result as ProRes 422 HQ.</summary>
    public const string ResultProRes = "result.mov";

    /// <summary>
    /// Retarget (unless turned off): the region the retarget changed as a soft matte, 8-bit grey PNG frames in a MOV (0 outside,
    /// 255 inside, feathered as the renderer composites), frame for frame with the result (docs/outputs.md).
    /// </summary>
    public const string Matte = "matte.mov";

    /// <summary>Retarget, on request: the result as ProRes 4444 with the matte as its alpha channel.</summary>
    public const string ResultProRes4444 = "result_4444.mov";

    /// <summary>Retarget, on request: the result as Avid DNxHR HQ (8-bit 4:2:2, MOV).</summary>
    public const string ResultDnxhr = "result_dnxhr.mov";

    /// <summary>Retarget: source | target | result side by side, with frame numbers.</summary>
    public const string Review = "review.mp4";

    /// <summary>Retarget: the transferred per-frame 3D data (schema facepipeline.retarget/v1).</summary>
    public const string Transfer = "transfer.json";

    /// <summary>Retarget: the result tracked again and measured against the performer and the actor, with a verdict (schema facepipeline.qc/v1, docs/retarget.md).</summary>
    public const string Qc = "qc.json";
}

/// <summary>Clip roles within a job. A track job has one clip (source); a retarget job has two.</summary>
public static class ClipNames
{
    /// <summary>The performer whose expressions are used (a track job's only clip).</summary>
    public const string Source = "source";

    /// <summary>Retarget: the actor whose footage is rendered.</summary>
    public const string Target = "target";
}
