namespace FacePipeline.Media;

/// <summary>
/// Whether a clip's decoded frames may leave ffmpeg as their 4:2:0 planes, to be turned into RGB by the reader itself
/// byte-identical to the RGB24 ffmpeg would give (Reconstruction's chunks: half the bytes on the pipe, and only what the
/// models read converted). ffmpeg's scale filter turns 8-bit 4:2:0 of an even height into RGB24 with one fixed-point
/// routine (swscale's unscaled <c>yuv2rgb</c>; an odd height takes its general scaler), with the matrix the stream's
/// colour-space tag names and the range its range tag names. That routine, for limited range in BT.601 (untagged,
/// <c>smpte170m</c>, <c>bt470bg</c>) and BT.709, is what <c>Yuv420RgbFrame</c> reproduces; anything else stays RGB24.
/// </summary>
public static class DecodedPlanes
{
    /// <summary>
    /// <c>bt601</c> or <c>bt709</c> when <paramref name="video"/> decodes to 8-bit limited-range 4:2:0 of an even display
    /// height in one of those matrices; null otherwise (10-bit, 4:2:2, full range, another matrix, an odd height).
    /// </summary>
    public static string? ExactMatrix(VideoStreamProbe video)
    {
        ArgumentNullException.ThrowIfNull(video);
        if (video.PixelFormat != "yuv420p" || video.ColorRange == "pc" || video.DisplayHeight % 2 != 0)
        {
            return null;
        }

        return video.ColorSpace switch
        {
            null or "smpte170m" or "bt470bg" => "bt601",
            "bt709" => "bt709",
            _ => null,
        };
    }
}
