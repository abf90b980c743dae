using FacePipeline.ActorTraining;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.Extensions.Options;

namespace FacePipeline.Training;

/// <summary>
/// Registration of the Training service's settings, <see cref="TrainingStageOptions"/> (configuration section
/// <c>Training</c>), and of the models folder, checked at start-up: a value out of range, or the canonical face geometry
/// missing, stops the service with the reason.
/// </summary>
public static class TrainingServiceOptions
{
    /// <summary>The models the service runs: MediaPipe's canonical face (the footage's metric landmarks, the conditioning).</summary>
    public static IEnumerable<ModelFile> RequiredModels(ModelPaths models)
    {
        ArgumentNullException.ThrowIfNull(models);
        yield return models.FaceGeometryModel;
    }

    /// <summary><see cref="TrainingStageOptions"/>, <see cref="ModelsOptions"/> and the <see cref="ModelPaths"/> they give, validated at start-up; the options' value for the stage.</summary>
    public static IServiceCollection AddTrainingOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<ModelsOptions>(ModelsOptions.Section);
        services.AddSingleton(sp => ModelPaths.FromSetting(sp.GetRequiredService<IOptions<ModelsOptions>>().Value.Root));
        services.AddValidatedOptions<TrainingStageOptions>(TrainingStageOptions.Section);
        services.AddSingleton<IValidateOptions<TrainingStageOptions>, TrainingModelsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TrainingStageOptions>>().Value);
        return services;
    }
}

/// <summary>The models the Training service needs, checked at start-up.</summary>
internal sealed class TrainingModelsValidator(ModelPaths models) : IValidateOptions<TrainingStageOptions>
{
    public ValidateOptionsResult Validate(string? name, TrainingStageOptions options)
    {
        var missing = ModelPaths.Missing(TrainingServiceOptions.RequiredModels(models));
        return missing.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
    }
}
