using System.Globalization;
using Spectre.Console;

namespace FacePipeline.Cli.Progress;

/// <summary>
/// A job's progress on a terminal: one live bar per stage (frames done of the stage's total, percentage, elapsed and
/// remaining time), redrawn in place by Spectre.Console, then the job's end as one line.
/// </summary>
public sealed class JobProgressBars(IAnsiConsole console) : IJobProgress
{
    public async Task<JobView> ShowAsync(IAsyncEnumerable<JobView> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        JobView? last = null;
        await LiveBars.For(console, hideCompleted: false)
            .StartAsync(async context =>
            {
                var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                await foreach (var job in updates.WithCancellation(cancellationToken))
                {
                    foreach (var stage in job.Stages)
                    {
                        if (!bars.TryGetValue(stage.Name, out var bar))
                        {
                            bar = bars[stage.Name] = context.AddTask(Markup.Escape(stage.Name), autoStart: false, maxValue: Math.Max(1, stage.FramesTotal));
                        }

                        Update(bar, stage);
                    }

                    last = job;
                    context.Refresh();
                }
            });

        var ended = last ?? throw new InvalidOperationException("No view of the job arrived.");
        var colour = ended.State == "completed" ? "green" : "red";
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"job {ended.Id}: [{colour}]{Markup.Escape(ended.State)}[/] after {ended.ElapsedSeconds ?? 0:F1} s"));
        return ended;
    }

    private static void Update(ProgressTask bar, StageView stage)
    {
        if (stage.FramesTotal > 0)
        {
            bar.MaxValue = stage.FramesTotal;
            bar.Value = Math.Min(stage.FramesDone, stage.FramesTotal);
        }

        var counted = stage.FramesTotal > 0 ? $" [grey]{stage.FramesDone}/{stage.FramesTotal} {Markup.Escape(stage.Unit)}[/]" : string.Empty;
        switch (stage.State)
        {
            case "running":
                if (!bar.IsStarted)
                {
                    bar.StartTask();
                }

                bar.Description = $"{Markup.Escape(stage.Name)}{counted}";
                break;
            case "completed":
                if (!bar.IsStarted)
                {
                    bar.StartTask();
                }

                bar.Value = bar.MaxValue;
                bar.Description = $"{Markup.Escape(stage.Name)}{counted}";
                bar.StopTask();
                break;
            case "failed" or "cancelled":
                bar.Description = $"{Markup.Escape(stage.Name)} [red]{Markup.Escape(stage.State)}[/]";
                bar.StopTask();
                break;
            default:
                bar.Description = $"{Markup.Escape(stage.Name)} [grey]{Markup.Escape(stage.State)}[/]";
                break;
        }
    }
}
