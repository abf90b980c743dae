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

    /// <summary>The retarget settings of <paramref name="job"/> (defaults when none were stored).</summary>
    public static RetargetSettings Retarget(Job job) =>
        job.Settings is { } text ? JsonSerializer.Deserialize<RetargetSettings>(text, Json) ?? RetargetSettings.Default : RetargetSettings.Default;
}
