using System.Text.Json;
using FacePipeline.Persistence;
using FacePipeline.Storage;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// Where an upload lives in the media store: one folder per upload, <c>uploads/&lt;tenant&gt;/&lt;upload&gt;/</c>, holding the
/// file itself under its (safe) name, which <see cref="Upload.Key"/> names and jobs read once the upload is complete,
/// and <c>.upload.json</c>, the metadata the client declared (a file name never starts with '.', so the two never meet).
/// The file only grows by appends; its bytes beyond the recorded offset are a PATCH that never committed and are cut.
/// </summary>
public sealed class UploadFiles(MediaStore store)
{
    private const string SidecarName = ".upload.json";

    /// <summary>The folder of an upload: everything of it, deleted as one.</summary>
    public static string Folder(Guid tenantId, Guid uploadId) => $"uploads/{tenantId:N}/{uploadId:N}";

    /// <summary>The key of an upload's file (<see cref="Upload.Key"/>).</summary>
    public static string FileKey(Guid tenantId, Guid uploadId, string fileName) => $"{Folder(tenantId, uploadId)}/{UploadFileNames.KeySegment(fileName)}";

    /// <summary>Creates the upload's folder with its empty file and its metadata.</summary>
    public async Task CreateAsync(Upload upload, UploadMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(metadata);
        await store.WriteAsync(Sidecar(upload), (stream, ct) => JsonSerializer.SerializeAsync(stream, new UploadSidecar(metadata.Header), cancellationToken: ct), cancellationToken);
        await using var file = new FileStream(store.PathFor(upload.Key), FileMode.Create, FileAccess.Write, FileShare.Read);
    }

    /// <summary>The Upload-Metadata header the client sent at creation (empty when none, or when the metadata file is gone).</summary>
    public async Task<string> MetadataHeaderAsync(Upload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var key = Sidecar(upload);
        if (!store.Exists(key))
        {
            return string.Empty;
        }

        await using var stream = store.OpenRead(key);
        return (await JsonSerializer.DeserializeAsync<UploadSidecar>(stream, cancellationToken: cancellationToken))?.Metadata ?? string.Empty;
    }

    /// <summary>
    /// Opens the upload's file to append at <see cref="Upload.Offset"/>: bytes beyond it (a PATCH cut off before its offset
    /// was recorded) are cut. Returns the stream positioned at the end, and the file's length if it was shorter than the
    /// recorded offset (bytes lost with the disk: the offset must come back to it), else null.
    /// </summary>
    public (FileStream File, long? ShortLength) OpenForAppend(Upload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var path = store.PathFor(upload.Key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Unbuffered: the caller copies through a buffer of its own, and each write reaches the file as it is made.
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0, useAsync: true);
        long? shortLength = null;
        if (file.Length > upload.Offset)
        {
            file.SetLength(upload.Offset);
        }
        else if (file.Length < upload.Offset)
        {
            shortLength = file.Length;
        }

        file.Position = file.Length;
        return (file, shortLength);
    }

    /// <summary>Deletes everything of the upload (idempotent), and says what it removed.</summary>
    public MediaRemoval Delete(Upload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return store.DeleteTree(Folder(upload.TenantId, upload.Id));
    }

    private static string Sidecar(Upload upload) => $"{Folder(upload.TenantId, upload.Id)}/{SidecarName}";

    private sealed record UploadSidecar(string Metadata);
}
