using FacePipeline.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>An upload as a studio sees it: its row, the metadata it was created with, and whether it has expired.</summary>
public sealed record UploadStatus(Upload Upload, string MetadataHeader, bool Expired)
{
    /// <summary>Whether every byte has arrived.</summary>
    public bool Completed => Upload.CompletedAt is not null;
}

/// <summary>
/// What a request that carried upload bytes did: the upload afterwards (its offset, length and expiry), the bytes
/// stored and where they started; or why it was refused. <see cref="Interrupted"/>: the body ended early (the client
/// went away or cut it short); the bytes that arrived are kept unless a checksum was announced.
/// </summary>
public sealed record UploadAppendResult(Upload? Upload, long StartOffset, long BytesStored, bool Interrupted, UploadRefusal? Refusal);

/// <summary>
/// The studios' resumable uploads (the tus protocol's state, docs/uploads.md): creating one, appending a request's
/// bytes at the server's offset, reading and deleting one; the HTTP layer only maps headers to these calls and their
/// results to answers. A studio only ever sees its own uploads. Bytes go from the request to the file through a 64 KiB
/// buffer, whatever the size of a PATCH. An upload's file and its recorded offset agree after any crash: the offset is
/// recorded only after the bytes are flushed to disk, and each append first cuts what lies beyond the recorded offset.
/// </summary>
public sealed class ResumableUploads(
    IDbContextFactory<JobsDbContext> dbFactory,
    UploadFiles files,
    IOptions<UploadOptions> options,
    TimeProvider clock,
    ILogger<ResumableUploads> logger)
{
    private const int BufferBytes = 1 << 16;

    /// <summary>The upload settings in force.</summary>
    public UploadOptions Options => options.Value;

    /// <summary>
    /// Creates an upload for <paramref name="tenantId"/> as a tus POST declares it: a row, an empty file and its
    /// metadata; then, when the POST carries bytes (creation-with-upload: Content-Type application/offset+octet-stream),
    /// appends them as a PATCH at offset 0 would. Refused, with nothing left, for a malformed header, no file name, a
    /// length over <paramref name="maxBytes"/>, or bytes refused (their checksum, their size).
    /// </summary>
    public async Task<UploadAppendResult> CreateAsync(
        Guid tenantId, UploadCreationHeaders creation, UploadPatchHeaders content, Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var withBytes = UploadRules.IsOffsetOctetStream(content.ContentType);
        if (!withBytes && content.ContentLength is > 0)
        {
            return Refused(StatusCodes.Status415UnsupportedMediaType,
                $"A POST carries the upload's first bytes only with Content-Type: {TusProtocol.OffsetOctetStream} (got {UploadRefusal.Quote(content.ContentType)}): send them so, or in a PATCH.");
        }

        var (plan, refusal) = UploadRules.Creation(creation, maxBytes);
        if (plan is null)
        {
            return Refused(refusal!.Status, refusal.Sentence);
        }

        var upload = await InsertAsync(tenantId, plan, cancellationToken);
        if (!withBytes)
        {
            return new UploadAppendResult(upload, 0, 0, false, null);
        }

        var appended = await AppendAsync(tenantId, upload.Id, content with { Offset = "0", Length = null }, body, maxBytes, cancellationToken);
        if (appended.Refusal is not null)
        {
            await DeleteAsync(tenantId, upload.Id, CancellationToken.None);
        }

        return appended;
    }

    /// <summary>The studio's upload, or null when it has none with this id (another studio's included).</summary>
    public async Task<UploadStatus?> FindAsync(Guid tenantId, Guid uploadId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var upload = await db.Uploads.AsNoTracking().SingleOrDefaultAsync(u => u.Id == uploadId && u.TenantId == tenantId, cancellationToken);
        return upload is null ? null : new UploadStatus(upload, await files.MetadataHeaderAsync(upload, cancellationToken), IsExpired(upload));
    }

    /// <summary>The studio's uploads that have not expired, newest first (without their metadata).</summary>
    public async Task<IReadOnlyList<UploadStatus>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var uploads = await db.Uploads.AsNoTracking().Where(u => u.TenantId == tenantId && u.ExpiresAt > now).OrderByDescending(u => u.CreatedAt).ToListAsync(cancellationToken);
        return [.. uploads.Select(u => new UploadStatus(u, string.Empty, Expired: false))];
    }

    /// <summary>
    /// Appends <paramref name="body"/> to the studio's upload, at the offset its headers name, under the upload's lock:
    /// refused with 404 (no such upload), 410 (expired), 409 (another request is writing it, or the offset is not the
    /// server's), 400/413/415 (<see cref="UploadRules.Patch"/>); 460 when the body's checksum differs (its bytes are cut
    /// again). A body that ends early keeps the bytes that arrived, so the client resumes from there.
    /// </summary>
    public async Task<UploadAppendResult> AppendAsync(Guid tenantId, Guid uploadId, UploadPatchHeaders headers, Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var held = await UploadLock.TryTakeAsync(db, uploadId, cancellationToken);
        var upload = await db.Uploads.SingleOrDefaultAsync(u => u.Id == uploadId && u.TenantId == tenantId, cancellationToken);
        if (upload is null)
        {
            return Refused(StatusCodes.Status404NotFound, $"No upload {uploadId}.");
        }

        if (held is null)
        {
            return Refused(StatusCodes.Status409Conflict, $"Upload {uploadId} is receiving another request's bytes right now: let that request end, then send HEAD and resume from its Upload-Offset.");
        }

        if (IsExpired(upload))
        {
            return Refused(StatusCodes.Status410Gone, Expired(upload));
        }

        var (file, shortLength) = files.OpenForAppend(upload);
        await using (file)
        {
            if (shortLength is { } length)
            {
                logger.LogWarning("Upload {UploadId}: the file holds {FileLength} bytes, less than the recorded offset {Offset}; the offset goes back to the file's length", uploadId, length, upload.Offset);
                upload.Offset = length;
                await db.SaveChangesAsync(CancellationToken.None);
            }

            var (plan, refusal) = UploadRules.Patch(uploadId, upload.Offset, upload.Length, headers, maxBytes);
            if (plan is null)
            {
                return Refused(refusal!.Status, refusal.Sentence);
            }

            var copy = await CopyAsync(body, file, plan, cancellationToken);
            var kept = copy.Refusal is null && !(copy.Interrupted && plan.Checksum is not null);
            if (!kept)
            {
                file.SetLength(plan.Offset); // a checksum that does not match, or cannot be checked: none of the bytes stay
            }

            await file.FlushAsync(CancellationToken.None);
            file.Flush(flushToDisk: true);
            if (copy.Refusal is { } bad)
            {
                return Refused(bad.Status, bad.Sentence);
            }

            // Recorded whatever became of the request (the client may be gone): the file and the row agree from here on.
            var stored = kept ? copy.Bytes : 0;
            var now = clock.GetUtcNow();
            upload.Length = plan.Length;
            upload.Offset = plan.Offset + stored;
            if (upload.CompletedAt is null)
            {
                // An incomplete upload expires IncompleteExpiry after its last request; a complete one CompletedRetention
                // after its last byte (an empty PATCH of a complete upload does not keep it longer).
                upload.CompletedAt = upload.Offset == upload.Length ? now : null;
                upload.ExpiresAt = Options.ExpiryAfter(now, upload.CompletedAt is not null);
            }

            await db.SaveChangesAsync(CancellationToken.None);
            logger.LogInformation(
                "Upload {UploadId}: {Bytes} byte(s) stored from offset {StartOffset}, now at {Offset} of {Length}{Outcome}",
                uploadId, stored, plan.Offset, upload.Offset, upload.Length?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "a deferred length",
                upload.CompletedAt is not null ? " (complete)" : copy.Interrupted ? $" (the request ended early after {copy.Bytes} byte(s))" : string.Empty);
            return new UploadAppendResult(upload, plan.Offset, stored, copy.Interrupted, null);
        }
    }

    /// <summary>Deletes the studio's upload, row and bytes (tus' termination): false when it has none with this id; null when a request is writing it.</summary>
    public async Task<bool?> DeleteAsync(Guid tenantId, Guid uploadId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var held = await UploadLock.TryTakeAsync(db, uploadId, cancellationToken);
        var upload = await db.Uploads.SingleOrDefaultAsync(u => u.Id == uploadId && u.TenantId == tenantId, cancellationToken);
        if (upload is null)
        {
            return false;
        }

        if (held is null)
        {
            return null;
        }

        var removed = files.Delete(upload);
        db.Uploads.Remove(upload);
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Upload {UploadId} deleted at the studio's request: {Files} file(s), {Bytes} bytes", uploadId, removed.Files, removed.Bytes);
        return true;
    }

    /// <summary>The sentence of an expired upload's 410.</summary>
    public string Expired(Upload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return upload.CompletedAt is null
            ? $"Upload {upload.Id} expired on {TusProtocol.HttpDate(upload.ExpiresAt)}, {Options.IncompleteExpiry} after its last bytes, before it was complete: upload the file again."
            : $"Upload {upload.Id} expired on {TusProtocol.HttpDate(upload.ExpiresAt)}, {Options.CompletedRetention} after it was completed: upload the file again.";
    }

    private async Task<Upload> InsertAsync(Guid tenantId, UploadCreationPlan plan, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var id = Guid.NewGuid();
        var upload = new Upload
        {
            Id = id,
            TenantId = tenantId,
            FileName = plan.FileName,
            Key = UploadFiles.FileKey(tenantId, id, plan.FileName),
            Length = plan.Length,
            CreatedAt = now,
            CompletedAt = plan.Length == 0 ? now : null,
            ExpiresAt = Options.ExpiryAfter(now, completed: plan.Length == 0),
        };
        try
        {
            await files.CreateAsync(upload, plan.Metadata, cancellationToken);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.Uploads.Add(upload);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch
        {
            files.Delete(upload);
            throw;
        }

        logger.LogInformation("Upload {UploadId} created: {FileName}, {Length} bytes", id, upload.FileName, upload.Length?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "deferred");
        return upload;
    }

    private bool IsExpired(Upload upload) => upload.ExpiresAt <= clock.GetUtcNow();

    private static UploadAppendResult Refused(int status, string sentence) => new(null, 0, 0, false, new UploadRefusal(status, sentence));

    /// <summary>
    /// Copies the body to the file through one buffer, at most <see cref="UploadPatchPlan.MaxBodyBytes"/> bytes, hashing
    /// it when a checksum was announced. A body that cannot be read further (the client went away, the connection
    /// broke, the body was cut short) ends the copy as interrupted; a failure to write is the server's and is thrown.
    /// </summary>
    private static async Task<(long Bytes, bool Interrupted, UploadRefusal? Refusal)> CopyAsync(Stream body, FileStream file, UploadPatchPlan plan, CancellationToken cancellationToken)
    {
        using var hash = plan.Checksum?.NewHash();
        var buffer = new byte[BufferBytes];
        long total = 0;
        while (true)
        {
            int read;
            try
            {
                read = await body.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception error) when (error is IOException or OperationCanceledException or BadHttpRequestException)
            {
                return (total, true, null);
            }

            if (read == 0)
            {
                break;
            }

            if (total + read > plan.MaxBodyBytes)
            {
                return (total, false, UploadRules.BodyTooLarge(plan.Offset, plan.MaxBodyBytes, plan.Length));
            }

            hash?.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
            total += read;
        }

        if (plan.Checksum is { } checksum && !checksum.Matches(hash!.GetHashAndReset()))
        {
            return (total, false, new UploadRefusal(TusProtocol.ChecksumMismatch,
                $"The body's {checksum.Algorithm} digest is not the one in Upload-Checksum, so its {total} bytes were not kept: send them again from offset {plan.Offset}."));
        }

        return (total, false, null);
    }
}
