using System.Globalization;
using System.Numerics;

namespace FacePipeline.Media;

/// <summary>
/// An exact, reduced fraction such as a frame rate (30000/1001) or a time base (1/11988).
/// The denominator is always positive; 0/1 is the only representation of zero.
/// </summary>
public readonly record struct Rational
{
    public Rational(long numerator, long denominator)
    {
        if (denominator == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(denominator), "A rational number cannot have a zero denominator.");
        }

        if (denominator < 0)
        {
            numerator = -numerator;
            denominator = -denominator;
        }

        var gcd = (long)BigInteger.GreatestCommonDivisor(numerator, denominator);
        Numerator = numerator / gcd;
        Denominator = denominator / gcd;
    }

    public long Numerator { get; }

    public long Denominator { get; }

    public bool IsPositive => Numerator > 0;

    public double ToDouble() => (double)Numerator / Denominator;

    public decimal ToDecimal() => (decimal)Numerator / Denominator;

    /// <summary>The reciprocal, e.g. the frame duration of a frame rate.</summary>
    public Rational Invert() => new(Denominator, Numerator);

    /// <summary>Parses "30000/1001", "25", "25/1" or "-90" (invariant culture). Throws on "0/0" and garbage.</summary>
    public static Rational Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a rational number such as 30000/1001.");

    /// <summary>Like <see cref="Parse"/>; false for null, garbage and a zero denominator ("0/0" is what ffprobe prints for "unknown").</summary>
    public static bool TryParse(string? text, out Rational value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var slash = span.IndexOfAny('/', ':');
        const NumberStyles Style = NumberStyles.AllowLeadingSign;
        if (slash < 0)
        {
            if (!long.TryParse(span, Style, CultureInfo.InvariantCulture, out var whole))
            {
                return false;
            }

            value = new Rational(whole, 1);
            return true;
        }

        if (!long.TryParse(span[..slash], Style, CultureInfo.InvariantCulture, out var numerator)
            || !long.TryParse(span[(slash + 1)..], Style, CultureInfo.InvariantCulture, out var denominator)
            || denominator == 0)
        {
            return false;
        }

        value = new Rational(numerator, denominator);
        return true;
    }

    /// <summary>"30000/1001"; the form ffmpeg accepts for -framerate and -r.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Numerator}/{Denominator}");

    public static Rational operator *(Rational left, Rational right) =>
        new(checked(left.Numerator * right.Numerator), checked(left.Denominator * right.Denominator));

    public static Rational operator *(Rational left, long right) =>
        new(checked(left.Numerator * right), left.Denominator);
}
