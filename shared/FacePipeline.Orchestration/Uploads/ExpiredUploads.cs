using FacePipeline.Persistence;
using FacePipeline.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>What one sweep of expired uploads did: uploads deleted, the files and bytes removed, and uploads skipped because a request was writing them.</summary>
public readonly record struct UploadSweepRound(int Uploads, MediaRemoval Removed, int Busy);

/// <summary>
/// Deletes uploads whose <see cref="Upload.ExpiresAt"/> has passed, bytes first, then the row: an incomplete upload
/// <see cref="UploadOptions.IncompleteExpiry"/> after its last bytes, a completed one
/// <see cref="UploadOptions.CompletedRetention"/> after its last byte (a job that used it has its own copy). Each
/// deletion holds the upload's lock, so an upload that a request is writing (and so renewing) is left for the next round.
/// </summary>
public sealed class ExpiredUploads(
    IDbContextFactory<JobsDbContext> dbFactory,
    UploadFiles files,
    IOptions<UploadOptions> options,
    TimeProvider clock,
    ILogger<ExpiredUploads> logger)
{
    /// <summary>The upload settings in force.</summary>
    public UploadOptions Options => options.Value;

    /// <summary>One round: every upload expired now, in batches of <see cref="UploadOptions.BatchSize"/>.</summary>
    public async Task<UploadSweepRound> SweepAsync(CancellationToken cancellationToken)
    {
        var round = new UploadSweepRound(0, MediaRemoval.None, 0);
        var skipped = new HashSet<Guid>();
        while (true)
        {
            var now = clock.GetUtcNow();
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var expired = await db.Uploads.AsNoTracking()
                .Where(u => u.ExpiresAt <= now && !skipped.Contains(u.Id))
                .OrderBy(u => u.ExpiresAt)
                .Take(Options.BatchSize)
                .ToListAsync(cancellationToken);
            foreach (var upload in expired)
            {
                var removed = await DeleteAsync(upload.Id, now, cancellationToken);
                if (removed is { } files)
                {
                    round = round with { Uploads = round.Uploads + 1, Removed = round.Removed + files };
                }
                else
                {
                    skipped.Add(upload.Id);
                    round = round with { Busy = round.Busy + 1 };
                }
            }

            if (expired.Count < Options.BatchSize)
            {
                return round;
            }
        }
    }

    /// <summary>Deletes one expired upload under its lock; null when a request holds the lock (or renewed it meanwhile).</summary>
    private async Task<MediaRemoval?> DeleteAsync(Guid uploadId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var held = await UploadLock.TryTakeAsync(db, uploadId, cancellationToken);
        if (held is null)
        {
            return null;
        }

        var upload = await db.Uploads.SingleOrDefaultAsync(u => u.Id == uploadId, cancellationToken);
        if (upload is null)
        {
            return MediaRemoval.None; // deleted meanwhile (by its studio, or another replica's sweep)
        }

        if (upload.ExpiresAt > now)
        {
            return null;
        }

        var removed = files.Delete(upload);
        db.Uploads.Remove(upload);
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation(
            "Upload {UploadId} expired ({State}) and was deleted: {Files} file(s), {Bytes} bytes",
            upload.Id, upload.CompletedAt is null ? $"incomplete at {upload.Offset} bytes" : "complete", removed.Files, removed.Bytes);
        return removed;
    }
}
