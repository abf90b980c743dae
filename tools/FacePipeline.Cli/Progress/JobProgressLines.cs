using System.Globalization;

namespace FacePipeline.Cli.Progress;

/// <summary>
/// A job's progress as plain lines, for logs and pipes: a line when the job's state changes, when a stage starts,
/// each time a running stage passes a quarter of its frames, and when it ends. A ten-minute job writes a few lines per
/// stage, not one every poll.
/// </summary>
public sealed class JobProgressLines(TextWriter output) : IJobProgress
{
    public async Task<JobView> ShowAsync(IAsyncEnumerable<JobView> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        JobView? last = null;
        var marks = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var job in updates.WithCancellation(cancellationToken))
        {
            if (last?.State != job.State && !job.IsTerminal)
            {
                await output.WriteLineAsync($"job {job.Id}: {job.State}");
            }

            foreach (var stage in job.Stages)
            {
                var mark = Mark(stage);
                if (marks.GetValueOrDefault(stage.Name) != mark)
                {
                    marks[stage.Name] = mark;
                    if (Line(stage) is { } line)
                    {
                        await output.WriteLineAsync(line);
                    }
                }
            }

            last = job;
        }

        var ended = last ?? throw new InvalidOperationException("No view of the job arrived.");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"job {ended.Id}: {ended.State} after {ended.ElapsedSeconds ?? 0:F1} s"));
        return ended;
    }

    /// <summary>What a stage's line would say, coarsely: its state and, while it runs, the quarter of its frames done.</summary>
    private static string Mark(StageView stage) =>
        stage.State == "running" && stage.FramesTotal > 0 ? $"running {Quarter(stage)}" : stage.State;

    private static int Quarter(StageView stage) => (int)(4L * Math.Min(stage.FramesDone, stage.FramesTotal) / stage.FramesTotal);

    private static string? Line(StageView stage) => stage.State switch
    {
        "pending" => null,
        "running" when stage.FramesTotal > 0 && stage.FramesDone > 0 => string.Create(
            CultureInfo.InvariantCulture, $"  {stage.Name}: {stage.FramesDone}/{stage.FramesTotal} {stage.Unit} ({100L * stage.FramesDone / stage.FramesTotal} %)"),
        "running" => $"  {stage.Name}: started",
        "completed" => string.Create(CultureInfo.InvariantCulture, $"  {stage.Name}: completed{(stage.FramesTotal > 0 ? $", {stage.FramesTotal} {stage.Unit}" : string.Empty)}{(stage.Seconds is { } s ? $" in {s:F1} s" : string.Empty)}"),
        _ => $"  {stage.Name}: {stage.State}",
    };
}
