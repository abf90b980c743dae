using System.ComponentModel.DataAnnotations;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.Extensions.Options;

namespace FacePipeline.Reconstruction;

/// <summary>The Reconstruction service's settings (configuration section <c>Reconstruction</c>).</summary>
public sealed record ReconstructionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Reconstruction";

    /// <summary>
    /// Track with MediaPipe's refined landmark model (<c>face_landmark_with_attention.onnx</c>: the 468-point mesh with
    /// refined lips and eyes, plus the irises, which the gaze curves are measured from), which must then be installed
    /// under <c>Models__Root</c> (scripts/fetch-models.sh): the service refuses to start without it. false: always the
    /// 468-point model (about a third of the refined model's inference time, no irises). <c>Reconstruction__RefinedLandmarks</c>.
    /// </summary>
    public bool RefinedLandmarks { get; init; } = true;

    /// <summary>
    /// Chunks the process tracks at once, each in its own slot (its own detector and landmark model sessions:
    /// <see cref="FaceReconstructionSlots"/>); 0 = one per core the process may use (<see cref="Environment.ProcessorCount"/>,
    /// which follows a container's CPU limit), at most 4. A chunk keeps about one core busy, so fewer slots than cores leave
    /// cores idle. <c>Reconstruction__ConcurrentChunks</c>.
    /// </summary>
    [Range(0, 16, ErrorMessage = "Reconstruction:ConcurrentChunks must be between {1} and {2}, 0 for one per core (environment variable Reconstruction__ConcurrentChunks).")]
    public int ConcurrentChunks { get; init; }

    /// <summary>
    /// ONNX Runtime threads per model session (each slot has its own sessions); 0 = with one slot, ONNX Runtime's own
    /// default (a thread per physical core, pinned to it), with more, the cores the process may use divided among the
    /// slots, at least 1. <c>Reconstruction__InferenceThreads</c>.
    /// </summary>
    [Range(0, 64, ErrorMessage = "Reconstruction:InferenceThreads must be between {1} and {2}, 0 for the cores shared among the slots (environment variable Reconstruction__InferenceThreads).")]
    public int InferenceThreads { get; init; }

    /// <summary>The slots the process runs: <see cref="ConcurrentChunks"/>, or one per core (at most 4) when it is 0.</summary>
    public int Slots(int processorCount) => ConcurrentChunks > 0 ? ConcurrentChunks : Math.Clamp(processorCount, 1, 4);

    /// <summary>
    /// ONNX Runtime threads per session (0: ONNX Runtime's default): <see cref="InferenceThreads"/>, or when it is 0, ONNX
    /// Runtime's default for one slot and the cores shared among the slots for more.
    /// </summary>
    public int ThreadsPerSession(int processorCount) =>
        InferenceThreads > 0 ? InferenceThreads
        : Slots(processorCount) == 1 ? 0
        : Math.Max(1, processorCount / Slots(processorCount));

    /// <summary>The defaults.</summary>
    public static ReconstructionOptions Default { get; } = new();

    /// <summary>
    /// The options from configuration (tools and tests; the service binds them with <see cref="ReconstructionSetup.AddReconstructionOptions"/>):
    /// a value that is not a boolean throws with the setting's name instead of being read as the default.
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

    /// <summary>The models the service runs with these settings: the face detector and the landmark model it tracks with.</summary>
    public IEnumerable<ModelFile> RequiredModels(ModelPaths models)
    {
        ArgumentNullException.ThrowIfNull(models);
        yield return models.FaceDetectorModel;
        yield return models.FaceGeometryModel; // the clip's 3D face sequence
        yield return RefinedLandmarks ? models.RefinedFaceLandmarksModel : models.FaceLandmarksModel;
    }
}

/// <summary>Registration of the Reconstruction service's settings and models folder, checked at start-up.</summary>
public static class ReconstructionSetup
{
    /// <summary>
    /// <see cref="ReconstructionOptions"/> (section <c>Reconstruction</c>), <see cref="ModelsOptions"/> and the
    /// <see cref="ModelPaths"/> they give, validated at start-up: a model the settings need that is missing stops the service.
    /// </summary>
    public static IServiceCollection AddReconstructionOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<ModelsOptions>(ModelsOptions.Section);
        services.AddSingleton(sp => ModelPaths.FromSetting(sp.GetRequiredService<IOptions<ModelsOptions>>().Value.Root));
        services.AddValidatedOptions<ReconstructionOptions>(ReconstructionOptions.Section);
        services.AddSingleton<IValidateOptions<ReconstructionOptions>, ReconstructionModelsValidator>();
        return services;
    }
}

/// <summary>The models <see cref="ReconstructionOptions"/> need, checked at start-up.</summary>
internal sealed class ReconstructionModelsValidator(ModelPaths models) : IValidateOptions<ReconstructionOptions>
{
    public ValidateOptionsResult Validate(string? name, ReconstructionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var refined = models.RefinedFaceLandmarksModel;
        var missing = options.RequiredModels(models)
            .Where(m => !m.IsInstalled)
            .Select(m => m == refined
                ? $"{m.MissingSentence} Reconstruction__RefinedLandmarks=true tracks with it; set it to false to track with the 468-point model instead (no irises, no gaze curves)."
                : m.MissingSentence)
            .ToList();
        return missing.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
    }
}
