using System.Globalization;
using System.Text;

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
/// <item><c>Timecode</c>: <c>HH:MM:SS:FF.mmm</c> (<see cref="Timecode"/>), non-drop-frame, counted at
/// the rate rounded to whole frames; <c>.mmm</c> is the sub-frame in thousandths of a frame, always
/// <c>.000</c> here since every row is a frame of the clip.</item>
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
        if (!(subFrame >= 0 && subFrame < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(subFrame), "The sub-frame must be in [0, 1).");
        }

        long fps = rate.TimecodeBase;
        var frames = frameIndex % fps;
        var totalSeconds = frameIndex / fps;
        var hours = totalSeconds / 3600 % 24;
        var minutes = totalSeconds / 60 % 60;
        var seconds = totalSeconds % 60;
        var thousandths = Math.Min(999, (int)Math.Round(subFrame * 1000));
        var width = fps > 100 ? 3 : 2;
        return string.Create(CultureInfo.InvariantCulture, $"{hours:00}:{minutes:00}:{seconds:00}:{frames.ToString(new string('0', width), CultureInfo.InvariantCulture)}.{thousandths:000}");
    }

    /// <summary>Writes the header and one row per frame.</summary>
    public static void Write(TextWriter writer, BlendshapeAnimation animation)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(animation);
        WriteHeader(writer);
        var line = new StringBuilder(1024);
        foreach (var frame in animation.Frames)
        {
            WriteRow(writer, frame, animation.Rate, line);
        }
    }

    /// <summary>The header line, for a writer that writes the rows as it goes (<see cref="WriteRow"/>).</summary>
    internal static void WriteHeader(TextWriter writer)
    {
        writer.Write(Header);
        writer.Write('\n');
    }

    /// <summary>One frame's row (<paramref name="line"/>: a scratch builder reused between rows).</summary>
    internal static void WriteRow(TextWriter writer, BlendshapeFrame frame, RationalFrameRate rate, StringBuilder line)
    {
        line.Clear();
        line.Append(Timecode(frame.Index, rate)).Append(',').Append(BlendShapeCount.ToString(CultureInfo.InvariantCulture));
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
    public static void Write(string path, BlendshapeAnimation animation)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Write(writer, animation);
    }

    private static string Pascal(string camel) => char.ToUpperInvariant(camel[0]) + camel[1..];

    private static string Number(double value)
    {
        var rounded = Math.Round(value, 6);
        return rounded == 0 ? "0" : rounded.ToString("0.######", CultureInfo.InvariantCulture);
    }
}
