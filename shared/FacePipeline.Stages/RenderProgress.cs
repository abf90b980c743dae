using System.Diagnostics;

namespace FacePipeline.Stages;

/// <summary>
/// Counts the frames a render has written and reports the count at most once per <see cref="Interval"/> (and not at all
/// without a reporter), so the job's render stage moves while it runs instead of showing 0 until the end.
/// </summary>
public sealed class RenderProgress(Func<int, CancellationToken, Task>? report, TimeSpan? interval = null)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _next = interval ?? TimeSpan.FromSeconds(1);

    /// <summary>The least time between two reports (default 1 s).</summary>
    public TimeSpan Interval { get; } = interval ?? TimeSpan.FromSeconds(1);

    /// <summary>Frames written so far.</summary>
    public int Frames { get; private set; }

    /// <summary>One more frame is written; reports the count when the interval has passed since the last report.</summary>
    public async ValueTask FrameWritten(CancellationToken cancellationToken)
    {
        Frames++;
        if (report is null || _clock.Elapsed < _next)
        {
            return;
        }

        _next = _clock.Elapsed + Interval;
        await report(Frames, cancellationToken);
    }
}
