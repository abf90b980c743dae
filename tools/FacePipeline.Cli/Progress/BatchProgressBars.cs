using Spectre.Console;

namespace FacePipeline.Cli.Progress;

/// <summary>
/// A batch's progress on a terminal: one bar for the shots ended of the batch, and a bar for each shot while it runs
/// (its current stage's frames); a shot's bar goes when it ends. Failed shots are listed after, with their reasons.
/// </summary>
public sealed class BatchProgressBars(IAnsiConsole console) : IBatchProgress
{
    public async Task<BatchView> ShowAsync(IAsyncEnumerable<BatchView> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        BatchView? last = null;
        await LiveBars.For(console, hideCompleted: true)
            .StartAsync(async context =>
            {
                ProgressTask? overall = null;
                var shots = new Dictionary<int, ProgressTask>();
                await foreach (var batch in updates.WithCancellation(cancellationToken))
                {
                    overall ??= context.AddTask("shots", maxValue: Math.Max(1, batch.ShotCount));
                    overall.MaxValue = Math.Max(1, batch.ShotCount);
                    overall.Value = batch.ShotsEnded;
                    overall.Description = Markup.Escape(
                        $"shots: {batch.Counts.Completed} completed, {batch.Counts.Failed} failed, {batch.Counts.Running} running, {batch.Counts.Queued} queued{(batch.Paused ? " (paused)" : string.Empty)}");
                    foreach (var shot in batch.Shots)
                    {
                        var running = shot.State == "running";
                        if (running && !shots.ContainsKey(shot.Index))
                        {
                            shots[shot.Index] = context.AddTask(Markup.Escape(shot.Shot));
                        }

                        if (shots.TryGetValue(shot.Index, out var bar))
                        {
                            bar.MaxValue = Math.Max(1, shot.FramesTotal);
                            bar.Value = Math.Min(shot.FramesDone, bar.MaxValue);
                            bar.Description = Markup.Escape($"{shot.Shot} {shot.Stage}");
                            if (!running)
                            {
                                bar.Value = bar.MaxValue; // ended: HideCompleted takes its bar away
                                bar.StopTask();
                                shots.Remove(shot.Index);
                            }
                        }
                    }

                    if (batch.Ended)
                    {
                        overall.Value = overall.MaxValue;
                    }

                    last = batch;
                    context.Refresh();
                }
            });

        var ended = last ?? throw new InvalidOperationException("No view of the batch arrived.");
        foreach (var shot in ended.Shots.Where(s => s.State is "failed" or "cancelled"))
        {
            console.MarkupLine($"[red]{Markup.Escape(BatchText.Line(shot).Trim())}[/]");
        }

        console.WriteLine(BatchText.Summary(ended));
        return ended;
    }
}
