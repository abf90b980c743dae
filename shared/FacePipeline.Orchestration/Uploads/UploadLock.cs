using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// One writer per upload, whatever the replica: a PostgreSQL session advisory lock on the upload's id, held on the
/// context's connection (kept open) while bytes are appended, the upload deleted or swept. It is taken with
/// <c>pg_try_advisory_lock</c>, never waited for: a second PATCH of the same upload is refused at once. The two-key form
/// with its own class key keeps it apart from the scheduler's lock. A connection that dies releases it.
/// </summary>
public sealed class UploadLock : IAsyncDisposable
{
    /// <summary>The advisory lock's first key, for every upload: "tus1".</summary>
    public const int ClassKey = 0x74757331;

    private readonly JobsDbContext _db;
    private readonly int _objectKey;

    private UploadLock(JobsDbContext db, int objectKey)
    {
        _db = db;
        _objectKey = objectKey;
    }

    /// <summary>The lock of <paramref name="uploadId"/>, or null when another session holds it.</summary>
    public static async Task<UploadLock?> TryTakeAsync(JobsDbContext db, Guid uploadId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var objectKey = ObjectKey(uploadId);
        var taken = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({ClassKey}, {objectKey}) AS \"Value\"").SingleAsync(cancellationToken);
        return taken ? new UploadLock(db, objectKey) : null;
    }

    /// <summary>The lock's second key: the upload id folded to 32 bits (two uploads that share it refuse each other's requests while one is written, never mix their bytes).</summary>
    public static int ObjectKey(Guid uploadId)
    {
        Span<byte> bytes = stackalloc byte[16];
        uploadId.TryWriteBytes(bytes);
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes);
        return words[0] ^ words[1] ^ words[2] ^ words[3];
    }

    /// <summary>Releases the lock; when the connection is broken, the server released it already.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({ClassKey}, {_objectKey})", CancellationToken.None);
        }
        catch (Exception error) when (error is Npgsql.NpgsqlException or InvalidOperationException)
        {
            // The connection is gone, and with it the session's locks.
        }
    }
}
