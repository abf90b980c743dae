using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Notifications;

/// <summary>What a stream follows: one job's events, or one batch's (its shots' events and <c>batch.ended</c>).</summary>
public sealed record EventStreamSubject(Guid? JobId, Guid? BatchId)
{
    public static EventStreamSubject Job(Guid id) => new(id, null);

    public static EventStreamSubject Batch(Guid id) => new(null, id);

    /// <summary>Whether <paramref name="type"/> is the last event of the stream: a job's end, or the batch's.</summary>
    public bool EndsWith(string type) => BatchId is null
        ? type is JobEventTypes.JobCompleted or JobEventTypes.JobFailed or JobEventTypes.JobCancelled
        : type == JobEventTypes.BatchEnded;
}

/// <summary>
/// The live stream of a job's or a batch's events (<c>/v1/jobs/{id}/events</c>, <c>/v1/batches/{id}/events</c>): the
/// <see cref="JobEvent"/> rows after a given id, in id order, polled every <see cref="EventStreamOptions.PollInterval"/>
/// until the stream's last event (<see cref="EventStreamSubject.EndsWith"/>), with a keep-alive after each
/// <see cref="EventStreamOptions.KeepAlive"/> of silence. The rows are written in the transaction of the change they
/// tell, so a stream shows exactly what was committed.
/// </summary>
public sealed class JobEventStream(IDbContextFactory<JobsDbContext> dbFactory, TimeProvider clock, IOptions<EventStreamOptions> options)
{
    /// <summary>Events one query reads at most (a long backlog comes in several).</summary>
    private const int ReadSize = 200;

    /// <summary>
    /// Whether the studio's job (or batch) exists, and whether it had ended already: then the stream sends what is
    /// stored after the client's last id and ends, instead of waiting for an end event that may lie before that id.
    /// Null when the studio has no such job or batch.
    /// </summary>
    public async Task<bool?> Ended(Guid tenantId, EventStreamSubject subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (subject.JobId is { } jobId)
        {
            var states = await db.Jobs.AsNoTracking().Where(j => j.Id == jobId && j.TenantId == tenantId).Select(j => j.State).ToListAsync(cancellationToken);
            return states.Count == 0 ? null : JobStates.IsTerminal(states[0]);
        }

        var batches = await db.Batches.AsNoTracking().Where(b => b.Id == subject.BatchId && b.TenantId == tenantId).Select(b => b.State).ToListAsync(cancellationToken);
        return batches.Count == 0 ? null : batches[0] == BatchState.Ended;
    }

    /// <summary>
    /// The subject's events after <paramref name="afterId"/> as they are committed, with a null item for each keep-alive;
    /// ends after the stream's last event, once the stored events are sent when <paramref name="endedAtStart"/>, or at a
    /// keep-alive when the job or batch was deleted meanwhile.
    /// </summary>
    public async IAsyncEnumerable<JobEvent?> Follow(
        EventStreamSubject subject, long afterId, bool endedAtStart, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var settings = options.Value;
        var lastSent = clock.GetUtcNow();
        // A job's events commit in id order (under the job row's lock); a batch's shots commit independently, so a batch
        // stream reads only up to the ids that can no longer be joined by a lower one (endedAtStart: all are committed).
        var horizon = subject.BatchId is null || endedAtStart ? null : new CommitHorizon();
        while (true)
        {
            var upTo = horizon is null ? long.MaxValue : await horizon.Advance(dbFactory, cancellationToken);
            var events = await Read(subject, afterId, upTo, cancellationToken);
            foreach (var row in events)
            {
                afterId = row.Id;
                yield return row;
                if (subject.EndsWith(row.Type))
                {
                    yield break;
                }
            }

            if (events.Count == ReadSize)
            {
                lastSent = clock.GetUtcNow();
                continue; // more stored: no wait
            }

            if (endedAtStart)
            {
                yield break;
            }

            if (events.Count > 0)
            {
                lastSent = clock.GetUtcNow();
            }
            else if (clock.GetUtcNow() - lastSent >= settings.KeepAlive)
            {
                if (!await Exists(subject, cancellationToken))
                {
                    yield break; // deleted meanwhile (DELETE /v1/jobs/{id}): its events went with it, nothing more will come
                }

                lastSent = clock.GetUtcNow();
                yield return null;
            }

            await Task.Delay(settings.PollInterval, clock, cancellationToken);
        }
    }

    /// <summary>One server-sent event of <paramref name="row"/>: <c>id</c>, <c>event</c> (its type) and <c>data</c> (its JSON, one line).</summary>
    public static string Frame(JobEvent row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var frame = new StringBuilder();
        frame.Append(CultureInfo.InvariantCulture, $"id: {row.Id}\nevent: {row.Type}\n");
        foreach (var line in row.Data.Split('\n'))
        {
            frame.Append("data: ").Append(line.TrimEnd('\r')).Append('\n'); // jsonb text has no line breaks; any other JSON keeps its lines
        }

        return frame.Append('\n').ToString();
    }

    /// <summary>The comment that keeps a silent stream open (clients ignore it).</summary>
    public const string KeepAliveFrame = ": keep-alive\n\n";

    private async Task<bool> Exists(EventStreamSubject subject, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return subject.JobId is { } jobId
            ? await db.Jobs.AnyAsync(j => j.Id == jobId, cancellationToken)
            : await db.Batches.AnyAsync(b => b.Id == subject.BatchId, cancellationToken);
    }

    private async Task<List<JobEvent>> Read(EventStreamSubject subject, long afterId, long upTo, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = db.JobEvents.AsNoTracking().Where(e => e.Id > afterId && e.Id <= upTo);
        events = subject.JobId is { } jobId ? events.Where(e => e.JobId == jobId) : events.Where(e => e.BatchId == subject.BatchId);
        return await events.OrderBy(e => e.Id).Take(ReadSize).ToListAsync(cancellationToken);
    }
}

/// <summary>
/// The highest <see cref="JobEvent"/> id below which no event can appear any more: ids are handed out as rows are
/// inserted, but transactions commit in their own order, so a reader that has seen id 11 may later see id 10 commit.
/// At each <see cref="Advance"/> it notes the highest visible id with its snapshot's <c>xmax</c> (every transaction
/// that could still commit a lower id has an xid below it); once the oldest running transaction is past that xmax, all
/// of them have ended and the noted id is settled. A stream reads up to it, a poll or so behind the commits.
/// </summary>
internal sealed class CommitHorizon
{
    private readonly Queue<(ulong Xmax, long MaxId)> _pending = new();
    private long _settled;

    public async Task<long> Advance(IDbContextFactory<JobsDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // One statement, one snapshot: the running transactions and the ids visible to it.
        var now = await db.Database.SqlQuery<Snapshot>($"""
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS "Xmin",
                   pg_snapshot_xmax(pg_current_snapshot())::text AS "Xmax",
                   COALESCE((SELECT max("Id") FROM job_events), 0) AS "MaxId"
            """).SingleAsync(cancellationToken);
        var xmin = ulong.Parse(now.Xmin, CultureInfo.InvariantCulture);
        _pending.Enqueue((ulong.Parse(now.Xmax, CultureInfo.InvariantCulture), now.MaxId));
        while (_pending.Count > 0 && _pending.Peek().Xmax <= xmin)
        {
            _settled = Math.Max(_settled, _pending.Dequeue().MaxId);
        }

        return _settled;
    }

    private sealed record Snapshot(string Xmin, string Xmax, long MaxId);
}
