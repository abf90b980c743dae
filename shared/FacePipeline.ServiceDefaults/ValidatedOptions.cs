using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// How every FacePipeline service reads its settings: each options class is bound from its configuration section,
/// checked (data annotations, the class's own validators, no unknown keys in the section) and validated when the host
/// starts, so that a wrong setting stops the service with the setting's name instead of failing jobs later.
/// </summary>
public static class ValidatedOptions
{
    /// <summary>
    /// <c>AddOptions&lt;T&gt;().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart()</c>, plus
    /// <see cref="KnownSettingsValidator{TOptions}"/>: a key in the section that is no setting of <typeparamref name="TOptions"/>
    /// (a misspelt name, a setting that was renamed) is refused instead of silently ignored.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        services.AddSingleton<IValidateOptions<TOptions>>(sp => new KnownSettingsValidator<TOptions>(sp.GetRequiredService<IConfiguration>(), section));
        return services.AddOptions<TOptions>()
            .BindConfiguration(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    /// <summary>The environment variable of a configuration key: <c>Extraction:Limits:MaxDuration</c> → <c>Extraction__Limits__MaxDuration</c>.</summary>
    public static string EnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}

/// <summary>Refuses keys of an options section that are no public property of the options class.</summary>
/// <typeparam name="TOptions">The options class.</typeparam>
public sealed class KnownSettingsValidator<TOptions>(IConfiguration configuration, string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <summary>The settings of <typeparamref name="TOptions"/>: its public instance properties.</summary>
    public static IReadOnlyList<string> Settings { get; } =
        [.. typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).Select(p => p.Name)];

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var unknown = configuration.GetSection(section).GetChildren()
            .Select(c => c.Key)
            .Where(key => !Settings.Contains(key, StringComparer.OrdinalIgnoreCase))
            .Select(key => $"{section}:{key} (environment variable {ValidatedOptions.EnvironmentVariable($"{section}:{key}")}) is not a setting; "
                + $"the settings of {section} are {string.Join(", ", Settings)}.")
            .ToList();
        return unknown.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(unknown);
    }
}

/// <summary>The shared media folder (section <c>Media</c>): <c>Media__Root</c>, required.</summary>
public sealed class MediaOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Media";

    /// <summary>The media store's folder (a shared volume in production).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Media:Root is not configured (environment variable Media__Root): the shared media folder.")]
    public string? Root { get; set; }
}

/// <summary>
/// The converted models' folder (section <c>Models</c>): <c>Models__Root</c>. Unset: <c>FACEPIPE_MODELS</c>, else the
/// repository's <c>.data/models</c> (ModelPaths.DefaultRoot). Each service checks at start-up that the models it needs are
/// there.
/// </summary>
public sealed class ModelsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Models";

    /// <summary>The models folder, or null for the default.</summary>
    public string? Root { get; set; }
}
