using FacePipeline.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FacePipeline.Ingest.Api;

/// <summary>A rejected upload, with the HTTP status and a message for the studio.</summary>
public sealed class UploadRejectedException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

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
/// under the names the caller knows (e.g. 'clip', or 'source' and 'target'), once each.
/// </summary>
public static class ClipUpload
{
    private const int MaxFieldLength = 1024;
    private const int MaxFields = 16;

    /// <param name="request">The HTTP request.</param>
    /// <param name="store">Where the files go.</param>
    /// <param name="keyFor">The media key of a file part (part name, file extension), or null when the part name is not one the job takes.</param>
    /// <param name="maxBytes">The size limit of each file.</param>
    /// <param name="cancellationToken">Aborts the upload (the files stored so far are deleted).</param>
    public static async Task<ClipUploadResult> ReadAsync(
        HttpRequest request,
        MediaStore store,
        Func<string, string, string?> keyFor,
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
        var clips = new List<UploadedClip>();
        string? key = null;
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
                    var part = name.ToLowerInvariant();
                    if (clips.Any(c => c.Part == part))
                    {
                        throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Send one file in the '{part}' part.");
                    }

                    var fileName = SafeFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
                    key = keyFor(part, Extension(fileName))
                        ?? throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"Unexpected file part '{part}': send the clip as 'clip' (track), 'source' and 'target' (retarget), or 'clip-1' … 'clip-{ActorClips.MaxClips}' (actors).");
                    using var write = store.BeginWrite(key);
                    long bytes;
                    await using (var target = new FileStream(write.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    {
                        bytes = await CopyLimited(section.Body, target, maxBytes, cancellationToken);
                    }

                    write.Commit();
                    clips.Add(new UploadedClip(part, fileName, key, bytes));
                    key = null;
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
        catch (Exception)
        {
            foreach (var stored in clips.Select(c => c.StoredKey).Append(key).OfType<string>())
            {
                store.DeletePrefix(stored);
            }

            throw;
        }

        if (clips.Count == 0)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The submission has no clip: add a file part named 'clip' (track) or 'source' and 'target' (retarget).");
        }

        return new ClipUploadResult(fields, clips);
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
