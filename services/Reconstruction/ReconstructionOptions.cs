namespace FacePipeline.Reconstruction;

/// <summary>The Reconstruction service's settings (configuration section <c>Reconstruction</c>).</summary>
public sealed record ReconstructionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Reconstruction";

    /// <summary>
    /// Track with MediaPipe's refined landmark model (<c>face_landmark_with_attention.onnx</c>: the 468-point mesh with
    /// refined lips and eyes, plus the irises, which the gaze curves are measured from) when it is installed under
    /// <c>Models__Root</c>; false: always the 468-point model (about a third of the refined model's inference time,
    /// no irises). <c>Reconstruction__RefinedLandmarks</c>.
    /// </summary>
    public bool RefinedLandmarks { get; init; } = true;

    /// <summary>The defaults.</summary>
    public static ReconstructionOptions Default { get; } = new();

    /// <summary>
    /// The options from configuration, checked at start: a value that is not a boolean stops the service with the
    /// setting's name instead of being read as the default.
    /// </summary>
    public static ReconstructionOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var refined = section[nameof(RefinedLandmarks)];
        if (refined is not null && !bool.TryParse(refined, out _))
        {
            throw new InvalidOperationException($"{Section}__{nameof(RefinedLandmarks)} must be true or false, not '{refined}'.");
        }

        return section.Get<ReconstructionOptions>() ?? Default;
    }
}
