using System.Globalization;
using System.Text;
using FacePipeline.Media;
using SmpteTimecode = FacePipeline.Media.Timecode;

namespace FacePipeline.Morphable;

/// <summary>
/// Writes curves as the CSV Epic's Live Link Face app records (one row per frame), which Unreal's
/// Live Link Face importer, MetaHuman tools and the common Blender/Maya importers read.
/// <para>
/// Header: <c>Timecode,BlendShapeCount,</c> then the 52 ARKit shapes in PascalCase in the app's
/// column order, then <c>HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll</c>.
/// The app's order is Apple's <c>ARFaceAnchor.BlendShapeLocation</c> list with two pairs swapped:
/// <c>JawRight,JawLeft</c> and <c>MouthRight,MouthLeft</c> (<see cref="ColumnNames"/>); each column
/// holds the shape it names.
/// </para>
/// <list type="bullet">
/// <item><c>Timecode</c>: <c>HH:MM:SS:FF.mmm</c> (<see cref="Timecode(long, RationalFrameRate, SmpteTimecode?, double)"/>),
/// counted at the rate rounded to whole frames from the clip's start timecode (00:00:00:00 when it has none); <c>.mmm</c>
/// is the sub-frame in thousandths of a frame, always <c>.000</c> here since every row is a frame of the clip. A
/// drop-frame start (29.97, 59.94) is counted drop-frame, its labels written with colons (the format has no <c>;</c>), so
/// each row reads as the frame's timecode in the editorial system.</item>
/// <item><c>BlendShapeCount</c>: 61, the number of values after it (52 shapes + 9 angles), as the app writes.</item>
/// <item>Weights in [0, 1]; the angles as Unreal's ARKit face support normalises them: degrees / 180
/// (−1…1). Head angles are the tracked head pose (<see cref="HeadPose"/> convention); the eye angles
/// are 0: MediaPipe's 468 points have no irises, so gaze is not measured.</item>
/// </list>
/// </summary>
public static class LiveLinkFaceCsv
{
    /// <summary>Values per row after the timecode and the count (52 shapes + 9 angles).</summary>
    public const int BlendShapeCount = 61;

    /// <summary>The 52 ARKit shapes in the app's column order (camelCase; the header has them in PascalCase).</summary>
    public static IReadOnlyList<string> ColumnNames { get; } = [.. ArkitBlendshapes.Names.Select(n => n switch
    {
        "jawLeft" => "jawRight",
        "jawRight" => "jawLeft",
        "mouthLeft" => "mouthRight",
        "mouthRight" => "mouthLeft",
        _ => n,
    })];

    /// <summary>The nine angle columns after the shapes.</summary>
    public static IReadOnlyList<string> AngleColumns { get; } =
        ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll"];

    /// <summary>The header line (63 columns).</summary>
    public static string Header { get; } = string.Join(',',
        new[] { "Timecode", "BlendShapeCount" }.Concat(ColumnNames.Select(Pascal)).Concat(AngleColumns));

    private static readonly int[] ColumnSource = [.. ColumnNames.Select(ArkitBlendshapes.IndexOf)];

