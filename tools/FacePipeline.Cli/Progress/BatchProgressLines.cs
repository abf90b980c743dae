namespace FacePipeline.Cli.Progress;

/// <summary>A batch's progress as plain lines: a line when a shot's state changes, and the counts when they change.</summary>
public sealed class BatchProgressLines(TextWriter output) : IBatchProgress
{
    public async Task<BatchView> ShowAsync(IAsyncEnumerable<BatchView> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        BatchView? last = null;
        var states = new Dictionary<int, string>();
        var summary = string.Empty;
        await foreach (var batch in updates.WithCancellation(cancellationToken))
        {
            foreach (var shot in batch.Shots.Where(s => states.GetValueOrDefault(s.Index) != s.State))
            {
                states[shot.Index] = shot.State;
                await output.WriteLineAsync(BatchText.Line(shot));
            }

            if (BatchText.Summary(batch) is var now && now != summary)
            {
                await output.WriteLineAsync(now);
                summary = now;
            }

            last = batch;
        }

        return last ?? throw new InvalidOperationException("No view of the batch arrived.");
    }
}
