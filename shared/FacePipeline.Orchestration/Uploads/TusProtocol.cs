using System.Globalization;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// The tus resumable-upload protocol, version 1.0.0 (https://tus.io/protocols/resumable-upload): its headers, the
/// extensions this server implements, its own status code, and the parsing of its plain header values.
/// </summary>
public static class TusProtocol
{
    /// <summary>The only protocol version spoken (Tus-Resumable, Tus-Version).</summary>
    public const string Version = "1.0.0";

    /// <summary>The extensions implemented, as Tus-Extension lists them.</summary>
    public const string Extensions = "creation,creation-with-upload,termination,checksum,expiration";

    /// <summary>The content type of every body that carries upload bytes (PATCH, and a POST with creation-with-upload).</summary>
    public const string OffsetOctetStream = "application/offset+octet-stream";

    /// <summary>tus' own status: the body's checksum differs from its Upload-Checksum header; its bytes were not kept.</summary>
    public const int ChecksumMismatch = 460;

    public const string ResumableHeader = "Tus-Resumable";
    public const string VersionHeader = "Tus-Version";
    public const string ExtensionHeader = "Tus-Extension";
    public const string MaxSizeHeader = "Tus-Max-Size";
    public const string ChecksumAlgorithmHeader = "Tus-Checksum-Algorithm";
    public const string OffsetHeader = "Upload-Offset";
    public const string LengthHeader = "Upload-Length";
    public const string DeferLengthHeader = "Upload-Defer-Length";
    public const string MetadataHeader = "Upload-Metadata";
    public const string ChecksumHeader = "Upload-Checksum";
    public const string ExpiresHeader = "Upload-Expires";

    /// <summary>The header that stands for the request's method, for clients that cannot send PATCH or DELETE.</summary>
    public const string MethodOverrideHeader = "X-HTTP-Method-Override";

    /// <summary>
    /// A byte count or offset as tus headers carry it: a non-negative decimal integer, digits only (no sign, no
    /// spaces, no exponent). False for anything else, including a value beyond <see cref="long.MaxValue"/>.
    /// </summary>
    public static bool TryParseByteCount(string? value, out long count)
    {
        count = 0;
        return !string.IsNullOrEmpty(value) && value.All(char.IsAsciiDigit)
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count);
    }

    /// <summary>A date as Upload-Expires carries it: RFC 9110's IMF-fixdate, e.g. <c>Sun, 06 Nov 1994 08:49:37 GMT</c>.</summary>
    public static string HttpDate(DateTimeOffset when) => when.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="value"/> is the version this server speaks (the Tus-Resumable header of a request).</summary>
    public static bool IsSupportedVersion(string? value) => value == Version;
}
