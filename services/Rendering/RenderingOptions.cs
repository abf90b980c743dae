using System.ComponentModel.DataAnnotations;
using FacePipeline.Retarget;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.Extensions.Options;

namespace FacePipeline.Rendering;

/// <summary>The Rendering service's settings (configuration section <c>Rendering</c>), checked at start-up with the models they need.</summary>
public sealed class RenderingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Rendering";

    /// <summary>The most closed-loop rounds per frame that may be set.</summary>
    public const int MostClosedLoopRounds = 8;

    /// <summary>Rounds of the retarget renderer's closed loop per frame (0: none). <c>Rendering__ClosedLoopRounds</c>.</summary>
    [Range(0, MostClosedLoopRounds, ErrorMessage = "Rendering:ClosedLoopRounds must be between {1} and {2} (rounds of the closed loop per frame; 0: none).")]
    public int ClosedLoopRounds { get; set; } = ClosedLoopCorrection.DefaultRounds;

    /// <summary>
    /// Track and retarget jobs' blendshape curves (blendshapes.csv, blendshapes.json) with the ICT-FaceKit model, which
    /// must then be installed (scripts/unpack-ict.sh): the service refuses to start without it. false: the service runs
    /// without the model and jobs get no curves. <c>Rendering__BlendshapeCurves</c>.
    /// </summary>
    public bool BlendshapeCurves { get; set; } = true;

    /// <summary>
    /// The retarget QC's identity check with face-api's face-recognition network, which must then be installed
    /// (scripts/fetch-identity-model.sh, which scripts/fetch-models.sh runs). false: QC reports without the identity
    /// check. <c>Rendering__IdentityCheck</c>.
    /// </summary>
    public bool IdentityCheck { get; set; } = true;

    /// <summary>The retarget render stage's settings.</summary>
    public RetargetRenderOptions ToRetargetRenderOptions() => new() { ClosedLoopRounds = ClosedLoopRounds };

    /// <summary>
    /// The models the service runs with these settings: the canonical face, the refined landmark model (the closed loop's
    /// and the QC's tracker, with the irises for the gaze), the ICT-FaceKit model for the curves, the identity network.
    /// </summary>
    public IEnumerable<ModelFile> RequiredModels(ModelPaths models)
    {
        ArgumentNullException.ThrowIfNull(models);
        yield return models.FaceGeometryModel;
        yield return models.RefinedFaceLandmarksModel;
        if (BlendshapeCurves)
        {
            foreach (var file in models.IctFaceModelFiles)
            {
                yield return file;
            }
        }

        if (IdentityCheck)
        {
            yield return models.IdentityModel;
        }
    }
}

/// <summary>Registration of the Rendering service's settings and models folder, checked at start-up.</summary>
public static class RenderingSetup
{
    /// <summary><see cref="RenderingOptions"/>, <see cref="ModelsOptions"/> and the <see cref="ModelPaths"/> they give, validated at start-up.</summary>
    public static IServiceCollection AddRenderingOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<ModelsOptions>(ModelsOptions.Section);
        services.AddSingleton(sp => ModelPaths.FromSetting(sp.GetRequiredService<IOptions<ModelsOptions>>().Value.Root));
        services.AddValidatedOptions<RenderingOptions>(RenderingOptions.Section);
        services.AddSingleton<IValidateOptions<RenderingOptions>, RenderingModelsValidator>();
        return services;
    }
}

/// <summary>The models <see cref="RenderingOptions"/> need, checked at start-up.</summary>
internal sealed class RenderingModelsValidator(ModelPaths models) : IValidateOptions<RenderingOptions>
{
    public ValidateOptionsResult Validate(string? name, RenderingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ict = models.IctFaceModelFiles;
        var identity = models.IdentityModel;
        var missing = options.RequiredModels(models)
            .Where(m => !m.IsInstalled)
            .Select(m => ict.Contains(m)
                ? $"{m.MissingSentence} Rendering__BlendshapeCurves=true writes the blendshape curves with it; set it to false to run without the model (jobs then get no curves)."
                : m == identity
                    ? $"{m.MissingSentence} Rendering__IdentityCheck=true runs the retarget QC's identity check with it; set it to false to run without it."
                    : m.MissingSentence)
            .ToList();
        return missing.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
    }
}
