using FacePipeline.Media;
using FacePipeline.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace FacePipeline.FrameExtraction;

/// <summary>
/// The FrameExtraction service's settings: what an upload may be, <see cref="MediaLimits"/>, from the configuration
/// section <c>Extraction:Limits</c> (<c>Extraction__Limits__MaxDuration</c>, <c>…__MaxDisplayWidth</c>,
/// <c>…__MaxDisplayHeight</c>, <c>…__MaxFrameCount</c>, <c>…__AllowStillImages</c>, <c>…__AllowedContainers__0</c>, ...),
/// checked at start-up (<see cref="MediaLimitsValidator"/>).
/// </summary>
public static class ExtractionOptions
{
    /// <summary>The configuration section of <see cref="MediaLimits"/>.</summary>
    public const string LimitsSection = "Extraction:Limits";

    /// <summary>Binds and validates <see cref="MediaLimits"/>, and registers its value for the stage.</summary>
    public static IServiceCollection AddExtractionOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<MediaLimits>(LimitsSection);
        services.AddSingleton<IValidateOptions<MediaLimits>, MediaLimitsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<MediaLimits>>().Value);
        return services;
    }
}

/// <summary>The checks of <see cref="MediaLimits"/> as a setting: every limit positive, at least one container.</summary>
public sealed class MediaLimitsValidator : IValidateOptions<MediaLimits>
{
    /// <summary>The largest display size accepted as a limit (16K).</summary>
    public const int LargestDisplaySize = 16_384;

    public ValidateOptionsResult Validate(string? name, MediaLimits options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = ExtractionOptions.LimitsSection;
        var failures = new List<string>();
        if (options.MaxDuration <= TimeSpan.Zero)
        {
            failures.Add($"{section}:MaxDuration must be positive (a duration such as 00:30:00), not {options.MaxDuration}.");
        }

        foreach (var (setting, value) in new[] { ("MaxDisplayWidth", options.MaxDisplayWidth), ("MaxDisplayHeight", options.MaxDisplayHeight) })
        {
            if (value is < 1 or > LargestDisplaySize)
            {
                failures.Add($"{section}:{setting} must be between 1 and {LargestDisplaySize} pixels, not {value}.");
            }
        }

        if (options.MaxFrameCount < 1)
        {
            failures.Add($"{section}:MaxFrameCount must be at least 1, not {options.MaxFrameCount}.");
        }

        if (options.AllowedContainers is not { Count: > 0 } containers || containers.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add($"{section}:AllowedContainers must name at least one ffmpeg demuxer, and no empty one (default: {string.Join(", ", ContainerPolicy.DefaultVideoDemuxers)}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
