namespace FacePipeline.Contracts;

/// <summary>Every message concerns one job: its id goes into log scopes and traces.</summary>
public interface IJobMessage
{
    Guid JobId { get; }
}

// Messages between the services. Commands are imperative (a stage is asked to do one piece of
// work); events are past tense (a stage says what it did). Every message carries keys into the
// media store (claim check), never media bytes. Every piece of work is keyed by job, clip and
// chunk index so that a redelivered message repeats the same work into the same keys.

/// <summary>The video facts that later stages need, as frame extraction measured them.</summary>
public sealed record VideoInfo(
    int Width,
    int Height,
    long FrameRateNumerator,
    long FrameRateDenominator,
    int FrameCount,
    double DurationSeconds,
    bool HasAudio);

/// <summary>One run of consecutive frames, stored as raw RGB24 under <see cref="FramesKey"/>.</summary>
public sealed record FrameChunk(int Index, int FirstFrame, int FrameCount, string FramesKey);

/// <summary>Command to the frame-extraction service: probe, validate and split a clip into chunks.</summary>
public sealed record ExtractFrames(Guid JobId, string Clip, string InputKey, int ChunkSize) : IJobMessage;

/// <summary>Event: the clip's frames are in the media store, in chunks.</summary>
public sealed record FramesExtracted(
    Guid JobId,
    string Clip,
    VideoInfo Video,
    IReadOnlyList<FrameChunk> Chunks,
    string TimelineKey,
    string? AudioKey) : IJobMessage;

/// <summary>Command to the reconstruction service: track the faces through one chunk and record their 468 landmarks.</summary>
/// <param name="MaxFaces">Faces tracked at most (the largest first, or the nearest to <paramref name="FacePoint"/>).</param>
/// <param name="FacePoint">Follow the face nearest this point (frame pixels) instead of the largest; null: the largest.</param>
public sealed record ReconstructFaces(
    Guid JobId,
    string Clip,
    FrameChunk Chunk,
    int Width,
    int Height,
    string TimelineKey,
    string FacesKey,
    int MaxFaces,
    FramePoint? FacePoint = null) : IJobMessage;

/// <summary>A point in a frame's pixels (the upright frame, origin top left).</summary>
public sealed record FramePoint(float X, float Y);

/// <summary>Event: the chunk's per-frame face records are stored under <see cref="FacesKey"/>.</summary>
public sealed record FacesReconstructed(
    Guid JobId,
    string Clip,
    int ChunkIndex,
    int FrameCount,
    int FramesWithFaces,
    string FacesKey) : IJobMessage;

/// <summary>Command to the rendering service: draw the QC clip and write the tracking document.</summary>
/// <param name="NeutralFrame">The frame the studio names as the actor's neutral face; null: estimated over the clip.</param>
public sealed record RenderTrackOutputs(
    Guid JobId,
    string SourceName,
    VideoInfo Video,
    IReadOnlyList<TrackChunk> Chunks,
    string TimelineKey,
    string? AudioKey,
    string QcClipKey,
    string TrackingKey,
    string TrackingBinaryKey,
    int? NeutralFrame) : IJobMessage;

/// <summary>A chunk's frames and the face records found on them.</summary>
public sealed record TrackChunk(FrameChunk Frames, string FacesKey);

/// <summary>Event: the track job's outputs are in the media store.</summary>
/// <param name="BlendshapesCsvKey">The blendshape curves as Live Link Face CSV, or null when the renderer has no morphable model.</param>
/// <param name="BlendshapesJsonKey">The blendshape curves as JSON, or null likewise.</param>
public sealed record TrackOutputsRendered(
    Guid JobId,
    string QcClipKey,
    string TrackingKey,
    string TrackingBinaryKey,
    string? BlendshapesCsvKey = null,
    string? BlendshapesJsonKey = null,
    string? QcKey = null) : IJobMessage;

/// <summary>
/// Event: a stage refused the job's input or could not finish it, for a reason a person can act on
/// (for example "The upload has no video stream"). The job fails; nothing else is touched.
/// </summary>
/// <param name="Code">A short, stable category of the failure for metrics and scripts (e.g. "no-video", "no-face", "internal-error").</param>
public sealed record StageFailed(Guid JobId, string Stage, string Reason, string Code = FailureCodes.Internal) : IJobMessage;

/// <summary>One reconstructed clip of a job: its video facts, frames and face records, by reference.</summary>
public sealed record ClipTrack(string Clip, string FileName, VideoInfo Video, IReadOnlyList<TrackChunk> Chunks, string TimelineKey, string? AudioKey);

/// <summary>Where a retarget's head pose comes from.</summary>
public enum PoseSource
{
    /// <summary>The target footage's own head motion (the face stays where the footage has it).</summary>
    Target,

    /// <summary>The source performer's head rotation, relative to their average, applied on the target's average.</summary>
    Source,
}

/// <summary>What to do when the target clip is shorter than the source (the output always has the source's length).</summary>
public enum TargetTiming
{
    /// <summary>Play the target forward then backward (no jump cut at the turn).</summary>
    PingPong,

