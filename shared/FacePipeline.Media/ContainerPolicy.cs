namespace FacePipeline.Media;

/// <summary>
/// Which ffmpeg demuxers an upload may be opened with. Uploads are hostile: playlist and reference
/// formats (hls, dash, concat, ffconcat, tty, ...) can make a demuxer open other files or URLs, so
/// ffprobe and ffmpeg are started with <c>-format_whitelist</c> (only these demuxers may even read the
/// header) and <c>-protocol_whitelist file</c> (no network, no pipes, no nested protocols).
/// </summary>
public static class ContainerPolicy
{
    /// <summary>Video container demuxers accepted by default (short names as ffmpeg matches them).</summary>
    public static IReadOnlyList<string> DefaultVideoDemuxers { get; } =
        ["mov", "mp4", "matroska", "webm", "avi", "mpegts", "mpeg", "flv", "ogg", "mxf", "asf"];

    /// <summary>Single-picture demuxers, accepted only when still images are allowed.</summary>
    public static IReadOnlyList<string> StillImageDemuxers { get; } =
        ["image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe"];

    /// <summary>Protocols ffmpeg/ffprobe may use for an upload: local files only.</summary>
    public const string ProtocolWhitelist = "file";

    public static bool IsStillImageFormat(string formatName) =>
        Split(formatName).Any(name => StillImageDemuxers.Contains(name, StringComparer.Ordinal));

    public static bool IsAllowed(string formatName, IEnumerable<string> allowedDemuxers)
    {
        var allowed = allowedDemuxers.ToHashSet(StringComparer.Ordinal);
        return Split(formatName).Any(allowed.Contains);
    }

    /// <summary>
    /// ffmpeg/ffprobe input options that lock an input down: local files only (<c>-protocol_whitelist file</c>)
    /// and only the given demuxers (<c>-format_whitelist</c>; any other demuxer fails before it reads the header).
    /// </summary>
    public static string InputLockdownArguments(IEnumerable<string> allowedDemuxers) =>
        $"-protocol_whitelist {ProtocolWhitelist} -format_whitelist {string.Join(',', allowedDemuxers.Distinct(StringComparer.Ordinal))}";

    internal static string[] Split(string formatName) =>
        formatName.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
