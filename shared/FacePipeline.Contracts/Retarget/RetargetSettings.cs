namespace FacePipeline.Contracts;

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
/// <param name="Neutral">How the neutral faces are found.</param>
/// <param name="Matte">Also write the region the retarget changed as a soft matte (matte.mov: 8-bit grey, 0 outside, 255 inside, feathered as the renderer composites), frame for frame with the result (default).</param>
/// <param name="ProRes4444">Also write the result as ProRes 4444 with the matte as its alpha channel (result_4444.mov).</param>
/// <param name="Dnxhr">Also write the result as Avid DNxHR HQ (result_dnxhr.mov).</param>
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
    NeutralMode Neutral = NeutralMode.Resting,
    bool Matte = true,
    bool ProRes4444 = false,
    bool Dnxhr = false)
{
    public static RetargetSettings Default { get; } = new();
}
