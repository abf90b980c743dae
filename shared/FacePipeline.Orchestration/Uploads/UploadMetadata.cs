using System.Text;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// The Upload-Metadata header of a tus creation: comma-separated pairs of a key and its base64 value, separated by a
/// space (<c>filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential</c>). Keys are unique, not empty, without
/// spaces or commas; a value may be absent. The header is kept as sent (HEAD answers it back) and read for the
/// file name jobs will see (<c>filename</c>, required).
/// </summary>
public sealed class UploadMetadata
{
    /// <summary>The key whose value names the file (the name a job shows, e.g. <c>take1.mp4</c>).</summary>
    public const string FileNameKey = "filename";

    /// <summary>The longest header accepted, in characters (a file name of 255 characters is about 340 in base64).</summary>
    public const int MaxHeaderLength = 4096;

    private readonly Dictionary<string, string> _values;

    private UploadMetadata(string header, Dictionary<string, string> values)
    {
        Header = header;
        _values = values;
    }

    /// <summary>The header as the client sent it.</summary>
    public string Header { get; }

    /// <summary>The keys and their decoded values (UTF-8 text; an absent value is empty).</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The value of <paramref name="key"/>, or null when the header has no such key.</summary>
    public string? this[string key] => _values.GetValueOrDefault(key);

    /// <summary>
    /// Parses <paramref name="header"/>; on a malformed header, null and a sentence that says what is wrong with it.
    /// An absent or empty header is metadata without keys.
    /// </summary>
    public static (UploadMetadata? Metadata, string? Problem) Parse(string? header)
    {
        header ??= string.Empty;
        if (header.Length > MaxHeaderLength)
        {
            return (null, $"The Upload-Metadata header is {header.Length} characters long; send at most {MaxHeaderLength} (the file name and a few short values).");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (header.Trim().Length == 0)
        {
            return (new UploadMetadata(header, values), null);
        }

        foreach (var pair in header.Split(','))
        {
            var parts = pair.Trim().Split(' ');
            var key = parts[0];
            if (key.Length == 0 || parts.Length > 2 || key.Any(c => char.IsControl(c) || c > '\x7e'))
            {
                return (null, $"The Upload-Metadata pair {UploadRefusal.Quote(pair)} is not 'key base64value': send comma-separated pairs of a key (printable ASCII, no spaces) and its base64 value.");
            }

            if (values.ContainsKey(key))
            {
                return (null, $"The Upload-Metadata key {UploadRefusal.Quote(key)} is sent more than once: send each key once.");
            }

            var value = string.Empty;
            if (parts.Length == 2)
            {
                try
                {
                    value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(parts[1]));
                }
                catch (Exception error) when (error is FormatException or ArgumentException)
                {
                    return (null, $"The Upload-Metadata value of {UploadRefusal.Quote(key)} is not base64 of UTF-8 text: encode it with base64 (tus clients do).");
                }
            }

            values[key] = value;
        }

        return (new UploadMetadata(header, values), null);
    }
}
