using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>What to do when the target clip is shorter than the source.</summary>
public enum ShortTargetMode
{
    /// <summary>Play forward then backward: 0,1,…,n−1,n−2,…,1,0,1,… (no jump cut).</summary>
    PingPong = 0,

    /// <summary>Wrap around: 0,1,…,n−1,0,1,….</summary>
    Loop = 1,

    /// <summary>Freeze on the last frame.</summary>
    HoldLast = 2,
}

/// <summary>A frame rate as an exact fraction (e.g. 30000/1001, 25/1).</summary>
public readonly record struct FrameRate
{
    /// <summary>Creates <paramref name="numerator"/>/<paramref name="denominator"/> frames per second.</summary>
    public FrameRate(long numerator, long denominator = 1)
    {
        if (numerator <= 0 || denominator <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numerator), "A frame rate must be positive.");
        }

        Numerator = numerator;
        Denominator = denominator;
    }

    /// <summary>Frames per <see cref="Denominator"/> seconds.</summary>
    public long Numerator { get; }

    /// <summary>Seconds per <see cref="Numerator"/> frames.</summary>
    public long Denominator { get; }

    /// <summary>As a double.</summary>
    public double FramesPerSecond => (double)Numerator / Denominator;

    /// <inheritdoc/>
    public override string ToString() => $"{Numerator}/{Denominator}";
}