    /// <summary>Wrap around to the target's first frame.</summary>
    Loop,

    /// <summary>Freeze on the target's last frame.</summary>
    Hold,
}

/// <summary>How a retarget carries the source's expression onto the target's face.</summary>
public enum TransferSpace
{
    /// <summary>Deformation transfer on the 468-point mesh: the source's per-triangle deformation from its neutral, re-solved on the target's neutral (the default; needs no model).</summary>
    Mesh,

    /// <summary>
    /// Through ARKit blendshape space: the ICT-FaceKit model is fitted to both actors (identity from each neutral,
    /// the source's 53 expression weights per frame), and the source's weights are re-posed on the target's fitted
    /// identity. Needs the ICT-FaceKit model on the expression-transfer service.
    /// </summary>
    Blendshapes,
}

/// <summary>A studio's choices for a retarget job.</summary>
/// <param name="Intensity">Global expression intensity (1 = as performed; 0 = the target's neutral).</param>
/// <param name="MouthGain">Gain of the mouth and jaw region.</param>
/// <param name="EyesGain">Gain of the eyes and lids.</param>
/// <param name="BrowsGain">Gain of the brows.</param>
/// <param name="Pose">Head pose from the target footage (default) or the source.</param>
/// <param name="Timing">A target shorter than the source: ping-pong (default), loop or hold.</param>
/// <param name="ProRes">Also write the result as ProRes 422 HQ (.mov).</param>
/// <param name="SourceNeutralFrame">The source frame showing the performer's neutral face; null: estimated.</param>
/// <param name="TargetNeutralFrame">The target frame showing the actor's neutral face; null: estimated.</param>
/// <param name="ActorModelVersion">Retargeting onto an actor: the version of the actor's neural renderer that renders the result (the target footage is the actor's first training clip); null: a target clip, warp renderer.</param>
/// <param name="Space">How the expression is transferred: 468-point deformation transfer (default) or through the ICT-FaceKit blendshape weights (the source's weights on the target's fitted identity).</param>
public sealed record RetargetSettings(
    double Intensity = 1,
    double MouthGain = 1,
    double EyesGain = 1,
    double BrowsGain = 1,
    PoseSource Pose = PoseSource.Target,
    TargetTiming Timing = TargetTiming.PingPong,
    bool ProRes = false,
    int? SourceNeutralFrame = null,
    int? TargetNeutralFrame = null,
    int? ActorModelVersion = null,
    TransferSpace Space = TransferSpace.Mesh,
    NeutralMode Neutral = NeutralMode.Resting)
{
    public static RetargetSettings Default { get; } = new();
}

/// <summary>What a retarget takes as each actor's neutral face when no neutral frame is named for that clip.</summary>
public enum NeutralMode
{
    /// <summary>The frames where the face is at rest (least expression against the ICT-FaceKit model's average face), so a held smile is never taken for the neutral.</summary>
    Resting,

    /// <summary>The clip's first frame with a face: expressions relative to how the clip starts, as reenactment tools offer.</summary>
    First,
}

/// <summary>
/// Command to the expression-transfer service: carry the source's per-frame expression onto the
/// target's face, on the output's timeline (the source's length at the target's frame rate), and
/// write the transfer document under <paramref name="TransferKey"/>.
/// </summary>
public sealed record TransferExpressions(
    Guid JobId,
    ClipTrack Source,
    ClipTrack Target,
    RetargetSettings Settings,
    string TransferKey) : IJobMessage;

/// <summary>Event: the transfer document is stored.</summary>
/// <param name="OutputFrames">Frames of the result.</param>
/// <param name="HeldFrames">Output frames where the source's face was lost too long and the neutral was held.</param>
public sealed record ExpressionsTransferred(Guid JobId, string TransferKey, int OutputFrames, int HeldFrames) : IJobMessage;

/// <summary>
/// Command to the rendering service: render, encode and review a retarget from its transfer document; with
/// <paramref name="GeneratorKey"/> (an actor's trained neural renderer, ONNX) the face is rendered by it, else by the warp renderer;
/// with <paramref name="QcKey"/> the result is tracked again and its QC report stored there.
/// </summary>
public sealed record RenderRetargetOutputs(
    Guid JobId,
    ClipTrack Source,
    ClipTrack Target,
    RetargetSettings Settings,
    string TransferKey,
    string ResultKey,
    string ReviewKey,
    string? ProResKey,
    string? GeneratorKey = null,
    string? QcKey = null) : IJobMessage;

/// <summary>Event: the retarget's outputs are in the media store.</summary>
/// <param name="BlendshapesCsvKey">The transferred expression's blendshape curves as Live Link Face CSV, or null when the renderer has no morphable model.</param>
/// <param name="BlendshapesJsonKey">The same curves as JSON, or null likewise.</param>
/// <param name="QcKey">The QC report (qc.json: the result tracked again against the performer and the actor), or null when the rendering instance has no landmark model.</param>
public sealed record RetargetOutputsRendered(
    Guid JobId,
    string ResultKey,
    string ReviewKey,
    string? ProResKey,
    string? BlendshapesCsvKey = null,
    string? BlendshapesJsonKey = null,
    string? QcKey = null) : IJobMessage;

