using FacePipeline.Cli.Progress;
using Spectre.Console.Testing;

namespace FacePipeline.Cli.Tests;

public sealed class JobProgressTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Plain_lines_say_each_state_change_each_quarter_of_a_stage_and_the_end_not_every_poll()
    {
        var output = new StringWriter { NewLine = "\n" };

        var ended = await new JobProgressLines(output).ShowAsync(ProgressViews.Stream(ProgressViews.TrackRun()), CancellationToken.None);

        Assert.Equal("completed", ended.State);
        var id = ProgressViews.JobId;
        Assert.Equal(
            [
                $"job {id}: queued",
                $"job {id}: running",
                "  extract: completed, 100 frames in 0.8 s",
                "  reconstruct: started",
                "  reconstruct: 30/100 frames (30 %)",
                "  reconstruct: 50/100 frames (50 %)",
                "  reconstruct: 80/100 frames (80 %)",
                "  reconstruct: 100/100 frames (100 %)",
                "  reconstruct: completed, 100 frames in 10.5 s",
                "  render: started",
                "  render: 30/100 frames (30 %)",
                "  render: 50/100 frames (50 %)",
                "  render: 80/100 frames (80 %)",
                "  render: completed, 100 frames in 9.6 s",
                $"job {id}: completed after 22.4 s",
            ],
            output.ToString().TrimEnd('\n').Split('\n'));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Plain_lines_stay_a_handful_per_stage_however_often_a_long_job_is_polled()
    {
        // A 36,000-frame stage polled 5,000 times, a few frames further each time.
        var polls = Enumerable.Range(0, 5000).Select(i => ProgressViews.Job("running", i * 0.5, ProgressViews.Stage("reconstruct", "running", i * 7, 36_000)))
            .Append(ProgressViews.Job("completed", 2500, ProgressViews.Stage("reconstruct", "completed", 36_000, 36_000, 2499)));
        var output = new StringWriter();

        await new JobProgressLines(output).ShowAsync(ProgressViews.Stream(polls), CancellationToken.None);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 4, 8); // running, started, three quarters, completed, the end
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task On_a_terminal_each_stage_has_one_bar_that_ends_full_with_its_frame_count()
    {
        var console = new TestConsole().Interactive().Width(120);

        var ended = await new JobProgressBars(console).ShowAsync(ProgressViews.Stream(ProgressViews.TrackRun()), CancellationToken.None);

        Assert.Equal("completed", ended.State);

        // The last frame the live display drew: one row per stage, each full, then the job's end.
        var rows = console.Lines.Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(4).ToList();
        Assert.Collection(
            rows,
            row => Assert.Matches(@"^extract 100/100 frames\s.*100%", row),
            row => Assert.Matches(@"^reconstruct 100/100 frames\s.*100%", row),
            row => Assert.Matches(@"^render 100/100 frames\s.*100%", row),
            row => Assert.Equal($"job {ProgressViews.JobId}: completed after 22.4 s", row.TrimEnd()));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task A_failed_stage_is_marked_on_its_bar_and_the_job_ends_red()
    {
        var console = new TestConsole().Interactive().Width(120);
        var run = new[]
        {
            ProgressViews.Job("running", 1, ProgressViews.Stage("extract", "running", 10, 100)),
            ProgressViews.Job("failed", 2, ProgressViews.Stage("extract", "failed", 40, 100)),
        };

        var ended = await new JobProgressBars(console).ShowAsync(ProgressViews.Stream(run), CancellationToken.None);

        Assert.Equal("failed", ended.State);
        var rows = console.Lines.Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(2).ToList();
        Assert.Matches(@"^extract failed\s.*40%", rows[0]);
        Assert.Equal($"job {ProgressViews.JobId}: failed after 2.0 s", rows[1].TrimEnd());
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData(ProgressStyle.Auto, true, false, ProgressStyle.Bars)]
    [InlineData(ProgressStyle.Auto, true, true, ProgressStyle.Lines)]
    [InlineData(ProgressStyle.Auto, false, false, ProgressStyle.Lines)]
    [InlineData(ProgressStyle.Bars, false, true, ProgressStyle.Bars)]
    [InlineData(ProgressStyle.Lines, true, false, ProgressStyle.Lines)]
    public void Auto_means_bars_only_on_an_interactive_terminal_whose_output_is_not_redirected(ProgressStyle requested, bool interactive, bool redirected, ProgressStyle expected)
    {
        var console = new TestConsole().EmitAnsiSequences();
        console.Profile.Capabilities.Interactive = interactive;

        Assert.Equal(expected, ProgressStyles.Resolve(requested, console, redirected));
    }
}