/// <summary>
/// Timing of a retarget: which target frame (the target clip's footage) goes with each output frame,
/// and resampling of a sequence between frame rates. The output always has the source's length.
/// </summary>
public static class TimingMap
{
    /// <summary>
    /// The target frame for output frame <paramref name="outputFrame"/>: itself while the target lasts
    /// (a longer target is trimmed), then per <paramref name="mode"/>.
    /// </summary>
    public static int TargetFrame(int outputFrame, int targetLength, ShortTargetMode mode = ShortTargetMode.PingPong)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputFrame);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetLength, 1);
        if (outputFrame < targetLength)
        {
            return outputFrame;
        }

        switch (mode)
        {
            case ShortTargetMode.Loop:
                return outputFrame % targetLength;
            case ShortTargetMode.HoldLast:
                return targetLength - 1;
            case ShortTargetMode.PingPong:
                if (targetLength == 1)
                {
                    return 0;
                }

                var period = 2 * (targetLength - 1);
                var k = outputFrame % period;
                return k < targetLength ? k : period - k;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }
    }

    /// <summary>
    /// The target frame for an output frame shown <paramref name="seconds"/> after the result's start, by time (issue 15:
    /// a variable-frame-rate performer or target): the target frame shown that long after the target's first frame while
    /// the target lasts (its <see cref="ClipClock.Duration"/>); past its end, per <paramref name="mode"/>, every frame for
    /// its own duration: <see cref="ShortTargetMode.Loop"/> starts again from frame 0, <see cref="ShortTargetMode.HoldLast"/>
    /// keeps the last frame, <see cref="ShortTargetMode.PingPong"/> plays frames n−2 … 1 backwards, then forwards again from
    /// 0. On a constant-rate target at the output's rate this is <see cref="TargetFrame"/> of the output frame's index.
    /// </summary>
    public static int TargetFrameAt(double seconds, ClipClock target, FrameRate targetRate, ShortTargetMode mode = ShortTargetMode.PingPong)
    {
        ArgumentNullException.ThrowIfNull(target);
        const double tolerance = 1e-6;
        seconds = Math.Max(0, seconds);
        var n = target.Count;
        var duration = target.Duration(targetRate);
        if (n == 1 || seconds < duration - tolerance || mode == ShortTargetMode.HoldLast)
        {
            return target.FrameShownAt(seconds);
        }

        switch (mode)
        {
            case ShortTargetMode.Loop:
                return target.FrameShownAt(Wrap(seconds, duration));
            case ShortTargetMode.PingPong:
                // One cycle: the whole target forwards (its duration), then frames n−2 … 1 backwards, each for its own
                // duration (t_{n−1} − t_1 in all). Backwards, frame j is shown while t_{n−1} − (time into the backward pass)
                // lies in (t_j, t_{j+1}].
                var backward = target.Offset(n - 1) - target.Offset(1);
                var u = Wrap(seconds, duration + backward);
                if (u < duration - tolerance)
                {
                    return target.FrameShownAt(u);
                }

                return Math.Clamp(target.FrameStartingBefore(target.Offset(n - 1) - (u - duration)), 1, Math.Max(1, n - 2));
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }

        static double Wrap(double value, double period) =>
            period <= 0 ? 0 : Math.Max(0, value - (Math.Floor((value + tolerance) / period) * period));
    }

    /// <summary>The target frame for every one of the <paramref name="sourceLength"/> output frames.</summary>
    public static int[] TargetFrames(int sourceLength, int targetLength, ShortTargetMode mode = ShortTargetMode.PingPong)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        var result = new int[sourceLength];
        for (var i = 0; i < sourceLength; i++)
        {
            result[i] = TargetFrame(i, targetLength, mode);
        }

        return result;
    }

    /// <summary>Number of frames at <paramref name="to"/> covering <paramref name="sourceCount"/> frames at
    /// <paramref name="from"/>: ⌈count·to/from⌉ (exact integer arithmetic).</summary>
    public static int ResampledCount(int sourceCount, FrameRate from, FrameRate to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceCount);
        var num = (Int128)sourceCount * from.Denominator * to.Numerator;
        var den = (Int128)from.Numerator * to.Denominator;
        return (int)((num + den - 1) / den);
    }

    /// <summary>Time of output frame <paramref name="outputFrame"/> at rate <paramref name="to"/>, in seconds.</summary>
    public static double OutputTime(int outputFrame, FrameRate to) => (double)outputFrame * to.Denominator / to.Numerator;

    /// <summary>Position of output frame i (at <paramref name="to"/>) on the source's frame axis
    /// (at <paramref name="from"/>): i·(from/to), e.g. 1.1988 for i = 1, 30000/1001 → 25.</summary>
    public static double SourcePosition(int outputFrame, FrameRate from, FrameRate to) =>
        (double)((Int128)outputFrame * to.Denominator * from.Numerator) / (double)((Int128)to.Numerator * from.Denominator);

    /// <summary>The source frame shown at output frame i: the latest source frame starting at or before
    /// its time, ⌊i·(from/to)⌋, in exact integer arithmetic.</summary>
    public static int SourceFrameFloor(int outputFrame, FrameRate from, FrameRate to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputFrame);
        var num = (Int128)outputFrame * to.Denominator * from.Numerator;
        var den = (Int128)to.Numerator * from.Denominator;
        return (int)(num / den);
    }

    /// <summary>The source frame nearest in time to output frame i: ⌊i·(from/to) + ½⌋, exact.</summary>
    public static int SourceFrameNearest(int outputFrame, FrameRate from, FrameRate to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputFrame);
        var num = (Int128)outputFrame * to.Denominator * from.Numerator;
        var den = (Int128)to.Numerator * from.Denominator;
        return (int)(((2 * num) + den) / (2 * den));
    }

    /// <summary>
    /// Resamples a landmark sequence from <paramref name="from"/> to <paramref name="to"/>: output frame
    /// i interpolates linearly between the two source frames around <see cref="SourcePosition"/>
    /// (clamped to the last frame).
    /// </summary>
    public static Vec3[][] Resample(IReadOnlyList<Vec3[]> frames, FrameRate from, FrameRate to)
    {
        var n = ResampledCount(frames.Count, from, to);
        var result = new Vec3[n][];
        for (var i = 0; i < n; i++)
        {
            var a = Math.Min(SourceFrameFloor(i, from, to), frames.Count - 1);
            var b = Math.Min(a + 1, frames.Count - 1);
            var t = Math.Clamp(SourcePosition(i, from, to) - a, 0, 1);
            var fa = frames[a];
            var fb = frames[b];
            var frame = new Vec3[fa.Length];
            for (var k = 0; k < frame.Length; k++)
            {
                frame[k] = fa[k] + ((fb[k] - fa[k]) * t);
            }

            result[i] = frame;
        }

        return result;
    }
}
