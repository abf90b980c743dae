using System.Globalization;

namespace FacePipeline.Media;

/// <summary>
/// When each frame handed to an encoder is shown (issue 15): per frame, its presentation time in seconds on the clock of
/// the audio it is muxed with (a <see cref="FrameTimeline"/>'s clock), and the same times as exact ticks of
/// <see cref="TimeBase"/> from the first frame. A clip encoded with a timing keeps these times, variable frame rate
/// included: frame k of the source is shown at the source's time of frame k (see docs/architecture.md, "How a frame
/// travels", timing rule).
/// </summary>
public sealed class FrameTiming
{
    /// <summary>The tick used when the times come as seconds only: 1/90000 s (MPEG's clock; a rounding of 5.6 µs at most).</summary>
    public static readonly Rational DefaultTimeBase = new(1, 90_000);

    private FrameTiming(IReadOnlyList<double> seconds, Rational timeBase, long[] ticks, long lastDurationTicks)
    {
        Seconds = seconds;
        TimeBase = timeBase;
        Ticks = ticks;
        LastDurationTicks = lastDurationTicks;
    }

    /// <summary>Per frame: when it is shown, in seconds (on the audio's clock; the first frame need not be at 0).</summary>
    public IReadOnlyList<double> Seconds { get; }

    /// <summary>The tick of <see cref="Ticks"/> (a timeline's stream time base when known, so no time is rounded).</summary>
    public Rational TimeBase { get; }

    /// <summary>Per frame: ticks from the first frame (0 for the first), strictly increasing.</summary>
    public IReadOnlyList<long> Ticks { get; }

    /// <summary>How long the last frame is shown, in ticks.</summary>
    public long LastDurationTicks { get; }

    /// <summary>Frames timed.</summary>
    public int Count => Ticks.Count;

    /// <summary>Seconds from the first frame's start to the last frame's end.</summary>
    public double DurationSeconds => TicksToSeconds(Ticks[^1] + LastDurationTicks);

    /// <summary>
    /// The timing of an extraction's frames: the timeline's pts when it has them (exact), else its seconds. The last frame
    /// lasts until the timeline's <see cref="FrameTimeline.EndSeconds"/> (the video stream's end) when that is within a
    /// quarter and four times the interval before it; else until <paramref name="endSeconds"/> (on the timeline's clock,
    /// e.g. the container's duration) when that is within half and one and a half of it (a container's duration often
    /// counts a longer audio track, so it is no guide beyond that); else as long as the frame before.
    /// </summary>
    public static FrameTiming FromTimeline(FrameTimeline timeline, double? endSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        if (timeline.Seconds.Count == 0)
        {
            throw new ArgumentException("The timeline has no frames.", nameof(timeline));
        }

        var (end, low, high) = timeline.EndSeconds is { } streamEnd ? (streamEnd, 0.25, 4.0) : (endSeconds, 0.5, 1.5);
        if (timeline.Pts.Count == timeline.Seconds.Count && Rational.TryParse(timeline.TimeBase, out var timeBase) && timeBase.IsPositive)
        {
            var ticks = timeline.Pts.Select(p => p - timeline.Pts[0]).ToArray();
            return Create(timeline.Seconds, timeBase, ticks, end, low, high);
        }

        return FromSeconds(timeline.Seconds, end, null, low, high);
    }

    /// <summary>
    /// The timing of frames shown at <paramref name="seconds"/>, counted in <paramref name="timeBase"/> ticks (default 1/90000 s).
    /// The last frame lasts until <paramref name="endSeconds"/> when that is within half and one and a half of the interval
    /// before it, else as long as the frame before.
    /// </summary>
    public static FrameTiming FromSeconds(IReadOnlyList<double> seconds, double? endSeconds = null, Rational? timeBase = null) =>
        FromSeconds(seconds, endSeconds, timeBase, 0.5, 1.5);

    private static FrameTiming FromSeconds(IReadOnlyList<double> seconds, double? endSeconds, Rational? timeBase, double low, double high)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        if (seconds.Count == 0)
        {
            throw new ArgumentException("No frame times.", nameof(seconds));
        }

