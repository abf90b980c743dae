using System.Security.Cryptography;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// The Upload-Checksum header of a PATCH (tus' checksum extension): the name of an algorithm and the base64 digest of
/// the request's body, separated by a space (<c>sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=</c>). The body's bytes are kept only
/// when their digest matches.
/// </summary>
public sealed class UploadChecksum
{
    private static readonly Dictionary<string, (HashAlgorithmName Name, int Bytes)> Supported = new(StringComparer.Ordinal)
    {
        ["sha1"] = (HashAlgorithmName.SHA1, 20),
        ["sha256"] = (HashAlgorithmName.SHA256, 32),
        ["md5"] = (HashAlgorithmName.MD5, 16),
    };

    private UploadChecksum(string algorithm, byte[] digest)
    {
        Algorithm = algorithm;
        Digest = digest;
    }

    /// <summary>The algorithms supported, as Tus-Checksum-Algorithm lists them.</summary>
    public static string Algorithms { get; } = string.Join(",", Supported.Keys);

    /// <summary>The algorithm's name as sent (lower case).</summary>
    public string Algorithm { get; }

    /// <summary>The digest the body must have.</summary>
    public ReadOnlyMemory<byte> Digest { get; }

    /// <summary>
    /// Parses <paramref name="header"/>: null and no problem when it is absent; else the checksum, or a sentence (the
    /// request is refused with 400: an algorithm that is not supported, a digest that is not base64 of its size).
    /// </summary>
    public static (UploadChecksum? Checksum, string? Problem) Parse(string? header)
    {
        if (header is null)
        {
            return (null, null);
        }

        var parts = header.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
        {
            return (null, $"Upload-Checksum must be an algorithm and a base64 digest separated by a space (e.g. 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0='), not {UploadRefusal.Quote(header)}.");
        }

        if (!Supported.TryGetValue(parts[0], out var algorithm))
        {
            return (null, $"The checksum algorithm {UploadRefusal.Quote(parts[0])} is not supported: use one of {Algorithms} (Tus-Checksum-Algorithm).");
        }

        var digest = new byte[algorithm.Bytes];
        if (!Convert.TryFromBase64String(parts[1], digest, out var written) || written != algorithm.Bytes)
        {
            return (null, $"The {parts[0]} digest in Upload-Checksum is not base64 of {algorithm.Bytes} bytes: send the body's {parts[0]} digest in base64.");
        }

        return (new UploadChecksum(parts[0], digest), null);
    }

    /// <summary>A hash of the algorithm, to feed with the body as it arrives.</summary>
    public IncrementalHash NewHash() => IncrementalHash.CreateHash(Supported[Algorithm].Name);

    /// <summary>Whether <paramref name="digest"/> (of the body received) is the one announced.</summary>
    public bool Matches(ReadOnlySpan<byte> digest) => CryptographicOperations.FixedTimeEquals(digest, Digest.Span);
}