/// <summary>A studio's choices for training an actor's neural renderer.</summary>
/// <param name="CropSize">Side of the face crop the renderer works on (64 to 512, a multiple of 32).</param>
/// <param name="MaxSteps">Training steps at most.</param>
/// <param name="MaxMinutes">Wall-time budget; null: steps only. Training stops at whichever comes first.</param>
/// <param name="BatchSize">Pairs per step.</param>
/// <param name="ValidationFraction">Share of each clip's frames held out (the last ones), never trained on.</param>
public sealed record TrainingSettings(
    int CropSize = 128,
    int MaxSteps = 2000,
    double? MaxMinutes = null,
    int BatchSize = 4,
    double ValidationFraction = 0.15)
{
    public static TrainingSettings Default { get; } = new();

    /// <summary>What is wrong with these settings, in sentences a person can act on (empty: nothing).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (CropSize is < 64 or > 512 || CropSize % 32 != 0)
        {
            problems.Add($"cropSize must be a multiple of 32 from 64 to 512 (got {CropSize}).");
        }

        if (MaxSteps is < 1 or > 1_000_000)
        {
            problems.Add($"maxSteps must be from 1 to 1000000 (got {MaxSteps}).");
        }

        if (MaxMinutes is { } minutes && !(minutes > 0 && minutes <= 7 * 24 * 60))
        {
            problems.Add($"maxMinutes must be more than 0 and at most a week (got {minutes}).");
        }

        if (BatchSize is < 1 or > 64)
        {
            problems.Add($"batchSize must be from 1 to 64 (got {BatchSize}).");
        }

        if (ValidationFraction is <= 0 or >= 0.5)
        {
            problems.Add($"validationFraction must be more than 0 and under 0.5 (got {ValidationFraction}).");
        }

        return problems;
    }
}

/// <summary>Losses of one training step; a figure that is not finite (NaN, ±∞) is null, never a serialisation fault.</summary>
public sealed record TrainingLossFigures(double? Generator, double? Discriminator, double? L1, double? Adversarial, double? FeatureMatching)
{
    /// <summary>The figures, each null when it is not finite.</summary>
    public static TrainingLossFigures Of(double generator, double discriminator, double l1, double adversarial, double featureMatching) =>
        new(Figure.Finite(generator), Figure.Finite(discriminator), Figure.Finite(l1), Figure.Finite(adversarial), Figure.Finite(featureMatching));
}

/// <summary>Quality on held-out frames: mean L1, PSNR (dB) and SSIM in the face mask; a figure that is not finite is null.</summary>
public sealed record ValidationFigures(double? L1, double? Psnr, double? Ssim, int Pairs)
{
    /// <summary>The figures, each null when it is not finite (PSNR of identical images is +∞: reported as null).</summary>
    public static ValidationFigures Of(double l1, double psnr, double ssim, int pairs) =>
        new(Figure.Finite(l1), Figure.Finite(psnr), Figure.Finite(ssim), pairs);
}

/// <summary>Numbers in messages and the API: JSON has no NaN or infinity, so a figure that is not finite is missing (null).</summary>
public static class Figure
{
    /// <summary><paramref name="value"/>, or null when it is NaN or infinite.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>
/// Command to the training service: train (or resume training) version <paramref name="Version"/> of an
/// actor's neural renderer on the actor's reconstructed clips, writing a checkpoint under
/// <paramref name="CheckpointKey"/> as it goes and the ONNX generator under <paramref name="GeneratorKey"/> at the end.
/// </summary>
public sealed record TrainActorModel(
    Guid JobId,
    Guid ActorId,
    Guid ModelId,
    int Version,
    IReadOnlyList<ClipTrack> Clips,
    TrainingSettings Settings,
    string CheckpointKey,
    string GeneratorKey,
    string PreviewKey) : IJobMessage;

/// <summary>Event: training has reached <paramref name="Step"/> (sent every few steps; validation figures when they were measured).</summary>
public sealed record ActorTrainingProgressed(
    Guid JobId,
    Guid ModelId,
    int Step,
    int MaxSteps,
    TrainingLossFigures? Losses,
    ValidationFigures? Validation,
    double ElapsedSeconds) : IJobMessage;

/// <summary>Event: the model version is trained and exported.</summary>
/// <param name="Validation">The neural renderer on the held-out frames.</param>
/// <param name="WarpBaseline">The warp renderer on the same held-out pairs (what the model must beat).</param>
public sealed record ActorModelTrained(
    Guid JobId,
    Guid ModelId,
    int Steps,
    double TrainingSeconds,
    ValidationFigures Validation,
    ValidationFigures WarpBaseline,
    string GeneratorKey,
    string CheckpointKey,
    string PreviewKey) : IJobMessage;

/// <summary>Event: a studio cancelled the job. Long-running stages (training) stop the work in hand.</summary>
public sealed record JobCancelled(Guid JobId) : IJobMessage;
