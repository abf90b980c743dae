using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The checks a service passes before it takes any work: every options class registered with
/// <see cref="ValidatedOptions.AddValidatedOptions{TOptions}"/> (or <c>ValidateOnStart</c>) is bound and validated, and
/// the services named are built (a stage and what it is given: a missing registration or model fails here, not on the
/// first job). A failure is logged as one critical line, "&lt;service&gt; refuses to start: &lt;reason&gt;".
/// </summary>
public static class StartupChecks
{
    /// <summary>Runs the checks; false (logged, the application disposed) when the service must not start.</summary>
    /// <param name="app">The built application.</param>
    /// <param name="resolve">Services to build now (singletons: the stages).</param>
    public static bool PassesStartupChecks(this WebApplication app, params Type[] resolve)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(resolve);
        try
        {
            Run(app.Services, resolve);
            app.Logger.LogInformation("glibc malloc arenas: {Arenas}", MallocArenas.Describe(Environment.GetEnvironmentVariable(MallocArenas.EnvironmentVariable)));
            app.Logger.LogInformation("Garbage collector: {GarbageCollector}", GarbageCollectorMode.Current);
            return true;
        }
        catch (Exception error) when (error is OptionsValidationException or AggregateException or InvalidOperationException or IOException or ArgumentException)
        {
            app.Logger.LogCritical("{Service} refuses to start: {Reason}", app.Environment.ApplicationName, Reason(error));
            ((IDisposable)app).Dispose(); // flushes the console log
            return false;
        }
    }

    /// <summary>
    /// The settings checks alone, before the application is built (for a service with slow work to do before it can
    /// build, e.g. Training's libtorch self-check): the options registered so far are validated on a provider of their own;
    /// false (logged) when the service must not start. <see cref="PassesStartupChecks"/> still runs all checks afterwards.
    /// </summary>
    public static bool PassesSettingsChecks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        using var provider = builder.Services.BuildServiceProvider();
        try
        {
            Run(provider);
            return true;
        }
        catch (Exception error) when (error is OptionsValidationException or AggregateException or InvalidOperationException or IOException or ArgumentException)
        {
            provider.GetRequiredService<ILoggerFactory>().CreateLogger(builder.Environment.ApplicationName)
                .LogCritical("{Service} refuses to start: {Reason}", builder.Environment.ApplicationName, Reason(error));
            return false;
        }
    }

    /// <summary>The checks on a built service provider: options validation, then each service of <paramref name="resolve"/> built.</summary>
    public static void Run(IServiceProvider services, params Type[] resolve)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.GetService<OnnxSessionLogging>(); // listens before the stages open their models: each session's execution provider is logged
        services.GetService<IStartupValidator>()?.Validate();
        foreach (var type in resolve ?? [])
        {
            services.GetRequiredService(type);
        }
    }

    /// <summary>Between two reasons in <see cref="Reason"/>.</summary>
    public const string Separator = " | ";

    /// <summary>Why: the validation failures (each one a sentence, <see cref="Separator"/> between them), or the exception's message and its inner exceptions' messages.</summary>
    public static string Reason(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            OptionsValidationException validation => string.Join(Separator, validation.Failures),
            AggregateException aggregate => string.Join(Separator, aggregate.InnerExceptions.Select(Reason)),
            { InnerException: { } inner } => $"{error.Message} ({Reason(inner)})",
            _ => error.Message,
        };
    }
}