        var tb = timeBase ?? DefaultTimeBase;
        if (!tb.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(timeBase), tb, "The time base must be positive.");
        }

        var ticks = seconds.Select(s => (long)Math.Round((s - seconds[0]) * tb.Denominator / tb.Numerator, MidpointRounding.AwayFromZero)).ToArray();
        return Create(seconds, tb, ticks, endSeconds, low, high);
    }

    /// <summary>The timing of <paramref name="count"/> frames at the constant <paramref name="rate"/>, from <paramref name="firstSeconds"/>.</summary>
    public static FrameTiming ConstantRate(int count, Rational rate, double firstSeconds = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!rate.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The frame rate must be positive.");
        }

        var timeBase = new Rational(rate.Denominator, rate.Numerator);
        var ticks = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        var seconds = ticks.Select(t => firstSeconds + ((double)t * rate.Denominator / rate.Numerator)).ToArray();
        return new FrameTiming(seconds, timeBase, ticks, 1);
    }

    /// <summary>
    /// True when every frame is within a tenth of a frame of <c>first + k / rate</c>: a constant-rate clip at
    /// <paramref name="rate"/> (its times are then written as that exact rate, each frame lasting one frame).
    /// </summary>
    public bool IsConstantRate(Rational rate)
    {
        if (!rate.IsPositive)
        {
            return false;
        }

        var frame = (double)rate.Denominator / rate.Numerator;
        for (var k = 0; k < Count; k++)
        {
            if (Math.Abs(TicksToSeconds(Ticks[k]) - (k * frame)) > frame / 10)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Frames <paramref name="first"/> .. + <paramref name="count"/> − 1 as a timing of their own, ticks from the first of
    /// them (a segment of an output, <see cref="ClipSegments"/>): each frame keeps its length, the last one too (until the
    /// next frame, or the whole timing's end).
    /// </summary>
    public FrameTiming Slice(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, Count, nameof(count));
        var origin = Ticks[first];
        var ticks = new long[count];
        for (var k = 0; k < count; k++)
        {
            ticks[k] = Ticks[first + k] - origin;
        }

        var last = first + count < Count ? Ticks[first + count] - Ticks[first + count - 1] : LastDurationTicks;
        return new FrameTiming([.. Seconds.Skip(first).Take(count)], TimeBase, ticks, last);
    }

    /// <summary>The same frame times with the last frame lasting <paramref name="lastDurationTicks"/>.</summary>
    internal FrameTiming WithLastDuration(long lastDurationTicks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lastDurationTicks, 1);
        return new FrameTiming(Seconds, TimeBase, [.. Ticks], lastDurationTicks);
    }

    /// <summary>Ticks as seconds.</summary>
    public double TicksToSeconds(long ticks) => (double)ticks * TimeBase.Numerator / TimeBase.Denominator;

    /// <summary>Ticks as nanoseconds, rounded (exact for any tick of a microsecond or coarser).</summary>
    public long TicksToNanoseconds(long ticks) =>
        (long)(((Int128)ticks * TimeBase.Numerator * 1_000_000_000 * 2 + TimeBase.Denominator) / (2 * (Int128)TimeBase.Denominator));

    /// <summary>"num/den" of <see cref="TimeBase"/>, as ffmpeg's -enc_time_base takes it.</summary>
    public string TimeBaseArgument => string.Create(CultureInfo.InvariantCulture, $"{TimeBase.Numerator}/{TimeBase.Denominator}");

    private static FrameTiming Create(IReadOnlyList<double> seconds, Rational timeBase, long[] ticks, double? endSeconds, double low, double high)
    {
        // Strictly increasing: a repeated or backward time (a broken file) is moved one tick after the frame before,
        // so the muxer never sees two frames at one time.
        for (var k = 1; k < ticks.Length; k++)
        {
            if (ticks[k] <= ticks[k - 1])
            {
                ticks[k] = ticks[k - 1] + 1;
            }
        }

        var perSecond = (double)timeBase.Denominator / timeBase.Numerator;
        var previous = ticks.Length > 1 ? ticks[^1] - ticks[^2] : Math.Max(1, (long)Math.Round(perSecond / 25));
        var last = previous;
        if (endSeconds is { } end)
        {
            var endTicks = (long)Math.Round((end - seconds[0]) * perSecond, MidpointRounding.AwayFromZero);
            var candidate = endTicks - ticks[^1];
            if (candidate > 0 && candidate >= low * previous && candidate <= high * previous)
            {
                last = candidate;
            }
        }

        return new FrameTiming(seconds, timeBase, ticks, Math.Max(1, last));
    }
}
