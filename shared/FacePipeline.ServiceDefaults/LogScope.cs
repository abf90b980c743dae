using System.Collections;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// A log scope of named values (<c>JobId</c>, <c>TenantId</c>…) that every log format shows with its values: the simple
/// console format prints a scope with <see cref="object.ToString"/>, so it reads "JobId:3f2a… MessageType:ExtractFrames"
/// (a <see cref="Dictionary{TKey, TValue}"/> would print its type name), and the JSON format and any structured provider
/// read the name/value pairs as properties. Avoid the name <c>Message</c>: the JSON console format already writes the
/// scope's text under that key.
/// </summary>
public sealed class LogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] values;

    /// <summary>A scope of <paramref name="values"/>, in that order.</summary>
    public LogScope(params (string Name, object? Value)[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        this.values = new KeyValuePair<string, object?>[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(values[i].Name);
            this.values[i] = new KeyValuePair<string, object?>(values[i].Name, values[i].Value);
        }
    }

    /// <inheritdoc/>
    public int Count => values.Length;

    /// <inheritdoc/>
    public KeyValuePair<string, object?> this[int index] => values[index];

    /// <summary><c>logger.BeginScope(new LogScope(values))</c>.</summary>
    public static IDisposable? Begin(ILogger logger, params (string Name, object? Value)[] values)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.BeginScope(new LogScope(values));
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>"Name:value Name:value", values in the invariant culture.</summary>
    public override string ToString() =>
        string.Join(' ', values.Select(v => v.Key + ":" + Convert.ToString(v.Value, CultureInfo.InvariantCulture)));
}
