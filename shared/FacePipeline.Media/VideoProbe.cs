namespace FacePipeline.Media;

/// <summary>What ffprobe says about a file: the container and its primary video and audio streams.</summary>
/// <param name="FormatName">ffprobe's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "png_pipe".</param>
/// <param name="FormatLongName">Human-readable container name, if ffprobe gave one.</param>
/// <param name="Duration">Container duration (zero if unknown).</param>
/// <param name="StartTime">Container start time (zero if unknown).</param>
/// <param name="SizeBytes">File size as ffprobe saw it, if known.</param>
/// <param name="Video">The first video stream that is not an attached picture (cover art), or null.</param>
/// <param name="Audio">The first audio stream, or null.</param>
/// <param name="StartTimecode">The source's start timecode as ffprobe reports it (<c>01:00:00;00</c>), unparsed: the
/// <c>timecode</c> tag of the timecode track (<c>tmcd</c>, MOV/MP4), else of the video stream (MXF, Matroska), else of the
/// container; null when none says. Read it at the video's rate with <see cref="Timecode.TryParse"/>.</param>
public sealed record VideoProbe(
    string FormatName,
    string? FormatLongName,
    TimeSpan Duration,
    TimeSpan StartTime,
    long? SizeBytes,
    VideoStreamProbe? Video,
    AudioStreamProbe? Audio,
    string? StartTimecode = null)
{
    public bool HasVideo => Video is not null;

    public bool HasAudio => Audio is not null;

    /// <summary>The individual demuxer names, e.g. ["mov", "mp4", "m4a", "3gp", "3g2", "mj2"].</summary>
    public IReadOnlyList<string> FormatNames =>
        FormatName.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True for single-picture image demuxers (png_pipe, jpeg_pipe, image2, ...).</summary>
    public bool IsStillImage => ContainerPolicy.IsStillImageFormat(FormatName);
}

/// <param name="Index">ffprobe stream index.</param>
/// <param name="Codec">Decoder name, e.g. "h264".</param>
/// <param name="PixelFormat">e.g. "yuv420p", if known.</param>
/// <param name="StoredWidth">Width of the coded picture, before rotation.</param>
/// <param name="StoredHeight">Height of the coded picture, before rotation.</param>
/// <param name="Rotation">
/// Clockwise rotation in degrees, normalised to [0, 360), that a player applies for display (and that
/// ffmpeg applies by default when decoding). A display matrix of -90 (ffprobe side data) or a legacy
/// "rotate=90" tag both give 90.
/// </param>
/// <param name="DisplayWidth">Width after rotation (stored height for 90/270).</param>
/// <param name="DisplayHeight">Height after rotation (stored width for 90/270).</param>
/// <param name="FrameRate">Exact frame rate: r_frame_rate when it agrees with avg_frame_rate, else avg_frame_rate.</param>
/// <param name="AverageFrameRate">avg_frame_rate, if ffprobe knew it.</param>
/// <param name="TimeBase">Stream time base (pts units), if known.</param>
/// <param name="StartTime">Stream start time, if known.</param>
/// <param name="Duration">Stream duration, if known.</param>
/// <param name="DeclaredFrameCount">nb_frames from the container header, if present.</param>
/// <param name="EstimatedFrameCount">nb_frames if present, else duration x frame rate rounded.</param>
/// <param name="ColorSpace">The stream's colour matrix tag (ffprobe's color_space, e.g. "bt709"), if it has one.</param>
/// <param name="ColorRange">The stream's range tag (ffprobe's color_range: "tv" limited, "pc" full), if it has one.</param>
/// <param name="FieldOrder">How the stream's pictures are coded (ffprobe's field_order: "progressive", or "tt", "bb", "tb", "bt" for interlaced), if it says.</param>
public sealed record VideoStreamProbe(
    int Index,
    string Codec,
    string? PixelFormat,
    int StoredWidth,
    int StoredHeight,
    int Rotation,
    int DisplayWidth,
    int DisplayHeight,
    Rational FrameRate,
    Rational? AverageFrameRate,
    Rational? TimeBase,
    TimeSpan? StartTime,
    TimeSpan? Duration,
    long? DeclaredFrameCount,
    long EstimatedFrameCount,
    string? ColorSpace = null,
    string? ColorRange = null,
    string? FieldOrder = null);

/// <param name="Index">ffprobe stream index.</param>
/// <param name="Codec">Decoder name, e.g. "aac".</param>
/// <param name="SampleRate">Hz, if known.</param>
/// <param name="Channels">Channel count, if known.</param>
/// <param name="Duration">Stream duration, if known.</param>
public sealed record AudioStreamProbe(
    int Index,
    string Codec,
    int? SampleRate,
    int? Channels,
    TimeSpan? Duration);
