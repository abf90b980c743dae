using System.Collections.Concurrent;
using FacePipeline.Contracts;
using MassTransit;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The jobs this instance heard end (<see cref="JobEnded"/>) within <see cref="Memory"/>: a command of one of them is
/// dropped before its consumer runs (<see cref="JobContextFilter{T}"/>), so a cancelled batch's queued chunks cost a log
/// line each, not a decode and five retries against deleted working data. Bounded: older entries are forgotten (a
/// command that late fails as before and is dead-lettered).
/// </summary>
public sealed class EndedJobs(TimeProvider clock)
{
    /// <summary>How long an ended job is remembered.</summary>
    public static readonly TimeSpan Memory = TimeSpan.FromHours(6);

    /// <summary>The most jobs remembered at once.</summary>
    public const int MaxJobs = 100_000;

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _ended = new();

    public void Add(Guid jobId)
    {
        var now = clock.GetUtcNow();
        _ended[jobId] = now;
        if (_ended.Count > MaxJobs)
        {
            foreach (var (id, at) in _ended.OrderBy(e => e.Value).Take(_ended.Count - (MaxJobs * 9 / 10)))
            {
                _ended.TryRemove(id, out _);
            }
        }
    }

    public bool Contains(Guid jobId) =>
        _ended.TryGetValue(jobId, out var at) && clock.GetUtcNow() - at < Memory;
}

/// <summary>Records every <see cref="JobEnded"/> this instance hears.</summary>
public sealed class JobEndedConsumer(EndedJobs endedJobs) : IConsumer<JobEnded>
{
    public Task Consume(ConsumeContext<JobEnded> context)
    {
        endedJobs.Add(context.Message.JobId);
        return Task.CompletedTask;
    }
}

public static class EndedJobsSetup
{
    /// <summary>
    /// A stage service listens for <see cref="JobEnded"/> on a queue of its own (temporary, per process: every instance
    /// hears every end) and drops the ended jobs' commands.
    /// </summary>
    public static void AddEndedJobsListener(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<JobEndedConsumer>().Endpoint(e =>
        {
            e.InstanceId = Environment.MachineName + "-" + Environment.ProcessId;
            e.Temporary = true;
        });
    }
}
