using System.Diagnostics;
using FacePipeline.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration;

/// <summary>
/// Publishes what the outbox holds, in order, and stamps each row once the broker confirmed it.
/// A crash between publish and stamp publishes the row again on restart (at least once); consumers
/// are idempotent. Several dispatchers may run: rows are claimed with FOR UPDATE SKIP LOCKED.
/// </summary>
public sealed class OutboxDispatcher(
    IDbContextFactory<JobsDbContext> dbFactory,
    IPublishEndpoint publisher,
    OutboxSignal signal,
    TimeProvider clock,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 100;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(500);

    /// <summary>Publishes one batch; returns how many rows it dispatched.</summary>
    public async Task<int> DispatchPendingAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await db.Outbox
            .FromSql($"""SELECT * FROM outbox WHERE "DispatchedAt" IS NULL ORDER BY "Id" LIMIT {BatchSize} FOR UPDATE SKIP LOCKED""")
            .ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            // Publish inside the enqueuing transaction's trace: MassTransit's send activity becomes its child.
            ActivityContext.TryParse(row.TraceParent, null, out var parent);
            using var activity = Outbox.Activities.StartActivity("outbox dispatch", ActivityKind.Producer, parent);
            activity?.SetTag("messaging.message_type", row.MessageType);
            var message = Outbox.Deserialize(row);
            await publisher.Publish(message, message.GetType(), Pipe.Execute<PublishContext>(ctx => ctx.MessageId = row.MessageId), cancellationToken);
            row.DispatchedAt = clock.GetUtcNow();
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return rows.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DispatchPendingAsync(stoppingToken) == BatchSize)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Outbox dispatch failed; will retry");
            }

            try
            {
                await signal.WaitAsync(IdlePoll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
