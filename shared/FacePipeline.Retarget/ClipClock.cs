namespace FacePipeline.Retarget;

/// <summary>
/// When a clip's frames are shown (issue 15, the timing rule of docs/architecture.md): each frame's presentation time in
/// seconds (the extraction's <c>timeline.json</c>, on the clip's audio clock) and when the last frame stops being shown.
/// The retarget planner places the performer's and the actor's frames by these times, not by index at the nominal rate,
/// so a variable-frame-rate clip keeps its timing. Times here are absolute (the first frame need not be at 0); the
/// lookups take times from the first frame.
/// </summary>
public sealed class ClipClock
{
    /// <summary>A shown-at lookup tolerates this much rounding (a microsecond: transfer.json's precision).</summary>
    private const double Tolerance = 1e-6;

    /// <param name="seconds">Per frame, its presentation time (non-decreasing; at least one frame).</param>
    /// <param name="endSeconds">When the last frame stops being shown, on the same clock; null: unknown.</param>
    public ClipClock(IReadOnlyList<double> seconds, double? endSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        if (seconds.Count == 0)
        {
            throw new ArgumentException("A clip clock needs at least one frame time.", nameof(seconds));
        }

        Seconds = seconds;
        EndSeconds = endSeconds;
    }

    /// <summary>Per frame, its presentation time in seconds.</summary>
    public IReadOnlyList<double> Seconds { get; }

    /// <summary>When the last frame stops being shown (the video stream's end), when known.</summary>
    public double? EndSeconds { get; }

    /// <summary>Frames.</summary>
    public int Count => Seconds.Count;

    /// <summary><paramref name="count"/> frames at the constant <paramref name="rate"/> from 0, the last ending one frame later.</summary>
    public static ClipClock ConstantRate(int count, FrameRate rate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new ClipClock([.. Enumerable.Range(0, count).Select(k => TimingMap.OutputTime(k, rate))], TimingMap.OutputTime(count, rate));
    }

    /// <summary>Frame <paramref name="frame"/>'s time from the first frame's.</summary>
    public double Offset(int frame) => Seconds[frame] - Seconds[0];

    /// <summary>
    /// True when every frame is within a tenth of a frame of <c>first + k / rate</c> (the encoders' test,
    /// <c>FrameTiming.IsConstantRate</c>): such a clip is timed by its index at <paramref name="rate"/>, exactly as before issue 15.
    /// </summary>
    public bool IsConstantRate(FrameRate rate)
    {
        var frame = 1 / rate.FramesPerSecond;
        for (var k = 0; k < Count; k++)
        {
            if (Math.Abs(Offset(k) - TimingMap.OutputTime(k, rate)) > frame / 10)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// How long the last frame is shown: until <see cref="EndSeconds"/> when that is a quarter to four times the interval
    /// before it (as the encoders read a timeline's end, <c>FrameTiming.FromTimeline</c>), else as long as the frame
    /// before (one frame at <paramref name="rate"/> for a single frame).
    /// </summary>
    public double LastFrameSeconds(FrameRate rate)
    {
        var previous = Count > 1 ? Seconds[^1] - Seconds[^2] : 1 / rate.FramesPerSecond;
        if (previous <= 0)
        {
            previous = 1 / rate.FramesPerSecond;
        }

        return EndSeconds is { } end && end - Seconds[^1] is var last && last >= 0.25 * previous && last <= 4 * previous ? last : previous;
    }

    /// <summary>From the first frame's start to the last frame's end, in seconds.</summary>
    public double Duration(FrameRate rate) => Offset(Count - 1) + LastFrameSeconds(rate);

    /// <summary>
    /// The frame on screen <paramref name="fromFirst"/> seconds after the first frame: the last frame shown at or before
    /// then (0 before the first frame), as <c>FrameTimeline.FrameShownAt</c>.
    /// </summary>
    public int FrameShownAt(double fromFirst)
    {
        var at = Seconds[0] + fromFirst + Tolerance;
        var (lo, hi) = (0, Count - 1);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (Seconds[mid] <= at)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>The last frame starting before <paramref name="fromFirst"/> (by more than the rounding tolerance); 0 when none.</summary>
    public int FrameStartingBefore(double fromFirst)
    {
        var at = Seconds[0] + fromFirst - Tolerance;
        var (lo, hi) = (0, Count - 1);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (Seconds[mid] < at)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }
}
