using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// How every service logs (docs/logging.md): one line per event that matters at Information, the framework's per-request
/// and per-query chatter at Debug only; standard output in the simple one-line format, or JSON lines
/// (<c>Logging__Console__FormatterName=json</c>, set by docker-compose.yml and the Kubernetes ConfigMap); optionally a file
/// rotated by size (<see cref="FileLogOptions"/>, set by scripts/services.sh). Scopes print their values in every format
/// (<see cref="LogScope"/>).
/// </summary>
public static class LoggingDefaults
{
    /// <summary>
    /// The default levels and console format, as configuration that any other source overrides (appsettings, environment
    /// variables such as <c>Logging__LogLevel__Microsoft.AspNetCore=Information</c>, command line).
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        ["Logging:LogLevel:Default"] = nameof(LogLevel.Information),
        // ASP.NET Core writes ~8 Information lines per request (request starting/finished, endpoint, result): Debug for us.
        ["Logging:LogLevel:Microsoft.AspNetCore"] = nameof(LogLevel.Warning),
        // EF Core writes every SQL command at Information (the outbox's idle poll twice a second, every API query).
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = nameof(LogLevel.Warning),
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = nameof(LogLevel.Warning),
        ["Logging:Console:FormatterName"] = ConsoleFormatterNames.Simple,
    };

    /// <summary>The services' logging: defaults above, console formats, scopes, trace ids, and the log file when configured.</summary>
    public static void AddLoggingDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // First source: every other one (appsettings, environment, command line, a test's own settings) overrides it.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Settings });
        builder.Logging.AddConsole(); // the formatter is Logging:Console:FormatterName (simple, json or systemd)
        builder.Services.Configure<SimpleConsoleFormatterOptions>(ConfigureSimple);
        builder.Services.Configure<JsonConsoleFormatterOptions>(ConfigureJson);
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        builder.Services.AddValidatedOptions<FileLogOptions>(FileLogOptions.Section);
        if (!string.IsNullOrWhiteSpace(builder.Configuration[FileLogOptions.Section + ":Path"]))
        {
            builder.Services.AddSingleton<ILoggerProvider>(sp =>
                FileLoggerProvider.Create(FileLogOptions.Read(sp.GetRequiredService<IConfiguration>()), sp.GetServices<ConsoleFormatter>()));
        }
    }

    /// <summary>One line per event, with the date and time, scopes included, no colour codes (the output is a file or a pipe).</summary>
    public static void ConfigureSimple(SimpleConsoleFormatterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.SingleLine = true;
        options.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
        options.IncludeScopes = true;
        options.ColorBehavior = LoggerColorBehavior.Disabled;
    }

    /// <summary>One JSON object per line: UTC timestamp (ISO 8601), level, category, message, the message's values, the scopes' values.</summary>
    public static void ConfigureJson(JsonConsoleFormatterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.IncludeScopes = true;
        options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        options.UseUtcTimestamp = true;
        options.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
    }
}
