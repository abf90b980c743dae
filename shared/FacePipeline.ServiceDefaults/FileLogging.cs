using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The log file (section <c>Logging:File</c>): off unless <see cref="Path"/> is set (the local scripts set it; containers log
/// to standard output). Checked at start-up like every section.
/// </summary>
public sealed class FileLogOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Logging:File";

    /// <summary>The live log file, e.g. <c>.data/logs/Ingest.log</c>; unset: no log file.</summary>
    public string? Path { get; set; }

    /// <summary>The size at which the file is rotated (<see cref="RollingLogFile"/>).</summary>
    [Range(64 * 1024, long.MaxValue, ErrorMessage = "Logging:File:MaxFileBytes must be at least 65536 (environment variable Logging__File__MaxFileBytes).")]
    public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Rotated files kept besides the live one (<c>Ingest.1.log</c> … <c>Ingest.N.log</c>).</summary>
    [Range(0, 1000, ErrorMessage = "Logging:File:RetainedFiles must be between {1} and {2} (environment variable Logging__File__RetainedFiles).")]
    public int RetainedFiles { get; set; } = 5;

    /// <summary>The line format: one of the console formats, <c>simple</c> (one line per event) or <c>json</c> (one JSON object per line).</summary>
    [RegularExpression("^(simple|json)$", ErrorMessage = "Logging:File:FormatterName must be 'simple' or 'json' (environment variable Logging__File__FormatterName).")]
    public string FormatterName { get; set; } = ConsoleFormatterNames.Simple;

    /// <summary>Levels of the file alone, by category (<c>Logging:File:LogLevel:Default</c>…), read by the logging framework like <c>Logging:LogLevel</c>.</summary>
    public Dictionary<string, LogLevel>? LogLevel { get; set; }

    /// <summary>The section's settings, or null when they do not bind or do not pass their checks (the start-up checks then say why).</summary>
    public static FileLogOptions? Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            var options = configuration.GetSection(Section).Get<FileLogOptions>() ?? new FileLogOptions();
            return Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true) ? options : null;
        }
        catch (InvalidOperationException)
        {
            return null; // a value that does not convert
        }
    }
}

/// <summary>
/// Writes log events to a <see cref="RollingLogFile"/>, each formatted by one of the console formatters (the same text as
/// the console's: simple lines or JSON lines, with the scopes' values), so that a file and standard output read alike.
/// Provider alias <c>File</c>: <c>Logging:File:LogLevel</c> sets its levels apart from the console's.
/// </summary>
[ProviderAlias("File")]
public sealed class FileLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    // One writer per file in the process: two providers (a service that builds a provider of its own for its settings checks
    // before the application's) append through the same one instead of overwriting each other.
    private static readonly Dictionary<string, (RollingLogFile File, int Users)> Open = new(StringComparer.Ordinal);

    private readonly RollingLogFile file;
    private readonly ConsoleFormatter formatter;
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();
    private int disposed;

    /// <summary>Events formatted by <paramref name="formatter"/> into the file <paramref name="path"/>, rotated by size (<see cref="RollingLogFile"/>).</summary>
    public FileLoggerProvider(string path, long maxFileBytes, int retainedFiles, ConsoleFormatter formatter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        this.formatter = formatter ?? throw new ArgumentNullException(nameof(formatter));
        var key = System.IO.Path.GetFullPath(path);
        lock (Open)
        {
            var (shared, users) = Open.TryGetValue(key, out var entry) ? entry : (new RollingLogFile(key, maxFileBytes, retainedFiles), 0);
            Open[key] = (shared, users + 1);
            file = shared;
        }
    }

    /// <summary>The file written.</summary>
    public RollingLogFile File => file;

    /// <summary>
    /// The provider <paramref name="options"/> describe, formatting with the registered console formatter of that name;
    /// a <see cref="NullLoggerProvider"/> when there is no file to write (no path, or settings that fail their checks).
    /// A file that cannot be opened is said once on standard error, and the service goes on without it.
    /// </summary>
    public static ILoggerProvider Create(FileLogOptions? options, IEnumerable<ConsoleFormatter> formatters)
    {
        ArgumentNullException.ThrowIfNull(formatters);
        if (options is not { Path: { Length: > 0 } path })
        {
            return NullLoggerProvider.Instance;
        }

        var formatter = formatters.FirstOrDefault(f => string.Equals(f.Name, options.FormatterName, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"No console formatter named '{options.FormatterName}' is registered.");
        try
        {
            return new FileLoggerProvider(path, options.MaxFileBytes, options.RetainedFiles, formatter);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"The log file {path} cannot be written ({error.Message}); logging to standard output only.");
            return NullLoggerProvider.Instance;
        }
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    /// <inheritdoc/>
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider ?? throw new ArgumentNullException(nameof(scopeProvider));

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        lock (Open)
        {
            var users = Open[file.Path].Users - 1;
            if (users == 0)
            {
                Open.Remove(file.Path);
                file.Dispose();
            }
            else
            {
                Open[file.Path] = (file, users);
            }
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        [ThreadStatic]
        private static StringWriter? buffer;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None; // the factory's filter rules decide the rest

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var writer = buffer ??= new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
            provider.formatter.Write(in entry, provider.scopes, writer);
            var text = writer.GetStringBuilder();
            if (text.Length == 0)
            {
                return;
            }

            var line = text.ToString();
            text.Clear();
            if (text.Capacity > 64 * 1024)
            {
                text.Capacity = 1024; // one huge event (a long stack) does not keep its buffer for ever
            }

            try
            {
                provider.file.Write(line);
            }
            catch (Exception error) when (error is IOException or ObjectDisposedException)
            {
                // A full disk, or a line logged while the host shuts down: the log must not fail the work it describes.
            }
        }
    }
}
