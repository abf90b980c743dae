using System.Globalization;

namespace FacePipeline.Media;

/// <summary>Decides whether a probed upload can be processed, and says why not in words a studio person can act on.</summary>
public static class VideoValidator
{
    /// <summary>Returns the video stream to process, or throws <see cref="MediaRejectedException"/>.</summary>
    public static VideoStreamProbe Validate(VideoProbe probe, MediaLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        limits ??= MediaLimits.Default;

        if (probe.Video is not { } video)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.NoVideo,
                probe.Audio is { } audio
                    ? $"The upload has no video stream (audio only: {audio.Codec})."
                    : "The upload has no video stream.");
        }

        if (probe.IsStillImage)
        {
            if (!limits.AllowStillImages)
            {
                throw new MediaRejectedException(
                    MediaRejectionKind.StillImage,
                    $"The upload is a still image ({ImageName(video.Codec)}), not a video.");
            }
        }
        else if (!ContainerPolicy.IsAllowed(probe.FormatName, limits.AllowedContainers))
        {
            throw new MediaRejectedException(
                MediaRejectionKind.UnsupportedContainer,
                $"Unsupported container '{probe.FormatNames.FirstOrDefault() ?? probe.FormatName}'. Upload a single video file (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV, Ogg, MXF or WMV).");
        }

        if (video.StoredWidth <= 0 || video.StoredHeight <= 0)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.Corrupt,
                $"The file is truncated or corrupt: the {video.Codec} video stream has no picture size.");
        }

        if (!probe.IsStillImage && !video.FrameRate.IsPositive)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.Corrupt,
                $"The file is truncated or corrupt: the frame rate of the {video.Codec} video stream is unknown.");
        }

        if (video.DisplayWidth > limits.MaxDisplayWidth || video.DisplayHeight > limits.MaxDisplayHeight)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.TooLarge,
                $"Picture size {video.DisplayWidth}x{video.DisplayHeight} exceeds the limit of {limits.MaxDisplayWidth}x{limits.MaxDisplayHeight}; scale the video down before uploading.");
        }

        var duration = video.Duration is { } streamDuration && streamDuration > probe.Duration ? streamDuration : probe.Duration;
        if (duration > limits.MaxDuration)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.TooLong,
                $"Duration {FormatClock(duration)} exceeds the limit of {FormatClock(limits.MaxDuration)}; trim the clip before uploading.");
        }

        if (video.EstimatedFrameCount > limits.MaxFrameCount)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.TooManyFrames,
                string.Create(CultureInfo.InvariantCulture, $"The video has about {video.EstimatedFrameCount} frames, more than the limit of {limits.MaxFrameCount}; trim the clip or lower its frame rate."));
        }

        return video;
    }

    /// <summary>"45:00", "1:05:00", "0:03": minutes and seconds, hours only when needed (whole seconds, rounded up).</summary>
    public static string FormatClock(TimeSpan duration)
    {
        var total = (long)Math.Ceiling(duration.TotalSeconds - 1e-9);
        var hours = total / 3600;
        var minutes = total / 60 % 60;
        var seconds = total % 60;
        return hours > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{hours}:{minutes:00}:{seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{minutes}:{seconds:00}");
    }

    private static string ImageName(string codec) => codec switch
    {
        "mjpeg" or "jpegls" => "jpeg",
        _ => codec,
    };
}
