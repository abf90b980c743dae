using System.Globalization;

namespace FacePipeline.Media;

/// <summary>
/// How raw frames travel between ffmpeg and .NET (pipes in and out of the decoders and encoders): packed RGB24 for the
/// stages that compute on pixels, or the decoded 4:2:0 planes for the ones that only draw on them and encode again
/// (the QC overlay: no colour conversion either way, half the bytes on the pipes).
/// </summary>
public enum RawPixelFormat
{
    /// <summary>Packed R, G, B, 3 bytes a pixel, rows top-down.</summary>
    Rgb24 = 0,

    /// <summary>
    /// 8-bit Y'CbCr 4:2:0 planes as ffmpeg's <c>yuv420p</c> rawvideo lays them out: Y (W × H), then Cb and Cr
    /// (⌈W/2⌉ × ⌈H/2⌉ each), limited range, in the source's own matrix (no conversion).
    /// </summary>
    Yuv420p = 1,
}

public static class RawPixelFormats
{
    /// <summary>Bytes of one W × H frame.</summary>
    public static int FrameBytes(this RawPixelFormat format, int width, int height) => format switch
    {
        RawPixelFormat.Rgb24 => checked(width * height * 3),
        RawPixelFormat.Yuv420p => checked((width * height) + (2 * ChromaWidth(width) * ChromaHeight(height))),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown raw pixel format."),
    };

    /// <summary>ffmpeg's name for it (<c>-pix_fmt</c>).</summary>
    public static string FfmpegName(this RawPixelFormat format) => format switch
    {
        RawPixelFormat.Rgb24 => "rgb24",
        RawPixelFormat.Yuv420p => "yuv420p",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown raw pixel format."),
    };

    /// <summary>Width of a 4:2:0 chroma plane: ⌈W/2⌉.</summary>
    public static int ChromaWidth(int width) => (width + 1) / 2;

    /// <summary>Height of a 4:2:0 chroma plane: ⌈H/2⌉.</summary>
    public static int ChromaHeight(int height) => (height + 1) / 2;

    internal static string Describe(this RawPixelFormat format, int width, int height) =>
        string.Create(CultureInfo.InvariantCulture, $"a {width}x{height} {format.FfmpegName()} frame is {format.FrameBytes(width, height)} bytes");
}
