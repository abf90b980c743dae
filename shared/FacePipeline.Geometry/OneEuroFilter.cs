namespace FacePipeline.Geometry;

/// <summary>
/// Settings of a <see cref="OneEuroFilter"/> (Casiez, Roussel, Vogel: "1€ Filter", CHI 2012).
/// The cutoff frequency in hertz is <c>MinCutoff + Beta · |smoothed speed|</c>, the speed being in
/// value units per second (times the filter's value scale, see <see cref="OneEuroFilter.Filter"/>).
/// </summary>
/// <param name="MinCutoff">Cutoff when still (Hz): lower = less jitter, more lag at slow speeds.</param>
/// <param name="Beta">Speed coefficient (Hz per unit/s): higher = less lag in fast motion.</param>
/// <param name="DerivativeCutoff">Cutoff of the speed estimate (Hz).</param>
public sealed record OneEuroOptions(double MinCutoff = 0.3, double Beta = 40, double DerivativeCutoff = 2)
{
    /// <summary>
    /// The defaults, tuned for face landmarks with speeds in face sizes per second (the
    /// <see cref="LandmarkFilter"/> normalises by the face's size) at 24–60 fps: min cutoff 0.3 Hz,
    /// beta 40, derivative cutoff 2 Hz. At 30 fps (see the tests): jitter of 0.2% of the face
    /// size shrinks about 2.7x; a sudden jump of 10% of the face size reaches 90% within 2 frames.
    /// Beta 40 rather than 15 keeps more of fast mouth motion (78% of the lip-gap range on GRID
    /// clips against 61%) while still-face jitter stays at 0.27% of the eye distance, far inside
    /// the 1% goal (facepipe-bench jitter).
    /// </summary>
    public static OneEuroOptions Default { get; } = new();

    internal void Validate()
    {
        if (!(MinCutoff > 0) || !(Beta >= 0) || !(DerivativeCutoff > 0) || double.IsInfinity(MinCutoff + Beta + DerivativeCutoff))
        {
            throw new ArgumentException($"Invalid One Euro filter settings: {this}.");
        }
    }
}

/// <summary>What a <see cref="OneEuroFilter"/> remembers of the samples it has seen.</summary>
public readonly record struct OneEuroState(bool HasValue, double LastRaw, double LastFiltered, double LastSpeed, double LastTime);

/// <summary>
/// The One Euro filter for one scalar: an adaptive first-order low-pass whose cutoff rises with
/// speed, so that still values are smoothed hard and fast motion passes with little lag.
/// Frame-rate aware: the smoothing factors come from the actual time between samples.
/// </summary>
public sealed class OneEuroFilter
{
    private readonly OneEuroOptions options;
    private double lastRaw;
    private double lastFiltered;
    private double lastSpeed;
    private double lastTime;

    /// <summary>Creates a filter; <paramref name="options"/> default to <see cref="OneEuroOptions.Default"/>.</summary>
    public OneEuroFilter(OneEuroOptions? options = null)
    {
        this.options = options ?? OneEuroOptions.Default;
        this.options.Validate();
    }

    /// <summary>Whether the filter has seen a sample since creation or <see cref="Reset"/>.</summary>
    public bool HasValue { get; private set; }

    /// <summary>The last filtered value.</summary>
    public double Value => lastFiltered;

    /// <summary>
    /// Filters one sample taken at <paramref name="timestampSeconds"/>. The first sample passes
    /// unchanged. A sample at the same time as the previous one returns the previous output
    /// (a duplicated frame); a time earlier than the previous one throws (call <see cref="Reset"/>
    /// for a new sequence).
    /// </summary>
    /// <param name="value">The raw value.</param>
    /// <param name="timestampSeconds">Its time.</param>
    /// <param name="valueScale">Multiplies the speed before it is used (e.g. 1 / face size, so
    /// that <see cref="OneEuroOptions.Beta"/> does not depend on resolution or units).</param>
    public double Filter(double value, double timestampSeconds, double valueScale = 1)
    {
        if (!HasValue)
        {
            HasValue = true;
            lastRaw = lastFiltered = value;
            lastSpeed = 0;
            lastTime = timestampSeconds;
            return value;
        }

        var dt = timestampSeconds - lastTime;
        if (dt < 0)
        {
            throw new ArgumentException($"Timestamp {timestampSeconds} s is before the previous one ({lastTime} s); reset the filter for a new sequence.", nameof(timestampSeconds));
        }

        if (dt == 0)
        {
            return lastFiltered;
        }

        // Speed from the raw values (as the paper's reference implementation), smoothed.
        var speed = (value - lastRaw) * valueScale / dt;
        lastSpeed += Alpha(options.DerivativeCutoff, dt) * (speed - lastSpeed);
        var cutoff = options.MinCutoff + (options.Beta * Math.Abs(lastSpeed));
        lastFiltered += Alpha(cutoff, dt) * (value - lastFiltered);
        lastRaw = value;
        lastTime = timestampSeconds;
        return lastFiltered;
    }

    /// <summary>Forgets the history; the next sample passes unchanged.</summary>
    public void Reset() => HasValue = false;

    /// <summary>
    /// Where the filter is: set on another filter of the same options, it goes on exactly as this one would (a clip's
    /// filter handed from one segment's worker to the next).
    /// </summary>
    public OneEuroState State
    {
        get => new(HasValue, lastRaw, lastFiltered, lastSpeed, lastTime);
        set => (HasValue, lastRaw, lastFiltered, lastSpeed, lastTime) = (value.HasValue, value.LastRaw, value.LastFiltered, value.LastSpeed, value.LastTime);
    }

    /// <summary>Smoothing factor of a first-order low-pass with the given cutoff for a step of dt.</summary>
    public static double Alpha(double cutoffHz, double dt)
    {
        var tau = 1 / (2 * Math.PI * cutoffHz);
        return 1 / (1 + (tau / dt));
    }
}
