using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration;

/// <summary>
/// A background service that runs a round of work at start-up and then every <see cref="Interval"/>, on the host's
/// <see cref="TimeProvider"/>. A round that fails (the database or the media store may be down) is logged as a warning
/// and the next one starts over: rounds work from the rows in the database, never from what the last one left.
/// </summary>
public abstract class PeriodicRounds(TimeProvider clock, ILogger logger) : BackgroundService
{
    /// <summary>The time between two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>What a round is, as its warning names it (e.g. <c>Retention: the sweep</c>).</summary>
    protected abstract string RoundName { get; }

    /// <summary>The service's logger.</summary>
    protected ILogger Logger { get; } = logger;

    /// <summary>One round.</summary>
    protected abstract Task RunRoundAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await RunRoundAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Logger.LogWarning("{Round} failed ({Error}); trying again in {Interval}", RoundName, ex.Message, interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
