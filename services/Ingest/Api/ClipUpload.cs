using FacePipeline.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FacePipeline.Ingest.Api;

/// <summary>A rejected upload, with the HTTP status and a message for the studio.</summary>
public sealed class UploadRejectedException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>What a multipart job submission carried.</summary>
public sealed record ClipUploadResult(IReadOnlyDictionary<string, string> Fields, string FileName, string StoredKey, long Bytes);

/// <summary>
/// Reads a multipart/form-data submission as a stream: the one file part goes straight to the
/// media store in constant memory (64 KiB buffer), counted against the size limit; small text
/// fields are collected. Nothing is buffered whole, whatever the upload's size.
/// </summary>
public static class ClipUpload
{
    private const int MaxFieldLength = 1024;
    private const int MaxFields = 16;

    public static async Task<ClipUploadResult> ReadAsync(
        HttpRequest request,
        MediaStore store,
        Func<string, string> keyForExtension,
        long maxBytes,
        CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ||
            !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new UploadRejectedException(StatusCodes.Status415UnsupportedMediaType, "Send the job as multipart/form-data with a 'clip' file part and a 'kind' field.");
        }

        var reader = new MultipartReader(boundary, request.Body);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? fileName = null, key = null;
        long bytes = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
                if (disposition.IsFileDisposition())
                {
                    if (key is not null)
                    {
                        throw new UploadRejectedException(StatusCodes.Status400BadRequest, "Send exactly one clip per job.");
                    }

                    fileName = SafeFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
                    key = keyForExtension(Extension(fileName));
                    using var write = store.BeginWrite(key);
                    await using (var target = new FileStream(write.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    {
                        bytes = await CopyLimited(section.Body, target, maxBytes, cancellationToken);
                    }

                    write.Commit();
                }
                else if (fields.Count < MaxFields)
                {
                    using var text = new StreamReader(section.Body);
                    var buffer = new char[MaxFieldLength + 1];
                    var read = await text.ReadBlockAsync(buffer, cancellationToken);
                    if (read > MaxFieldLength)
                    {
                        throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Field '{name}' is too long.");
                    }

                    fields[name] = new string(buffer, 0, read).Trim();
                }
            }
        }
        catch (Exception) when (key is not null)
        {
            store.DeletePrefix(key);
            throw;
        }

        if (key is null || fileName is null)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The submission has no clip: add a file part named 'clip'.");
        }

        return new ClipUploadResult(fields, fileName, key, bytes);
    }

    private static async Task<long> CopyLimited(Stream source, Stream target, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new UploadRejectedException(StatusCodes.Status413PayloadTooLarge, $"The clip is larger than the limit of {maxBytes / (1024 * 1024)} MiB.");
            }

            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }

    private static string SafeFileName(string? name)
    {
        var leaf = Path.GetFileName(name ?? string.Empty);
        var clean = new string([.. leaf.Where(c => !char.IsControl(c) && c is not ('/' or '\\' or '"'))]);
        return clean.Length switch { 0 => "clip", > 200 => clean[..200], _ => clean };
    }

    /// <summary>The upload's extension, if it is a plain one (".mp4"); the content decides what it is, not the name.</summary>
    private static string Extension(string fileName)
    {
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        return ext.Length is > 1 and <= 8 && ext.Skip(1).All(char.IsAsciiLetterOrDigit) ? ext : ".bin";
    }
}
