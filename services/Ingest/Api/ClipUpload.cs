using FacePipeline.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FacePipeline.Ingest.Api;

/// <summary>A rejected upload, with the HTTP status and a message for the studio.</summary>
public sealed class UploadRejectedException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>The request body could not be read as a form: the inner exception says where it broke.</summary>
internal sealed class UnreadableBodyException(Exception inner) : Exception(inner.Message, inner);

/// <summary>One uploaded file: the form part it came in, the studio's file name, where it is stored and its size.</summary>
public sealed record UploadedClip(string Part, string FileName, string StoredKey, long Bytes);

/// <summary>What a multipart job submission carried.</summary>
public sealed record ClipUploadResult(IReadOnlyDictionary<string, string> Fields, IReadOnlyList<UploadedClip> Clips)
{
    /// <summary>The clip sent in the part named <paramref name="part"/>, if any.</summary>
    public UploadedClip? Clip(string part) => Clips.FirstOrDefault(c => c.Part == part);
}

/// <summary>
/// Reads a multipart/form-data submission as a stream: each file part goes straight to the media
/// store in constant memory (64 KiB buffer), counted against the size limit; small text fields are
/// collected. Nothing is buffered whole, whatever the upload's size. File parts are accepted only
/// under the names the caller knows (e.g. 'clip', or 'source' and 'target'), once each; text fields only under the
/// names the request takes, once each. Anything else, and any body that is not a well-formed form, is refused with
/// a sentence (<see cref="UploadRejectedException"/>), and what was stored of it is deleted: nothing is ignored.
/// </summary>
public static class ClipUpload
{
    /// <summary>The longest text field, in characters.</summary>
    public const int MaxFieldLength = 1024;

    /// <summary>The most text fields a form may carry (more than any request takes: a form over it is refused, never cut).</summary>
    public const int MaxFields = 32;

    /// <summary>The longest file name kept with a job (the job store's column).</summary>
    public const int MaxFileNameLength = 255;

    /// <summary>RFC 2046: a boundary is 1 to 70 characters.</summary>
    public const int MaxBoundaryLength = 70;

    /// <summary>The most bytes of a part's headers, and of the body before the first boundary.</summary>
    public const int MaxHeadersBytes = 16 * 1024;

    private const int MaxHeadersPerPart = 16;

    /// <param name="request">The HTTP request.</param>
    /// <param name="store">Where the files go.</param>
    /// <param name="keyFor">The media key of a file part (part name, file extension), or null when the part name is not one the job takes.</param>
    /// <param name="fieldNames">The text fields the request takes (case-insensitive); any other is refused.</param>
    /// <param name="maxBytes">The size limit of each file.</param>
    /// <param name="cancellationToken">Aborts the upload (the files stored so far are deleted).</param>
    /// <param name="files">What the request's files are, for its refusals (default: a job's clips, "a 'clip' file part and a 'kind' field").</param>
    public static async Task<ClipUploadResult> ReadAsync(
        HttpRequest request,
        MediaStore store,
        Func<string, string, string?> keyFor,
        IReadOnlyCollection<string> fieldNames,
        long maxBytes,
        CancellationToken cancellationToken,
        string? files = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(keyFor);
        ArgumentNullException.ThrowIfNull(fieldNames);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ||
            !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new UploadRejectedException(StatusCodes.Status415UnsupportedMediaType, $"Send the {(files is null ? "job" : "request")} as multipart/form-data (with a boundary in its Content-Type header) with {files ?? "a 'clip' file part and a 'kind' field"}.");
        }

