using Spectre.Console;

namespace FacePipeline.Cli.Progress;

/// <summary>How the CLI shows a job's or a batch's progress while it waits (<c>--progress</c>).</summary>
public enum ProgressStyle
{
    /// <summary>Bars on an interactive terminal, lines otherwise (a pipe, a file, CI).</summary>
    Auto,

    /// <summary>One live progress bar per stage, redrawn in place.</summary>
    Bars,

    /// <summary>Plain lines, one per stage start, quarter and end: fit for logs.</summary>
    Lines,
}

public static class ProgressStyles
{
    /// <summary>
    /// The style <paramref name="requested"/> comes to on <paramref name="console"/>: Auto means bars only when standard
    /// output is a terminal Spectre.Console finds interactive (it says no for redirected output, TERM=dumb and CI).
    /// </summary>
    public static ProgressStyle Resolve(ProgressStyle requested, IAnsiConsole console, bool outputRedirected)
    {
        ArgumentNullException.ThrowIfNull(console);
        return requested switch
        {
            ProgressStyle.Auto => !outputRedirected && console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi ? ProgressStyle.Bars : ProgressStyle.Lines,
            _ => requested,
        };
    }
}

/// <summary>The one look of the CLI's live bars: what, bar, percentage, elapsed, remaining; kept when done.</summary>
internal static class LiveBars
{
    public static Spectre.Console.Progress For(IAnsiConsole console, bool hideCompleted) =>
        console.Progress()
            .AutoClear(false)
            .HideCompleted(hideCompleted)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn());
}
