namespace FacePipeline.Orchestration.Scheduling;

/// <summary>Wakes the scheduler in this process when a job is queued or ends, or a queue is resumed.</summary>
public sealed class SchedulerSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