        if (boundary.Length > MaxBoundaryLength)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"The multipart boundary in the Content-Type header is {boundary.Length} characters long; a boundary has at most {MaxBoundaryLength} (RFC 2046): let your HTTP client choose it.");
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = MaxHeadersPerPart, HeadersLengthLimit = MaxHeadersBytes };
        var known = new HashSet<string>(fieldNames, StringComparer.OrdinalIgnoreCase);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var clips = new List<UploadedClip>();
        var parts = 0; // the parts whose headers were read
        string? current = null; // the part being read, once its headers are
        string? key = null;
        try
        {
            while (await Reading(() => reader.ReadNextSectionAsync(cancellationToken)) is { } section)
            {
                parts++;
                current = null;
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                    !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Part {parts} of the form has no 'Content-Disposition: form-data; name=\"…\"' header: every part of the form needs one.");
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
                if (name.Length == 0)
                {
                    throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Part {parts} of the form has no name: give every part a name (Content-Disposition: form-data; name=\"…\").");
                }

                current = name;
                if (disposition.IsFileDisposition())
                {
                    var part = name.ToLowerInvariant();
                    if (clips.Any(c => c.Part == part))
                    {
                        throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Send one file in the '{part}' part.");
                    }

                    var fileName = FileName(part, HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
                    key = keyFor(part, Extension(fileName))
                        ?? throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Unexpected file part {ApiProblems.Quote(part)}: send the clip as 'clip' (track), 'source' and 'target' (retarget), or 'clip-1' … 'clip-{ActorClips.MaxClips}' (actors).");
                    using var write = store.BeginWrite(key);
                    long bytes;
                    await using (var target = new FileStream(write.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    {
                        bytes = await CopyLimited(section.Body, target, maxBytes, cancellationToken);
                    }

                    write.Commit();
                    clips.Add(new UploadedClip(part, fileName, key, bytes));
                    key = null;
                    continue;
                }

                if (!known.Contains(name))
                {
                    throw new UploadRejectedException(StatusCodes.Status400BadRequest, keyFor(name.ToLowerInvariant(), ".bin") is not null
                        ? $"The part '{name.ToLowerInvariant()}' is a file: send it with a file name (Content-Disposition: form-data; name=\"{name.ToLowerInvariant()}\"; filename=\"…\")."
                        : $"Unknown field {ApiProblems.Quote(name)}. The fields of this request: {string.Join(", ", fieldNames)}.");
                }

                if (fields.ContainsKey(name))
                {
                    throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"The field {ApiProblems.Quote(name)} is sent more than once: send each field once.");
                }

                if (fields.Count >= MaxFields)
                {
                    throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"The form has more than {MaxFields} fields: send only the fields the request takes ({string.Join(", ", fieldNames)}).");
                }

                using var text = new StreamReader(section.Body);
                var buffer = new char[MaxFieldLength + 1];
                var read = await Reading(() => text.ReadBlockAsync(buffer, cancellationToken).AsTask());
                if (read > MaxFieldLength)
                {
                    throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"The field {ApiProblems.Quote(name)} is longer than {MaxFieldLength} characters: send its value alone.");
                }

                fields[name] = new string(buffer, 0, read).Trim();
            }
        }
        catch (Exception error)
        {
            foreach (var stored in clips.Select(c => c.StoredKey).Append(key).OfType<string>())
            {
                store.DeletePrefix(stored);
            }

            if (Refusal(error, boundary, parts, current) is { } refusal)
            {
                throw refusal;
            }

            throw;
        }

        if (clips.Count == 0 && !fields.Keys.Any(k => UploadReferences.Roles.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, files is null
                ? "The submission has no clip: add a file part named 'clip' (track) or 'source' and 'target' (retarget)."
                : $"The request has no file: send {files}.");
        }

        return new ClipUploadResult(fields, clips);
    }

    /// <summary>
    /// What the studio is told when the body could not be read as a form: where it broke and what to send instead;
    /// null for what is not the request's fault (the client went away, a server fault).
    /// </summary>
    private static UploadRejectedException? Refusal(Exception error, string boundary, int parts, string? part)
    {
        if (error is UploadRejectedException rejected)
        {
            return rejected;
        }

        if (error is not UnreadableBodyException { InnerException: { } cause })
        {
            return null; // the client went away, or a fault of the server (e.g. the media store's disk): not the studio's
        }

        var where = part is null ? $"part {parts}" : $"the part {ApiProblems.Quote(part)}";
        return cause switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new(StatusCodes.Status413PayloadTooLarge, "The request is larger than the service's upload limit: send a smaller clip."),
            BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => new(StatusCodes.Status408RequestTimeout, "The request body arrived too slowly and was given up: send it again on a better connection."),
            BadHttpRequestException => new(StatusCodes.Status400BadRequest, "The request body ended before its announced length (the upload was cut short): send it again."),

            // The reader found no boundary line at all, within the bytes it allows before the first part.
            InvalidDataException when parts == 0 && cause.Message.Contains("before the first boundary", StringComparison.Ordinal) =>
                new(StatusCodes.Status400BadRequest, $"The body does not start with the boundary '--{boundary}' from its Content-Type header (none in its first {MaxHeadersBytes / 1024} KiB): build the form with the boundary the header names."),
            InvalidDataException when cause.Message.Contains("count limit", StringComparison.Ordinal) =>
                new(StatusCodes.Status400BadRequest, $"Part {parts + 1} of the form has more than {MaxHeadersPerPart} header lines: send each part with its Content-Disposition (and Content-Type) only."),
            InvalidDataException when cause.Message.Contains("length limit", StringComparison.Ordinal) =>
                new(StatusCodes.Status400BadRequest, $"The headers of part {parts + 1} of the form are longer than {MaxHeadersBytes / 1024} KiB (a file name that long?): keep file names to {MaxFileNameLength} characters."),
            InvalidDataException => new(StatusCodes.Status400BadRequest, $"Part {parts + 1} of the form is malformed ({cause.Message.TrimEnd('.')}): send a well-formed multipart/form-data body, as an HTTP client builds it."),

            // The stream ended where the reader still expected a boundary.
            IOException when parts == 0 =>
                new(StatusCodes.Status400BadRequest, $"The body never reaches the boundary '--{boundary}' named in its Content-Type header, so it holds no part: build the form with that boundary."),
            IOException =>
                new(StatusCodes.Status400BadRequest, $"The body ends inside {where}, without the closing boundary '--{boundary}--': send the whole form (the upload may have been cut short)."),
            _ => null,
        };
    }

    /// <summary>A read of the request body, whose failure (a malformed form, a body cut short) is the request's, told apart from the media store's.</summary>
    private static async Task<T> Reading<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            throw new UnreadableBodyException(error);
        }
    }

    private static async Task<long> CopyLimited(Stream source, Stream target, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await Reading(() => source.ReadAsync(buffer, cancellationToken).AsTask())) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new UploadRejectedException(
                    StatusCodes.Status413PayloadTooLarge,
                    $"The clip is larger than the limit of {(maxBytes >= 1 << 20 ? $"{maxBytes / (1 << 20)} MiB" : $"{maxBytes} bytes")}: trim it or lower its resolution before uploading.");
            }

            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }

    /// <summary>The studio's file name as it is kept: without folders, control characters and quotes; refused when longer than <see cref="MaxFileNameLength"/>.</summary>
    private static string FileName(string part, string? name)
    {
        var leaf = Path.GetFileName(name ?? string.Empty);
        var clean = new string([.. leaf.Where(c => !char.IsControl(c) && c is not ('/' or '\\' or '"'))]);
        if (clean.Length > MaxFileNameLength)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"The file name of the '{part}' part is {clean.Length} characters long: rename the file to at most {MaxFileNameLength} characters.");
        }

        return clean.Length == 0 ? "clip" : clean;
    }

    /// <summary>The upload's extension, if it is a plain one (".mp4"); the content decides what it is, not the name.</summary>
    private static string Extension(string fileName)
    {
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        return ext.Length is > 1 and <= 8 && ext.Skip(1).All(char.IsAsciiLetterOrDigit) ? ext : ".bin";
    }
}
