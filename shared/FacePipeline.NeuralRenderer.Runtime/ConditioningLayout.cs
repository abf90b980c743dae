namespace FacePipeline.NeuralRenderer;

/// <summary>
/// The planes of the generator's input as <see cref="SelfReenactmentPairBuilder"/> renders them (all in [0, 1]):
/// warped RGB, then the correspondence map (canonical-mesh x, y, z, 0 outside the face), the mouth-interior mask
/// and the eyes mask.
/// </summary>
public static class ConditioningLayout
{
    /// <summary>Planes in all.</summary>
    public const int Channels = 8;

    /// <summary>First plane of the warped RGB image.</summary>
    public const int WarpedRgb = 0;

    /// <summary>First plane of the correspondence map (x, y, z).</summary>
    public const int Correspondence = 3;

    /// <summary>The mouth-interior mask (inside the inner lip contour).</summary>
    public const int MouthMask = 6;

    /// <summary>The eyes mask (inside both eye contours).</summary>
    public const int EyesMask = 7;
}

/// <summary>The names of the exported generator's tensors (what GeneratorOnnxExporter writes and <see cref="GeneratorSession"/> runs).</summary>
public static class GeneratorTensors
{
    /// <summary>Input: N×C×H×W float in [0, 1], <see cref="ConditioningLayout"/>'s planes.</summary>
    public const string Input = "input";

    /// <summary>Output: N×3×H×W RGB in [0, 1].</summary>
    public const string Output = "rgb";
}
