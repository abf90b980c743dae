using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>A job's settings as they are stored in its row (JSON, enums by name).</summary>
public static class JobSettings
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize(RetargetSettings settings) => JsonSerializer.Serialize(settings, Json);

    public static string Serialize(TrainingSettings settings) => JsonSerializer.Serialize(settings, Json);

    /// <summary>Any value as stored JSON (metrics of an actor model).</summary>
    public static string SerializeValue<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>The training settings of a train-actor job (defaults when none were stored).</summary>
    public static TrainingSettings Training(string? text) =>
        text is { } json ? JsonSerializer.Deserialize<TrainingSettings>(json, Json) ?? TrainingSettings.Default : TrainingSettings.Default;

    /// <summary>The retarget settings of <paramref name="job"/> (defaults when none were stored).</summary>
    public static RetargetSettings Retarget(Job job) =>
        job.Settings is { } text ? JsonSerializer.Deserialize<RetargetSettings>(text, Json) ?? RetargetSettings.Default : RetargetSettings.Default;
}
