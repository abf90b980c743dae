namespace FacePipeline.Cli;

/// <summary>
/// The secrets this run holds (the API key), so that whatever the CLI prints about a failure (a server's answer, an
/// exception's message) goes out with them replaced: a key must not end up in a terminal, a log or a screenshot.
/// </summary>
public static class CliSecrets
{
    public const string Placeholder = "[API key]";

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal);

    public static void Remember(string? secret)
    {
        if (!string.IsNullOrWhiteSpace(secret))
        {
            lock (Known)
            {
                Known.Add(secret);
            }
        }
    }

    /// <summary><paramref name="text"/> with every secret remembered replaced by <see cref="Placeholder"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (Known)
        {
            return Known.Aggregate(text, (current, secret) => current.Replace(secret, Placeholder, StringComparison.Ordinal));
        }
    }
}
