using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>What a tus creation (POST) says in its headers: the length (or its deferral) and the metadata.</summary>
/// <param name="Length">Upload-Length.</param>
/// <param name="DeferLength">Upload-Defer-Length.</param>
/// <param name="Metadata">Upload-Metadata.</param>
public sealed record UploadCreationHeaders(string? Length, string? DeferLength, string? Metadata);

/// <summary>What a request that carries upload bytes (a PATCH, or a POST with creation-with-upload) says in its headers.</summary>
/// <param name="ContentType">Content-Type.</param>
/// <param name="Offset">Upload-Offset.</param>
/// <param name="Length">Upload-Length (a deferred length, declared once).</param>
/// <param name="ContentLength">Content-Length, when the body's size is announced.</param>
/// <param name="Checksum">Upload-Checksum.</param>
public sealed record UploadPatchHeaders(string? ContentType, string? Offset, string? Length, long? ContentLength, string? Checksum);

/// <summary>A creation the rules accept: the declared length (null: deferred), the metadata and the file name.</summary>
public sealed record UploadCreationPlan(long? Length, UploadMetadata Metadata, string FileName);

/// <summary>
/// A PATCH the rules accept: its bytes go at <paramref name="Offset"/>, at most <paramref name="MaxBodyBytes"/> of them;
/// <paramref name="Length"/> is the upload's length (known, or declared by this PATCH; null while deferred);
/// <paramref name="Checksum"/> the digest its body must have, if any.
/// </summary>
public sealed record UploadPatchPlan(long Offset, long MaxBodyBytes, long? Length, UploadChecksum? Checksum);

/// <summary>
/// The rules of tus' requests on an upload's state, as pure functions of their headers: what a creation may declare
/// (against the size limit, Tus-Max-Size), and what a PATCH may append where. The first rule broken is the refusal.
/// </summary>
public static class UploadRules
{
    /// <summary>The creation's length and metadata, or the refusal: 400 for a malformed header or no file name, 413 over the limit.</summary>
    public static (UploadCreationPlan? Plan, UploadRefusal? Refusal) Creation(UploadCreationHeaders headers, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(headers);
        long? length = null;
        if (headers.Length is not null && headers.DeferLength is not null)
        {
            return (null, BadRequest("Send either Upload-Length (the file's size in bytes) or Upload-Defer-Length: 1, not both."));
        }

        if (headers.DeferLength is not null)
        {
            if (headers.DeferLength != "1")
            {
                return (null, BadRequest($"Upload-Defer-Length can only be 1 (got {UploadRefusal.Quote(headers.DeferLength)}): send 1 to declare the length in a later PATCH."));
            }
        }
        else if (headers.Length is null)
        {
            return (null, BadRequest("Send Upload-Length with the file's size in bytes (or Upload-Defer-Length: 1 when it is not known yet)."));
        }
        else if (!TusProtocol.TryParseByteCount(headers.Length, out var declared))
        {
            return (null, BadRequest($"Upload-Length must be the file's size as a whole number of bytes (got {UploadRefusal.Quote(headers.Length)})."));
        }
        else if (TooLarge(declared, maxBytes) is { } tooLarge)
        {
            return (null, tooLarge);
        }
        else
        {
            length = declared;
        }

        var (metadata, metadataProblem) = UploadMetadata.Parse(headers.Metadata);
        if (metadata is null)
        {
            return (null, BadRequest(metadataProblem!));
        }

        var (fileName, nameProblem) = UploadFileNames.Clean(metadata[UploadMetadata.FileNameKey]);
        return fileName is null ? (null, BadRequest(nameProblem!)) : (new UploadCreationPlan(length, metadata, fileName), null);
    }

    /// <summary>
    /// Where a PATCH's bytes go on <paramref name="upload"/> (its offset and length as the server holds them), or the
    /// refusal: 415 for another content type, 400 for a malformed header or a changed length, 409 when Upload-Offset is
    /// not the server's offset, 413 when the body or a declared length goes past the upload's length or the limit.
    /// </summary>
    public static (UploadPatchPlan? Plan, UploadRefusal? Refusal) Patch(Guid uploadId, long offset, long? length, UploadPatchHeaders headers, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!IsOffsetOctetStream(headers.ContentType))
        {
            return (null, new UploadRefusal(StatusCodes.Status415UnsupportedMediaType,
                $"Send the upload's bytes with Content-Type: {TusProtocol.OffsetOctetStream} (got {UploadRefusal.Quote(headers.ContentType)})."));
        }

        if (!TusProtocol.TryParseByteCount(headers.Offset, out var clientOffset))
        {
            return (null, BadRequest(headers.Offset is null
                ? $"Send Upload-Offset with the offset the bytes start at (the upload is at {offset}: HEAD tells it)."
                : $"Upload-Offset must be a whole number of bytes (got {UploadRefusal.Quote(headers.Offset)})."));
        }

        if (clientOffset != offset)
        {
            return (null, new UploadRefusal(StatusCodes.Status409Conflict,
                $"Upload {uploadId} is at offset {offset}, not {clientOffset}: send HEAD and resume from its Upload-Offset."));
        }

        long? declared = null;
        if (headers.Length is not null)
        {
            if (!TusProtocol.TryParseByteCount(headers.Length, out var value))
            {
                return (null, BadRequest($"Upload-Length must be the file's size as a whole number of bytes (got {UploadRefusal.Quote(headers.Length)})."));
            }

            if (length is not null && value != length)
            {
                return (null, BadRequest($"Upload {uploadId} was created with Upload-Length {length}; a length cannot change: send the file it was created for, or create a new upload."));
            }

            if (value < offset)
            {
                return (null, BadRequest($"Upload-Length {value} is less than the {offset} bytes already received: declare the file's whole size."));
            }

            if (TooLarge(value, maxBytes) is { } tooLarge)
            {
                return (null, tooLarge);
            }

            declared = length is null ? value : null;
        }

        var (checksum, checksumProblem) = UploadChecksum.Parse(headers.Checksum);
        if (checksumProblem is not null)
        {
            return (null, BadRequest(checksumProblem));
        }

        var end = length ?? declared ?? maxBytes;
        var room = end - offset;
        if (headers.ContentLength is { } bodyBytes && bodyBytes > room)
        {
            return (null, BodyTooLarge(offset, room, length ?? declared));
        }

        return (new UploadPatchPlan(offset, room, length ?? declared, checksum), null);
    }

    /// <summary>The refusal of a body that carried more than <paramref name="room"/> bytes from <paramref name="offset"/>.</summary>
    public static UploadRefusal BodyTooLarge(long offset, long room, long? length) =>
        new(StatusCodes.Status413PayloadTooLarge, length is null
            ? $"The bytes from offset {offset} go past the upload limit ({room} more bytes at most): the file is too large to upload."
            : $"The upload is {length} bytes long, so it takes at most {room} more bytes from offset {offset}: send only the rest of the file.");

    /// <summary>Whether a Content-Type is tus' <c>application/offset+octet-stream</c> (parameters aside).</summary>
    public static bool IsOffsetOctetStream(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(TusProtocol.OffsetOctetStream, StringComparison.OrdinalIgnoreCase);

    private static UploadRefusal? TooLarge(long declared, long maxBytes) =>
        declared <= maxBytes ? null : new UploadRefusal(StatusCodes.Status413PayloadTooLarge,
            $"The upload's length of {declared} bytes is over the limit of {maxBytes} bytes (Tus-Max-Size): trim the clip or lower its resolution before uploading.");

    private static UploadRefusal BadRequest(string sentence) => new(StatusCodes.Status400BadRequest, sentence);
}