    /// <summary>
    /// The timecode of frame <paramref name="frameIndex"/>: <c>HH:MM:SS:FF.mmm</c>, non-drop-frame at
    /// <see cref="RationalFrameRate.TimecodeBase"/> frames per timecode second (29.97 counts 30 labels
    /// per second, so the timecode runs 0.1 % slow against the clock: 3.6 s an hour; the JSON curves
    /// carry exact times). <paramref name="subFrame"/> in [0, 1) is written as thousandths.
    /// </summary>
    public static string Timecode(long frameIndex, RationalFrameRate rate, double subFrame = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frameIndex);
        var thousandths = Thousandths(subFrame);
        long fps = rate.TimecodeBase;
        var frames = frameIndex % fps;
        var totalSeconds = frameIndex / fps;
        var hours = totalSeconds / 3600 % 24;
        var minutes = totalSeconds / 60 % 60;
        var seconds = totalSeconds % 60;
        var width = fps > 100 ? 3 : 2;
        return string.Create(CultureInfo.InvariantCulture, $"{hours:00}:{minutes:00}:{seconds:00}:{frames.ToString(new string('0', width), CultureInfo.InvariantCulture)}.{thousandths:000}");
    }

    /// <summary>
    /// The timecode of frame <paramref name="frameIndex"/> of a clip whose first frame is <paramref name="start"/>:
    /// <c>HH:MM:SS:FF.mmm</c>, the start plus <paramref name="frameIndex"/> frames at <paramref name="rate"/> (wrapping at 24
    /// hours), drop-frame when the start is (its label written with colons); as <see cref="Timecode(long, RationalFrameRate, double)"/>
    /// without a start.
    /// </summary>
    public static string Timecode(long frameIndex, RationalFrameRate rate, SmpteTimecode? start, double subFrame = 0)
    {
        if (StartAt(start, rate) is not { } first)
        {
            return Timecode(frameIndex, rate, subFrame);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(frameIndex);
        var thousandths = Thousandths(subFrame);
        return string.Create(CultureInfo.InvariantCulture, $"{first.AddFrames(frameIndex).ToColonString()}.{thousandths:000}");
    }

    /// <summary>
    /// The start timecode counted at the curves' <paramref name="rate"/> (<see cref="SmpteTimecode.AtRate"/>: the same label
    /// at the clip's own rate), drop-frame kept where the rate has it; null without a start.
    /// </summary>
    public static SmpteTimecode? StartAt(SmpteTimecode? start, RationalFrameRate rate) =>
        start is { } first ? first.AtRate(new Rational(rate.Numerator, rate.Denominator), first.DropFrame) : null;

    private static int Thousandths(double subFrame) =>
        subFrame >= 0 && subFrame < 1
            ? Math.Min(999, (int)Math.Round(subFrame * 1000))
            : throw new ArgumentOutOfRangeException(nameof(subFrame), "The sub-frame must be in [0, 1).");

    /// <summary>Writes the header and one row per frame, timed from <paramref name="start"/> (the clip's first timecode; null: 00:00:00:00).</summary>
    public static void Write(TextWriter writer, BlendshapeAnimation animation, SmpteTimecode? start = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(animation);
        WriteHeader(writer);
        var line = new StringBuilder(1024);
        var first = StartAt(start, animation.Rate);
        foreach (var frame in animation.Frames)
        {
            WriteRow(writer, frame, animation.Rate, first, line);
        }
    }

    /// <summary>The header line, for a writer that writes the rows as it goes (<see cref="WriteRow"/>).</summary>
    internal static void WriteHeader(TextWriter writer)
    {
        writer.Write(Header);
        writer.Write('\n');
    }

    /// <summary>One frame's row (<paramref name="start"/>: the first timecode at <paramref name="rate"/>, <see cref="StartAt"/>; <paramref name="line"/>: a scratch builder reused between rows).</summary>
    internal static void WriteRow(TextWriter writer, BlendshapeFrame frame, RationalFrameRate rate, SmpteTimecode? start, StringBuilder line)
    {
        line.Clear();
        line.Append(Timecode(frame.Index, rate, start)).Append(',').Append(BlendShapeCount.ToString(CultureInfo.InvariantCulture));
        foreach (var source in ColumnSource)
        {
            line.Append(',').Append(Number(frame.Weights[source]));
        }

        line.Append(',').Append(Number(frame.Head.YawDegrees / 180))
            .Append(',').Append(Number(frame.Head.PitchDegrees / 180))
            .Append(',').Append(Number(frame.Head.RollDegrees / 180));
        for (var k = 0; k < 6; k++)
        {
            line.Append(",0");
        }

        writer.Write(line);
        writer.Write('\n');
    }

    /// <summary>Writes the CSV to a file (UTF-8 without BOM, LF line ends).</summary>
    public static void Write(string path, BlendshapeAnimation animation, SmpteTimecode? start = null)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Write(writer, animation, start);
    }

    private static string Pascal(string camel) => char.ToUpperInvariant(camel[0]) + camel[1..];

    private static string Number(double value)
    {
        var rounded = Math.Round(value, 6);
        return rounded == 0 ? "0" : rounded.ToString("0.######", CultureInfo.InvariantCulture);
    }
}
