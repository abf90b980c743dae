namespace FacePipeline.Retarget;

/// <summary>
/// Artist controls of <see cref="DeformationTransfer"/>: a global intensity and per-region gains (see
/// <see cref="FaceRegions"/>), all multiplying the transferred displacement. 0 = the target's neutral,
/// 1 = the full transferred expression, values above 1 exaggerate.
/// </summary>
/// <param name="Intensity">Global multiplier of the whole displacement.</param>
/// <param name="MouthJaw">Gain of the mouth+jaw region.</param>
/// <param name="EyesLids">Gain of the eyes+lids region.</param>
/// <param name="Brows">Gain of the brows region.</param>
public sealed record TransferControls(double Intensity = 1, double MouthJaw = 1, double EyesLids = 1, double Brows = 1)
{
    /// <summary>Everything at 1: the full transferred expression.</summary>
    public static TransferControls Full { get; } = new();
}
