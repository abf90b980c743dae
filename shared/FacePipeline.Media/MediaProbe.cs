using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FacePipeline.Media;

/// <summary>
/// Probes a file with ffprobe (started by <see cref="MediaProcess"/>) and maps ffprobe's JSON to a <see cref="VideoProbe"/>.
/// The mapping (<see cref="FromFfprobeJson"/>) and the failure diagnosis (<see cref="DescribeProbeFailure"/>)
/// are pure functions so they can be tested on captured ffprobe output.
/// </summary>
public static partial class MediaProbe
{
    /// <summary>
    /// Probes <paramref name="path"/> with the input locked down (local file, allowed demuxers and still-image
    /// demuxers only). Does not validate: an audio-only file or a still image probes fine; see
    /// <see cref="VideoValidator"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist (a caller error, not a bad upload).</exception>
    /// <exception cref="MediaRejectedException">The file is empty, unreadable, corrupt or of a refused container.</exception>
    public static async Task<VideoProbe> ProbeAsync(string path, MediaLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= MediaLimits.Default;
        var fullPath = Path.GetFullPath(path);
        var file = new FileInfo(fullPath);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"No file at {fullPath}.", fullPath);
        }

        if (file.Length == 0)
        {
            throw new MediaRejectedException(MediaRejectionKind.Empty, "The upload could not be read as media: it is empty.");
        }

        // Still-image demuxers are always allowed for probing, so that an image gets a precise reason
        // ("a still image (png), not a video"); the validator decides whether an image is acceptable.
        var lockdown = ContainerPolicy.InputLockdownArguments(limits.AllowedContainers.Concat(ContainerPolicy.StillImageDemuxers));
        string[] arguments =
        [
            "-loglevel", "error", "-print_format", "json", "-show_format", "-sexagesimal", "-show_streams", "-show_chapters",
            .. lockdown.Split(' ', StringSplitOptions.RemoveEmptyEntries), fullPath,
        ];
        var result = await MediaProcess.RunAsync("ffprobe", arguments, writeInput: null, captureOutput: true, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw DescribeProbeFailure(result.StandardError, ReadHeader(fullPath), fullPath);
        }

        try
        {
            using var document = JsonDocument.Parse(result.StandardOutput);
            if (!document.RootElement.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("ffprobe's answer has no format section.");
            }
        }
        catch (JsonException ex)
        {
            // ffprobe's answer makes no sense (e.g. no format section).
            throw new MediaRejectedException(MediaRejectionKind.Unreadable, "The upload could not be read as media: it is not a recognised video format.", ex);
        }

        return FromFfprobeJson(result.StandardOutput);
    }

    /// <summary>
    /// Maps the output of <c>ffprobe -print_format json -show_format -show_streams</c> (with or without
    /// <c>-sexagesimal</c>) to a <see cref="VideoProbe"/>. Frame rates and time bases are taken from
    /// ffprobe's rational strings, never from doubles, so 30000/1001 stays 30000/1001.
    /// </summary>
    public static VideoProbe FromFfprobeJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;

        var formatName = GetString(format, "format_name") ?? "unknown";
        var formatDuration = ParseTime(GetString(format, "duration"));
        var formatStart = ParseTime(GetString(format, "start_time"));
        var size = long.TryParse(GetString(format, "size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : (long?)null;
        var isStill = ContainerPolicy.IsStillImageFormat(formatName);

        VideoStreamProbe? video = null;
        AudioStreamProbe? audio = null;
        string? trackTimecode = null;
        string? videoTimecode = null;
        if (root.TryGetProperty("streams", out var streams) && streams.ValueKind == JsonValueKind.Array)
        {
            foreach (var stream in streams.EnumerateArray())
            {
                var type = GetString(stream, "codec_type");
                if (type == "data" && GetString(stream, "codec_tag_string") == "tmcd")
                {
                    trackTimecode ??= TimecodeTag(stream);
                }

                if (video is null && type == "video" && !IsAttachedPicture(stream))
                {
                    video = MapVideo(stream, formatDuration, isStill);
                    videoTimecode = TimecodeTag(stream);
                }
                else if (audio is null && type == "audio")
                {
                    audio = MapAudio(stream);
                }
            }
        }

        return new VideoProbe(
            formatName,
            GetString(format, "format_long_name"),
            formatDuration ?? TimeSpan.Zero,
            formatStart ?? TimeSpan.Zero,
            size,
            video,
            audio,
            trackTimecode ?? videoTimecode ?? TimecodeTag(format));
    }

    /// <summary>
    /// Turns ffprobe's stderr for a file it could not open into a rejection a studio person can act on.
    /// </summary>
    /// <param name="standardError">ffprobe's stderr lines (run with -v error).</param>
    /// <param name="header">The first bytes of the file (16 are enough), to tell a cut-off MP4 from a non-media file.</param>
    /// <param name="path">The probed path, removed from messages (never show server paths to users).</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public static MediaRejectedException DescribeProbeFailure(IReadOnlyList<string> standardError, ReadOnlySpan<byte> header, string? path = null, Exception? inner = null)
    {
        ArgumentNullException.ThrowIfNull(standardError);
        foreach (var line in standardError)
        {
            var whitelist = FormatNotOnWhitelist().Match(line);
            if (whitelist.Success)
            {
                var demuxer = ContainerPolicy.Split(whitelist.Groups["fmt"].Value).FirstOrDefault() ?? "unknown";
                return new MediaRejectedException(
                    MediaRejectionKind.UnsupportedContainer,
                    $"Unsupported container '{demuxer}'. Upload a single video file (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV, Ogg, MXF or WMV), not a playlist or reference file.",
                    inner);
            }

            if (line.Contains("not on whitelist", StringComparison.Ordinal))
            {
                return new MediaRejectedException(
                    MediaRejectionKind.UnsupportedContainer,
                    "The upload refers to other files or URLs (a playlist or reference file), which is not accepted. Upload the video file itself.",
                    inner);
            }
        }

        if (standardError.Any(l => l.Contains("moov atom not found", StringComparison.Ordinal)))
        {
            return LooksLikeIsoMedia(header)
                ? new MediaRejectedException(
                    MediaRejectionKind.Corrupt,
                    "The file is truncated or corrupt: moov atom not found. The MP4/MOV index is missing, which usually means the upload or the recording was cut off; re-export or upload the file again.",
                    inner)
                : NotMedia(inner);
        }

        var last = LastMeaningfulLine(standardError, path);
        if (last is null || last.Contains("Invalid data found when processing input", StringComparison.Ordinal))
        {
            return NotMedia(inner);
        }

        return new MediaRejectedException(MediaRejectionKind.Unreadable, $"The upload could not be read as media: {last}.", inner);
    }

    /// <summary>
    /// The last stderr line that says something, without the file path and without ffmpeg's
    /// "[demuxer @ 0x...]" context prefix; null if there is none.
    /// </summary>
    public static string? LastMeaningfulLine(IEnumerable<string> standardError, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(standardError);
        string? last = null;
        foreach (var raw in standardError)
        {
            var line = raw.Trim();
            if (path is not null)
            {
                line = line.Replace(path + ": ", string.Empty, StringComparison.Ordinal).Replace(path, "the file", StringComparison.Ordinal);
            }

            line = LogContextPrefix().Replace(line, string.Empty).Trim().TrimEnd('.');
            if (line.Length > 0)
            {
                last = line;
            }
        }

        return last;
    }

    private static MediaRejectedException NotMedia(Exception? inner) =>
        new(MediaRejectionKind.Unreadable, "The upload could not be read as media: it is not a recognised video format.", inner);

    private static VideoStreamProbe MapVideo(JsonElement stream, TimeSpan? formatDuration, bool isStill)
    {
        var width = GetInt(stream, "width") ?? 0;
        var height = GetInt(stream, "height") ?? 0;
        var rotation = ReadRotation(stream);
        var swap = rotation is 90 or 270;

        Rational.TryParse(GetString(stream, "r_frame_rate"), out var real);
        Rational? average = Rational.TryParse(GetString(stream, "avg_frame_rate"), out var avg) && avg.IsPositive ? avg : null;
        Rational? timeBase = Rational.TryParse(GetString(stream, "time_base"), out var tb) && tb.IsPositive ? tb : null;
        var frameRate = ChooseFrameRate(real.IsPositive ? real : null, average);

        var duration = ParseTime(GetString(stream, "duration"));
        long? declared = long.TryParse(GetString(stream, "nb_frames"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var nb) && nb > 0 ? nb : null;
        long estimate;
        if (isStill)
        {
            estimate = 1;
        }
        else if (declared is { } d)
        {
            estimate = d;
        }
        else if ((duration ?? formatDuration) is { } span && frameRate.IsPositive)
        {
            estimate = (long)Math.Round((decimal)span.Ticks / TimeSpan.TicksPerSecond * frameRate.ToDecimal());
        }
        else
        {
            estimate = 0;
        }

        return new VideoStreamProbe(
            GetInt(stream, "index") ?? 0,
            GetString(stream, "codec_name") ?? "unknown",
            GetString(stream, "pix_fmt"),
            width,
            height,
            rotation,
            swap ? height : width,
            swap ? width : height,
            frameRate,
            average,
            timeBase,
            ParseTime(GetString(stream, "start_time")),
            duration,
            declared,
            estimate,
            GetString(stream, "color_space") is { } space && space != "unknown" ? space : null,
            GetString(stream, "color_range") is { } range && range != "unknown" ? range : null,
            GetString(stream, "field_order") is { } order && order != "unknown" ? order : null);
    }

    private static AudioStreamProbe MapAudio(JsonElement stream) =>
        new(
            GetInt(stream, "index") ?? 0,
            GetString(stream, "codec_name") ?? "unknown",
            int.TryParse(GetString(stream, "sample_rate"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rate) ? rate : null,
            GetInt(stream, "channels"),
            ParseTime(GetString(stream, "duration")));

    /// <summary>
    /// r_frame_rate is the exact nominal rate for constant-rate material; when it disagrees with the
    /// measured average (variable frame rate, field-rate r_frame_rate), the average is the better choice.
    /// </summary>
    private static Rational ChooseFrameRate(Rational? real, Rational? average)
    {
        if (real is { } r && (average is not { } a || Math.Abs(r.ToDouble() - a.ToDouble()) <= 0.01 * a.ToDouble()))
        {
            return r;
        }

        return average ?? real ?? new Rational(0, 1);
    }

    /// <summary>Clockwise display rotation in [0, 360): the display matrix (counter-clockwise) wins over the legacy "rotate" tag.</summary>
    private static int ReadRotation(JsonElement stream)
    {
        double? degrees = null;
        if (stream.TryGetProperty("side_data_list", out var sideData) && sideData.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in sideData.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("rotation", out var rotation) && TryGetDouble(rotation, out var ccw))
                {
                    degrees = -ccw;
                    break;
                }
            }
        }

        if (degrees is null
            && stream.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object
            && tags.TryGetProperty("rotate", out var rotate) && TryGetDouble(rotate, out var cw))
        {
            degrees = cw;
        }

        var whole = (int)Math.Round(degrees ?? 0);
        return ((whole % 360) + 360) % 360;
    }

    /// <summary>
    /// The <c>timecode</c> tag of a stream or of the format section (any case: Matroska's tags are <c>TIMECODE</c>), trimmed;
    /// null when it has none.
    /// </summary>
    private static string? TimecodeTag(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return tags.EnumerateObject()
            .Where(tag => tag.Name.Equals("timecode", StringComparison.OrdinalIgnoreCase) && tag.Value.ValueKind == JsonValueKind.String)
            .Select(tag => tag.Value.GetString()?.Trim())
            .FirstOrDefault(value => !string.IsNullOrEmpty(value));
    }

    private static bool IsAttachedPicture(JsonElement stream) =>
        stream.TryGetProperty("disposition", out var disposition)
        && disposition.ValueKind == JsonValueKind.Object
        && disposition.TryGetProperty("attached_pic", out var attached)
        && TryGetDouble(attached, out var flag) && flag != 0;

    /// <summary>Parses ffprobe times: "3.880000", "0:00:03.880000" (-sexagesimal); null for "N/A" and garbage.</summary>
    public static TimeSpan? ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text == "N/A")
        {
            return null;
        }

        var trimmed = text.Trim();
        var negative = trimmed.StartsWith('-');
        decimal seconds = 0;
        foreach (var part in trimmed.TrimStart('-').Split(':'))
        {
            if (!decimal.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            seconds = (seconds * 60) + value;
        }

        seconds = negative ? -seconds : seconds;

        return seconds is > -1_000_000_000m and < 1_000_000_000m
            ? TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond))
            : null;
    }

    private static string? GetString(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    private static int? GetInt(JsonElement element, string name) =>
        GetString(element, name) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static bool TryGetDouble(JsonElement value, out double result)
    {
        result = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDouble(out result),
            JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out result),
            _ => false,
        };
    }

    private static byte[] ReadHeader(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[16];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return buffer[..read];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>True when the file starts like an ISO base media file (MP4/MOV): a box size then a known box type.</summary>
    private static bool LooksLikeIsoMedia(ReadOnlySpan<byte> header)
    {
        if (header.Length < 8)
        {
            return false;
        }

        var type = header.Slice(4, 4);
        return type.SequenceEqual("ftyp"u8) || type.SequenceEqual("moov"u8) || type.SequenceEqual("mdat"u8)
            || type.SequenceEqual("free"u8) || type.SequenceEqual("skip"u8) || type.SequenceEqual("wide"u8)
            || type.SequenceEqual("pnot"u8) || type.SequenceEqual("styp"u8);
    }

    [GeneratedRegex(@"\[(?<fmt>[^\]@]+?) @ 0x[0-9a-fA-F]+\] Format not on whitelist")]
    private static partial Regex FormatNotOnWhitelist();

    [GeneratedRegex(@"^\[[^\]]+ @ 0x[0-9a-fA-F]+\]\s*")]
    private static partial Regex LogContextPrefix();
}
