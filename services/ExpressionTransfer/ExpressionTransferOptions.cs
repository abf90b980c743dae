using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.Extensions.Options;

namespace FacePipeline.ExpressionTransfer;

/// <summary>The ExpressionTransfer service's settings (configuration section <c>ExpressionTransfer</c>), checked at start-up.</summary>
public sealed class ExpressionTransferOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ExpressionTransfer";

    /// <summary>
    /// Retargets in blendshape space (<c>transferSpace=blendshapes</c>) with the ICT-FaceKit model, which must then be
    /// installed (scripts/unpack-ict.sh): the service refuses to start without it. false: the service runs without the
    /// model and refuses such jobs (the server's fault, with the reason); the default mesh transfer never needs it.
    /// <c>ExpressionTransfer__BlendshapeSpace</c>.
    /// </summary>
    public bool BlendshapeSpace { get; set; } = true;

    /// <summary>The models the service runs with these settings.</summary>
    public IEnumerable<ModelFile> RequiredModels(ModelPaths models)
    {
        ArgumentNullException.ThrowIfNull(models);
        yield return models.FaceGeometryModel;
        if (BlendshapeSpace)
        {
            foreach (var file in models.IctFaceModelFiles)
            {
                yield return file;
            }
        }
    }
}

/// <summary>Registration of the ExpressionTransfer service's settings and models folder, checked at start-up.</summary>
public static class ExpressionTransferSetup
{
    /// <summary><see cref="ExpressionTransferOptions"/>, <see cref="ModelsOptions"/> and the <see cref="ModelPaths"/> they give, validated at start-up.</summary>
    public static IServiceCollection AddExpressionTransferOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<ModelsOptions>(ModelsOptions.Section);
        services.AddSingleton(sp => ModelPaths.FromSetting(sp.GetRequiredService<IOptions<ModelsOptions>>().Value.Root));
        services.AddValidatedOptions<ExpressionTransferOptions>(ExpressionTransferOptions.Section);
        services.AddSingleton<IValidateOptions<ExpressionTransferOptions>, ExpressionTransferModelsValidator>();
        return services;
    }
}

/// <summary>The models <see cref="ExpressionTransferOptions"/> need, checked at start-up.</summary>
internal sealed class ExpressionTransferModelsValidator(ModelPaths models) : IValidateOptions<ExpressionTransferOptions>
{
    public ValidateOptionsResult Validate(string? name, ExpressionTransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ict = models.IctFaceModelFiles;
        var missing = options.RequiredModels(models)
            .Where(m => !m.IsInstalled)
            .Select(m => ict.Contains(m)
                ? $"{m.MissingSentence} ExpressionTransfer__BlendshapeSpace=true retargets in blendshape space with it; set it to false to run without the model (blendshape-space jobs are then refused)."
                : m.MissingSentence)
            .ToList();
        return missing.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
    }
}
