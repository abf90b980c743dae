using System.Globalization;

namespace FacePipeline.Morphable;

/// <summary>A clip's frame rate as an exact fraction (30000/1001, 25/1), as ffprobe and <c>tracking.json</c> give it.</summary>
public readonly record struct RationalFrameRate
{
    /// <summary>Creates <paramref name="numerator"/>/<paramref name="denominator"/> frames per second.</summary>
    public RationalFrameRate(long numerator, long denominator = 1)
    {
        if (numerator <= 0 || denominator <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numerator), $"A frame rate must be positive, got {numerator}/{denominator}.");
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

    /// <summary>
    /// The timecode's frames per second: the rate rounded to a whole number (29.97 → 30,
    /// 23.976 → 24, 59.94 → 60, 25 → 25).
    /// </summary>
    public int TimecodeBase => (int)Math.Max(1, Math.Round(FramesPerSecond, MidpointRounding.AwayFromZero));

    /// <summary>The time of frame <paramref name="index"/> on this rate's grid, in seconds.</summary>
    public double FrameTime(long index) => (double)index * Denominator / Numerator;

    /// <summary>Parses <c>30000/1001</c>, <c>25/1</c>, <c>25</c> or <c>29.97</c> (a decimal becomes n/1000).</summary>
    /// <exception cref="FormatException">Not a positive rate.</exception>
    public static RationalFrameRate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2 &&
            long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) &&
            long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) && n > 0 && d > 0)
        {
            return new RationalFrameRate(n, d);
        }

        if (parts.Length == 1 && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return decimal.Truncate(value) == value ? new RationalFrameRate((long)value) : new RationalFrameRate((long)Math.Round(value * 1000), 1000);
        }

        throw new FormatException($"'{text}' is not a frame rate (e.g. 30000/1001 or 25).");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Numerator}/{Denominator}";
}
