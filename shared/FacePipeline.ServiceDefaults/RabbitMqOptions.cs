using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The broker (configuration section <c>RabbitMq</c>: <c>RabbitMq__Host</c>, <c>__Port</c>, <c>__VirtualHost</c>,
/// <c>__Username</c>, <c>__Password</c>, <c>__PrefetchCount</c>), validated at start-up.
/// <para>
/// There are no default credentials. <see cref="Username"/> and <see cref="Password"/> come from configuration (the local
/// scripts: <c>scripts/infra.sh env</c>; docker-compose: <c>RABBITMQ_USER</c>/<c>RABBITMQ_PASSWORD</c>; Kubernetes: the
/// Secret <c>facepipe-secrets</c>). Only in the Development environment (<c>ASPNETCORE_ENVIRONMENT</c> or
/// <c>DOTNET_ENVIRONMENT</c> = <c>Development</c>) do missing credentials fall back to RabbitMQ's local account
/// <c>guest</c>/<c>guest</c>; in any other environment missing credentials, or the <c>guest</c> user, stop the service
/// at start with the reason (<see cref="RabbitMqCredentialsValidator"/>).
/// </para>
/// </summary>
public sealed class RabbitMqOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "RabbitMq";

    /// <summary>RabbitMQ's built-in account, accepted in the Development environment only.</summary>
    public const string GuestUser = "guest";

    /// <summary>The broker's host name.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "RabbitMq:Host is empty (environment variable RabbitMq__Host): the broker's host name.")]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The broker's AMQP port.</summary>
    [Range(1, 65535, ErrorMessage = "RabbitMq:Port must be between {1} and {2} (environment variable RabbitMq__Port).")]
    public ushort Port { get; set; } = 5672;

    /// <summary>The virtual host.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "RabbitMq:VirtualHost is empty (environment variable RabbitMq__VirtualHost; the default virtual host is \"/\").")]
    public string VirtualHost { get; set; } = "/";

    /// <summary>The broker user: from configuration; no default outside the Development environment.</summary>
    public string? Username { get; set; }

    /// <summary>The broker user's password: from configuration; no default outside the Development environment.</summary>
    public string? Password { get; set; }

    /// <summary>Messages each consumer holds from the broker at once: small, so that work spreads over workers.</summary>
    [Range(1, 1000, ErrorMessage = "RabbitMq:PrefetchCount must be between {1} and {2} (environment variable RabbitMq__PrefetchCount).")]
    public ushort PrefetchCount { get; set; } = 4;
}

/// <summary>
/// The credentials rule of <see cref="RabbitMqOptions"/>: both set, or (Development only) both absent, which means
/// RabbitMQ's local <c>guest</c>/<c>guest</c>; outside Development the <c>guest</c> user is refused.
/// </summary>
public sealed class RabbitMqCredentialsValidator(IHostEnvironment environment) : IValidateOptions<RabbitMqOptions>
{
    private const string HowToSet =
        "Set RabbitMq__Username and RabbitMq__Password (scripts/infra.sh env prints the local ones; docker-compose reads RABBITMQ_USER and RABBITMQ_PASSWORD; "
        + "Kubernetes takes them from the Secret facepipe-secrets)";

    public ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var development = environment.IsDevelopment();
        var hasUser = !string.IsNullOrWhiteSpace(options.Username);
        var hasPassword = !string.IsNullOrEmpty(options.Password);
        var failures = new List<string>();
        if (!hasUser && !hasPassword)
        {
            failures.Add(
                $"RabbitMq:Username and RabbitMq:Password are not configured in the {environment.EnvironmentName} environment. {HowToSet}. "
                + $"Only the Development environment (ASPNETCORE_ENVIRONMENT=Development) falls back to RabbitMQ's local {RabbitMqOptions.GuestUser}/{RabbitMqOptions.GuestUser} account.");
        }
        else if (!hasUser)
        {
            failures.Add($"RabbitMq:Password is set but RabbitMq:Username is not (environment variable RabbitMq__Username). {HowToSet}.");
        }
        else if (!hasPassword)
        {
            failures.Add($"RabbitMq:Username is set but RabbitMq:Password is not (environment variable RabbitMq__Password). {HowToSet}.");
        }

        if (hasUser && !development && string.Equals(options.Username!.Trim(), RabbitMqOptions.GuestUser, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add(
                $"RabbitMq:Username is '{RabbitMqOptions.GuestUser}', RabbitMQ's built-in local account, which is refused outside the Development environment "
                + $"(this is {environment.EnvironmentName}). Create a broker user for FacePipeline. {HowToSet}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Registration of <see cref="RabbitMqOptions"/>.</summary>
public static class RabbitMqOptionsSetup
{
    /// <summary>
    /// Binds <see cref="RabbitMqOptions"/> from the section <c>RabbitMq</c> and validates it at start-up (ranges, unknown
    /// settings, <see cref="RabbitMqCredentialsValidator"/>). In the Development environment, absent credentials become
    /// <c>guest</c>/<c>guest</c>.
    /// </summary>
    public static OptionsBuilder<RabbitMqOptions> AddRabbitMqOptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<RabbitMqOptions>) && d.ImplementationType == typeof(RabbitMqCredentialsValidator)))
        {
            return new OptionsBuilder<RabbitMqOptions>(services, Options.DefaultName); // registered already
        }

        services.AddSingleton<IValidateOptions<RabbitMqOptions>, RabbitMqCredentialsValidator>();
        return services.AddValidatedOptions<RabbitMqOptions>(RabbitMqOptions.Section)
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                if (environment.IsDevelopment() && string.IsNullOrWhiteSpace(options.Username) && string.IsNullOrEmpty(options.Password))
                {
                    options.Username = RabbitMqOptions.GuestUser;
                    options.Password = RabbitMqOptions.GuestUser;
                }
            });
    }
}
