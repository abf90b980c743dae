using System.Text;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// The file name of an upload (its <c>filename</c> metadata), kept as the job's input name the way a multipart
/// submission keeps it: the last path segment only, without control characters and quotes, at most
/// <see cref="MaxLength"/> characters; and the media-key segment the file is stored under.
/// </summary>
public static class UploadFileNames
{
    /// <summary>The longest file name kept (the job store's column).</summary>
    public const int MaxLength = 255;

    /// <summary>The longest file name segment of a media key (the extension kept).</summary>
    public const int MaxKeySegmentLength = 100;

    /// <summary>The file name as it is kept, or null and a sentence when there is none or it is too long.</summary>
    public static (string? FileName, string? Problem) Clean(string? name)
    {
        var leaf = (name ?? string.Empty).Replace('\\', '/');
        leaf = leaf[(leaf.LastIndexOf('/') + 1)..];
        var clean = new string([.. leaf.Where(c => !char.IsControl(c) && c != '"')]).Trim();
        if (clean.Length == 0)
        {
            return (null, $"The upload has no file name: send it in Upload-Metadata as 'filename <base64 of the name>' (e.g. filename {Convert.ToBase64String(Encoding.UTF8.GetBytes("take1.mp4"))} for take1.mp4).");
        }

        if (clean.Length > MaxLength)
        {
            return (null, $"The file name is {clean.Length} characters long: rename the file to at most {MaxLength} characters.");
        }

        return (clean, null);
    }

    /// <summary>
    /// <paramref name="fileName"/> as one segment of a media key: ASCII letters, digits, '-', '_' and '.', every other
    /// character '_', never starting with '.' (the upload's own files do), at most <see cref="MaxKeySegmentLength"/>
    /// characters with the extension kept; <c>upload</c> when nothing is left.
    /// </summary>
    public static string KeySegment(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var safe = new string([.. fileName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]).TrimStart('.');
        if (safe.Length > MaxKeySegmentLength)
        {
            var extension = Path.GetExtension(safe);
            extension = extension.Length <= 16 ? extension : string.Empty;
            safe = safe[..(MaxKeySegmentLength - extension.Length)] + extension;
        }

        return safe.Length == 0 ? "upload" : safe;
    }
}
