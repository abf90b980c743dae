using System.Globalization;

namespace FacePipeline.Media;

/// <summary>
/// A SMPTE timecode (ST 12-1): the label <c>HH:MM:SS:FF</c> of one frame of a clip counted at its frame rate, as an exact
/// frame number since 00:00:00:00. Pure arithmetic, no clock: a label is a frame count, never seconds.
/// <para>
/// The labels count <see cref="Base"/> frames a second (the rate rounded: 23.976 → 24, 29.97 → 30, 59.94 → 60), so a
/// non-drop-frame (NDF) label runs 0.1 % slow against the clock at the NTSC rates (1000/1001). Drop-frame (DF, written
/// <c>HH:MM:SS;FF</c>) keeps 29.97 and 59.94 labels on the clock: it skips the first 2 (29.97) or 4 (59.94) labels of
/// every minute except each tenth minute (00:01:00;00 and ;01 do not exist at 29.97; 00:01:00;02 is frame 1800), so ten
/// minutes are 17982 frames at 29.97 DF and an hour 107892. Frames are no frame rate's own: the label skips, no frame is
/// dropped. Numbers wrap at 24 hours, as timecode does.
/// </para>
/// </summary>
public readonly record struct Timecode
{
    private Timecode(long frameNumber, Rational frameRate, bool dropFrame)
    {
        FrameNumber = frameNumber;
        FrameRate = frameRate;
        DropFrame = dropFrame;
    }

    /// <summary>Frames since 00:00:00:00 (the label's position in a day of frames at <see cref="FrameRate"/>).</summary>
    public long FrameNumber { get; }

    /// <summary>The exact frame rate the frames are counted at (24000/1001, 30000/1001, 25/1, ...).</summary>
    public Rational FrameRate { get; }

    /// <summary>True for drop-frame labels (<c>;</c> before the frames); only 29.97 and 59.94 (and their multiples of 30 at 1000/1001) have them.</summary>
    public bool DropFrame { get; }

    /// <summary>Labels per timecode second: the frame rate rounded to a whole number (at least 1).</summary>
    public int Base => BaseOf(FrameRate);

    /// <summary>Frames in 24 hours of labels (the number at which the labels wrap to 00:00:00:00).</summary>
    public long FramesPerDay => FramesPerDayOf(Base, DropFrame);

    /// <summary>The label's fields.</summary>
    public (int Hours, int Minutes, int Seconds, int Frames) Fields
    {
        get
        {
            var label = DropFrame ? LabelNumber(FrameNumber, Base) : FrameNumber;
            var frames = (int)(label % Base);
            var seconds = label / Base;
            return ((int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60), frames);
        }
    }

    /// <summary>Labels per timecode second of <paramref name="frameRate"/>: the rate rounded, halves up (at least 1).</summary>
    public static int BaseOf(Rational frameRate)
    {
        if (!frameRate.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "A frame rate must be positive.");
        }

        return (int)Math.Max(1, ((2 * frameRate.Numerator) + frameRate.Denominator) / (2 * frameRate.Denominator));
    }

    /// <summary>
    /// Whether <paramref name="frameRate"/> can be counted drop-frame: an NTSC rate (base × 1000/1001) whose base is a
    /// multiple of 30 (29.97, 59.94, 119.88). 23.976 has no drop-frame (it runs slow; 24 labels a second, all kept).
    /// </summary>
    public static bool SupportsDropFrame(Rational frameRate)
    {
        var timecodeBase = BaseOf(frameRate);
        return timecodeBase % 30 == 0 && frameRate == new Rational(timecodeBase * 1000L, 1001);
    }

    /// <summary>The timecode of frame <paramref name="frameNumber"/> since 00:00:00:00 (wrapped at 24 hours).</summary>
    /// <exception cref="ArgumentException">Drop-frame at a rate that has none (<see cref="SupportsDropFrame"/>).</exception>
    public static Timecode FromFrameNumber(long frameNumber, Rational frameRate, bool dropFrame)
    {
        var timecodeBase = BaseOf(frameRate);
        if (dropFrame && !SupportsDropFrame(frameRate))
        {
            throw new ArgumentException($"{frameRate} fps has no drop-frame timecode (only 29.97 and 59.94 do).", nameof(dropFrame));
        }

        var day = FramesPerDayOf(timecodeBase, dropFrame);
        return new Timecode(((frameNumber % day) + day) % day, frameRate, dropFrame);
    }

    /// <summary>
    /// Parses <c>HH:MM:SS:FF</c> (non-drop) or <c>HH:MM:SS;FF</c> / <c>HH:MM:SS.FF</c> / <c>HH;MM;SS;FF</c> (drop-frame: the
    /// last separator says, as ffmpeg reads it) counted at <paramref name="frameRate"/>.
    /// </summary>
    /// <exception cref="FormatException">Not a timecode, a field out of range, a label drop-frame skips, or drop-frame at a rate without it.</exception>
    public static Timecode Parse(string text, Rational frameRate) =>
        TryParse(text, frameRate, out var timecode)
            ? timecode
            : throw new FormatException($"'{text}' is not a timecode at {frameRate} fps (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame).");

    /// <summary>Like <see cref="Parse"/>; false for null, garbage and labels that do not exist at the rate.</summary>
    public static bool TryParse(string? text, Rational frameRate, out Timecode timecode)
    {
        timecode = default;
        if (string.IsNullOrWhiteSpace(text) || !frameRate.IsPositive)
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var parts = new int[4];
        var part = 0;
        var digits = 0;
        var dropFrame = false;
        foreach (var c in span)
        {
            if (char.IsAsciiDigit(c))
            {
                if (++digits > 3)
                {
                    return false;
                }

                parts[part] = (parts[part] * 10) + (c - '0');
            }
            else if (c is ':' or ';' or '.' && digits > 0 && part < 3)
            {
                dropFrame = c is ';' or '.';
                part++;
                digits = 0;
            }
            else
            {
                return false;
            }
        }

        if (part != 3 || digits == 0)
        {
            return false;
        }

        var timecodeBase = BaseOf(frameRate);
        var (hours, minutes, seconds, frames) = (parts[0], parts[1], parts[2], parts[3]);
        if (hours > 23 || minutes > 59 || seconds > 59 || frames >= timecodeBase || (dropFrame && !SupportsDropFrame(frameRate)))
        {
            return false;
        }

        var label = (((((hours * 60L) + minutes) * 60) + seconds) * timecodeBase) + frames;
        if (dropFrame)
        {
            var drop = DropPerMinute(timecodeBase);
            if (seconds == 0 && frames < drop && minutes % 10 != 0)
            {
                return false; // a label drop-frame skips
            }

            var totalMinutes = (hours * 60L) + minutes;
            label -= drop * (totalMinutes - (totalMinutes / 10));
        }

        timecode = new Timecode(label, frameRate, dropFrame);
        return true;
    }

    /// <summary>The timecode <paramref name="frames"/> frames later (earlier when negative), wrapped at 24 hours.</summary>
    public Timecode AddFrames(long frames) => FromFrameNumber(FrameNumber + frames, FrameRate, DropFrame);

    /// <summary>
    /// The same moment counted at another rate: the frame at <paramref name="frameRate"/> nearest the time this label's frame
    /// is shown (frame number ÷ rate, halves up), drop-frame when asked and the rate has it. The same rate gives the same
    /// label (a 29.97 DF 01:00:00;00 is still 01:00:00;00; at 25 fps it is 01:00:00:00, 3600 s after midnight).
    /// </summary>
    public Timecode AtRate(Rational frameRate, bool dropFrame)
    {
        dropFrame &= SupportsDropFrame(frameRate);
        if (frameRate == FrameRate)
        {
            return FromFrameNumber(FrameNumber, frameRate, dropFrame);
        }

        var numerator = (Int128)FrameNumber * FrameRate.Denominator * frameRate.Numerator;
        var denominator = (Int128)FrameRate.Numerator * frameRate.Denominator;
        return FromFrameNumber((long)(((2 * numerator) + denominator) / (2 * denominator)), frameRate, dropFrame);
    }

    /// <summary>The label: <c>HH:MM:SS:FF</c>, or <c>HH:MM:SS;FF</c> for drop-frame (ffmpeg's <c>-timecode</c> form); three frame digits above 100 fps.</summary>
    public override string ToString() => Format(DropFrame ? ';' : ':');

    /// <summary>The label with every separator a colon (<c>HH:MM:SS:FF</c>), drop-frame or not: the digits as an editor reads them.</summary>
    public string ToColonString() => Format(':');

    private string Format(char frameSeparator)
    {
        var (hours, minutes, seconds, frames) = Fields;
        var frameDigits = Base > 100 ? "000" : "00";
        return string.Create(CultureInfo.InvariantCulture, $"{hours:00}:{minutes:00}:{seconds:00}{frameSeparator}{frames.ToString(frameDigits, CultureInfo.InvariantCulture)}");
    }

    /// <summary>Labels drop-frame skips each minute (not each tenth): 2 at 29.97, 4 at 59.94.</summary>
    private static int DropPerMinute(int timecodeBase) => timecodeBase / 30 * 2;

    private static long FramesPerDayOf(int timecodeBase, bool dropFrame) =>
        dropFrame ? 144 * FramesPerTenMinutes(timecodeBase) : 24L * 3600 * timecodeBase;

    /// <summary>Frames in ten drop-frame minutes: 17982 at 29.97, 35964 at 59.94.</summary>
    private static long FramesPerTenMinutes(int timecodeBase) => (600L * timecodeBase) - (9L * DropPerMinute(timecodeBase));

    /// <summary>The label's position among all labels (a drop-frame frame number with the skipped labels counted back in).</summary>
    private static long LabelNumber(long frameNumber, int timecodeBase)
    {
        var drop = DropPerMinute(timecodeBase);
        var perTenMinutes = FramesPerTenMinutes(timecodeBase);
        var perMinute = (60L * timecodeBase) - drop;
        var tens = frameNumber / perTenMinutes;
        var rest = frameNumber % perTenMinutes;
        var skipped = (9L * drop * tens) + (rest < drop ? 0 : drop * ((rest - drop) / perMinute));
        return frameNumber + skipped;
    }
}
