using System.Diagnostics;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration;

/// <summary>
/// Publishes what the outbox holds, in order, and stamps each row once the broker confirmed it.
/// A crash between publish and stamp publishes the row again on restart (at least once); consumers
/// are idempotent. Several dispatchers may run: rows are claimed with FOR UPDATE SKIP LOCKED.
/// </summary>
/// <remarks>
/// <para>A publish that fails part-way through a batch (broker down, shutdown) commits the stamps of the rows already
/// published before the error goes up, so the retry sends only the rest.</para>
/// <para>A row that can never be published (its type no longer resolves, its body does not deserialise, or the
/// message does not serialise for the broker) is quarantined: <see cref="OutboxMessage.QuarantinedAt"/> and
/// <see cref="OutboxMessage.Error"/> are set, the error is logged once, and the rows after it go on.</para>
/// <para>Published rows are deleted once older than <see cref="OutboxOptions.PublishedRetention"/>, at most once per
/// <see cref="OutboxOptions.CleanupInterval"/> and <see cref="OutboxOptions.CleanupBatchSize"/> rows at a time.</para>
/// </remarks>
public sealed class OutboxDispatcher(
    IDbContextFactory<JobsDbContext> dbFactory,
    IPublishEndpoint publisher,
    JobPipelines pipelines,
    OutboxSignal signal,
    TimeProvider clock,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    /// <summary>The longest error text kept on a quarantined row.</summary>
    private const int MaxErrorLength = 4000;

    private readonly OutboxOptions _options = options.Value;
    private DateTimeOffset _nextCleanup = DateTimeOffset.MinValue;

    /// <summary>
    /// Claims one batch of pending rows and settles each: published and stamped, or quarantined. Returns how many rows
    /// it settled (a full batch means more may be waiting). If a publish fails, the rows settled before it are committed
    /// and the exception is rethrown; the failed row and those after it stay pending.
    /// </summary>
    public async Task<int> DispatchPendingAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await db.Outbox
            .FromSql($"""
                SELECT * FROM outbox
                WHERE "DispatchedAt" IS NULL AND "QuarantinedAt" IS NULL
                ORDER BY "Id" LIMIT {_options.BatchSize}
                FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);

        var settled = 0;
        try
        {
            foreach (var row in rows)
            {
                await DispatchAsync(row, cancellationToken);
                settled++;
            }
        }
        catch (Exception ex)
        {
            var failed = rows[settled];
            logger.Log(
                ex is OperationCanceledException ? LogLevel.Information : LogLevel.Warning,
                ex,
                "Publishing outbox row {OutboxId} ({MessageType}, message {MessageId}) failed; the {Settled} rows before it are kept as settled, it and the {Remaining} after it stay pending",
                failed.Id, failed.MessageType, failed.MessageId, settled, rows.Count - settled - 1);
            if (settled > 0)
            {
                await SaveSettledAfterFailure(db, tx, settled);
            }

            throw;
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        // An idle poll (twice a second) logs nothing; a batch that went out is one line (a quarantined row has its own error line).
        if (rows.Count(r => r.DispatchedAt is not null) is > 0 and var published)
        {
            logger.LogInformation("Outbox published {Published} message(s), up to row {OutboxId}", published, rows[^1].Id);
        }

        return rows.Count;
    }

    /// <summary>
    /// Deletes published rows older than <see cref="OutboxOptions.PublishedRetention"/>, at most
    /// <see cref="OutboxOptions.CleanupBatchSize"/> of them (one bounded statement). Returns how many it deleted.
    /// Pending and quarantined rows are never deleted.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - _options.PublishedRetention;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Database.ExecuteSqlAsync(
            $"""
            DELETE FROM outbox WHERE "Id" IN (
                SELECT "Id" FROM outbox
                WHERE "DispatchedAt" < {cutoff}
                LIMIT {_options.CleanupBatchSize}
                FOR UPDATE SKIP LOCKED)
            """,
            cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Outbox clean-up deleted {Deleted} published rows dispatched before {Cutoff:O}", deleted, cutoff);
        }
        else
        {
            logger.LogDebug("Outbox clean-up found no published rows dispatched before {Cutoff:O}", cutoff);
        }

        return deleted;
    }

    /// <summary>
    /// Runs <see cref="DeleteExpiredAsync"/> if the clean-up is due: at most once per <see cref="OutboxOptions.CleanupInterval"/>,
    /// except that a clean-up that deleted a full batch is due again at once (a backlog drains a batch per dispatch loop).
    /// Returns how many rows it deleted, or null when it was not due.
    /// </summary>
    public async Task<int?> CleanupIfDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now < _nextCleanup)
        {
            return null;
        }

        _nextCleanup = now + _options.CleanupInterval; // also when the clean-up fails: no retry storm
        var deleted = await DeleteExpiredAsync(cancellationToken);
        if (deleted >= _options.CleanupBatchSize)
        {
            _nextCleanup = now;
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                more = await DispatchPendingAsync(stoppingToken) >= _options.BatchSize;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Outbox dispatch failed; will retry");
            }

            try
            {
                more |= await CleanupIfDueAsync(stoppingToken) >= _options.CleanupBatchSize;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Outbox clean-up failed; will retry after {CleanupInterval}", _options.CleanupInterval);
            }

            if (more)
            {
                continue;
            }

            try
            {
                await signal.WaitAsync(_options.IdlePoll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Publishes one row and stamps it, or quarantines it if it can never be published.</summary>
    private async Task DispatchAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        // Publish inside the enqueuing transaction's trace: MassTransit's send activity becomes its child.
        ActivityContext.TryParse(row.TraceParent, null, out var parent);
        using var activity = Outbox.Activities.StartActivity("outbox dispatch", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.message_type", row.MessageType);
        activity?.SetTag("messaging.message.id", row.MessageId.ToString());

        object message;
        try
        {
            message = Outbox.Deserialize(row, pipelines);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Quarantine(row, ex, activity);
            return;
        }

        try
        {
            await publisher.Publish(message, message.GetType(), Pipe.Execute<PublishContext>(ctx =>
            {
                ctx.MessageId = row.MessageId;
                if (row.Priority > 0)
                {
                    ctx.TrySetPriority(row.Priority);
                }
            }), cancellationToken);
        }
        catch (Exception ex) when (IsSerializationFailure(ex))
        {
            Quarantine(row, ex, activity);
            return;
        }

        row.DispatchedAt = clock.GetUtcNow();
    }

    private void Quarantine(OutboxMessage row, Exception error, Activity? activity)
    {
        row.QuarantinedAt = clock.GetUtcNow();
        row.Error = Describe(error);
        activity?.SetStatus(ActivityStatusCode.Error, row.Error);
        logger.LogError(
            error,
            "Outbox row {OutboxId} ({MessageType}, message {MessageId}) cannot be published and is quarantined; later rows go on. Re-drive it after a fix by clearing its QuarantinedAt. {Error}",
            row.Id, row.MessageType, row.MessageId, row.Error);
    }

    /// <summary>After a failed publish: commits the rows settled before it, so the retry does not publish them again.</summary>
    private async Task SaveSettledAfterFailure(JobsDbContext db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, int settled)
    {
        try
        {
            // Not the caller's token: on shutdown it is cancelled, and these stamps are what keeps the rows from going twice.
            await db.SaveChangesAsync(CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not stamp the {Settled} outbox rows settled before a failed publish; they will be published again (at least once)", settled);
        }
    }

    /// <summary>The broker's serializer rejected the message: publishing it again cannot succeed.</summary>
    private static bool IsSerializationFailure(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Runtime.Serialization.SerializationException) // what MassTransit's serializers throw
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Exception ex)
    {
        var text = ex.GetType().FullName + ": " + ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += " ---> " + inner.GetType().FullName + ": " + inner.Message;
        }

        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}
