using System.Collections.Concurrent;
using System.Reflection;
using FacePipeline.Contracts;
using FacePipeline.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; private set; } = start.ToUniversalTime();

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>
/// A publish endpoint in front of a real one that records the MessageId of every publish that went through, and can
/// fail chosen publishes (by call number, or by message) with a chosen exception.
/// </summary>
public class RecordingPublisher : DispatchProxy
{
    private IPublishEndpoint _inner = null!;
    private Func<int, object, Exception?> _failure = (_, _) => null;
    private int _calls;

    /// <summary>Every MessageId the inner endpoint accepted, once per publish (repeats show double sends).</summary>
    public ConcurrentQueue<Guid> Published { get; } = new();

    public IPublishEndpoint Endpoint { get; private set; } = null!;

    public int Count(Guid messageId) => Published.Count(id => id == messageId);

    /// <param name="inner">Where publishes that do not fail go.</param>
    /// <param name="failure">Given the 1-based publish call number and the message: the exception to throw instead, or null.</param>
    public static RecordingPublisher Wrap(IPublishEndpoint inner, Func<int, object, Exception?>? failure = null)
    {
        var proxy = Create<IPublishEndpoint, RecordingPublisher>();
        var self = (RecordingPublisher)(object)proxy;
        self._inner = inner;
        self._failure = failure ?? ((_, _) => null);
        self.Endpoint = proxy;
        return self;
    }

    /// <summary>For tests that publish nothing: every publish fails.</summary>
    public static RecordingPublisher NothingExpected() =>
        Wrap(null!, (_, message) => new InvalidOperationException($"This test publishes nothing, yet {message.GetType().Name} was published."));

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name != nameof(IPublishEndpoint.Publish))
        {
            return targetMethod.Invoke(_inner, args);
        }

        var call = Interlocked.Increment(ref _calls);
        var failure = _failure(call, args![0]!);
        if (failure is not null)
        {
            return Task.FromException(failure);
        }

        var pipeIndex = Array.FindIndex(args, a => a is IPipe<PublishContext>);
        if (pipeIndex < 0)
        {
            throw new NotSupportedException($"RecordingPublisher expects the Publish overload with a publish pipe, not {targetMethod}.");
        }

        var capture = new CapturingPipe((IPipe<PublishContext>)args[pipeIndex]!);
        args[pipeIndex] = capture;
        return Record((Task)targetMethod.Invoke(_inner, args)!, capture);
    }

    private async Task Record(Task publish, CapturingPipe capture)
    {
        await publish;
        Published.Enqueue(capture.MessageId ?? throw new InvalidOperationException("The publish set no MessageId."));
    }

    private sealed class CapturingPipe(IPipe<PublishContext> inner) : IPipe<PublishContext>
    {
        public Guid? MessageId { get; private set; }

        public async Task Send(PublishContext context)
        {
            await inner.Send(context);
            MessageId = context.MessageId;
        }

        public void Probe(ProbeContext context) => inner.Probe(context);
    }
}

/// <summary>Rows and dispatchers for the outbox tests, on a class's own migrated database.</summary>
public static class OutboxRows
{
    public static readonly string ExtractFramesType = typeof(ExtractFrames).FullName!;

    /// <summary>Empties the outbox, so a test sees only its own rows (tests of a class run one after another).</summary>
    public static async Task Clear(JobStoreFixture store)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        await db.Outbox.ExecuteDeleteAsync();
    }

    /// <summary>Enqueues <paramref name="count"/> valid messages in one transaction; returns their rows in Id order.</summary>
    public static async Task<List<OutboxMessage>> Enqueue(JobStoreFixture store, int count, DateTimeOffset now)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        for (var i = 0; i < count; i++)
        {
            Outbox.Enqueue(db, new ExtractFrames(Guid.NewGuid(), ClipNames.Source, $"input-{i}", 16), now);
        }

        await db.SaveChangesAsync();
        return await db.Outbox.AsNoTracking().OrderByDescending(m => m.Id).Take(count).OrderBy(m => m.Id).ToListAsync();
    }

    /// <summary>Inserts one row as given (for rows the code would never write: unknown types, bad bodies, old stamps).</summary>
    public static async Task<OutboxMessage> Insert(
        JobStoreFixture store,
        string messageType,
        string body,
        DateTimeOffset createdAt,
        DateTimeOffset? dispatchedAt = null,
        DateTimeOffset? quarantinedAt = null)
    {
        var row = new OutboxMessage
        {
            MessageId = Guid.NewGuid(),
            MessageType = messageType,
            Body = body,
            CreatedAt = createdAt,
            DispatchedAt = dispatchedAt,
            QuarantinedAt = quarantinedAt,
            Error = quarantinedAt is null ? null : "quarantined by the test",
        };
        await using var db = await store.Db.CreateDbContextAsync();
        db.Outbox.Add(row);
        await db.SaveChangesAsync();
        return row;
    }

    public static string ValidBody() =>
        System.Text.Json.JsonSerializer.Serialize(
            new ExtractFrames(Guid.NewGuid(), ClipNames.Source, "input", 16),
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));

    public static async Task<OutboxMessage?> Find(JobStoreFixture store, long id)
    {
        await using var db = await store.Db.CreateDbContextAsync();
        return await db.Outbox.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id);
    }

    public static OutboxDispatcher Dispatcher(JobStoreFixture store, IPublishEndpoint publisher, TimeProvider clock, OutboxOptions? options = null) =>
        new(store.Db, publisher, store.Pipelines, store.Signal, clock, Options.Create(options ?? new OutboxOptions()), NullLogger<OutboxDispatcher>.Instance);

    /// <summary>Dispatches until nothing is left to settle (bounded, so a dispatcher that never settles fails the test).</summary>
    public static async Task DrainAsync(OutboxDispatcher dispatcher)
    {
        for (var round = 0; round < 100; round++)
        {
            if (await dispatcher.DispatchPendingAsync(CancellationToken.None) == 0)
            {
                return;
            }
        }

        Assert.Fail("The outbox did not drain in 100 dispatches.");
    }
}
