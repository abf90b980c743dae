namespace FacePipeline.Cli.Progress;

/// <summary>Shows a job's progress from its successive views and answers the last one (the job as it ended).</summary>
public interface IJobProgress
{
    Task<JobView> ShowAsync(IAsyncEnumerable<JobView> updates, CancellationToken cancellationToken);
}

/// <summary>Shows a batch's progress from its successive views and answers the last one.</summary>
public interface IBatchProgress
{
    Task<BatchView> ShowAsync(IAsyncEnumerable<BatchView> updates, CancellationToken cancellationToken);
}
