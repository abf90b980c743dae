namespace FacePipeline.Media;

/// <summary>Encoder settings for <see cref="MatteClipEncoder"/>.</summary>
public sealed record MatteEncodeOptions
{
    /// <summary>When each matte is shown; see <see cref="H264EncodeOptions.Timing"/>. Null: the constant frame rate.</summary>
    public FrameTiming? Timing { get; init; }

    /// <summary>The first frame's timecode: the MOV gets a timecode track (<c>tmcd</c>) starting there. Null: none.</summary>
    public Timecode? StartTimecode { get; init; }
}

/// <summary>
/// Encodes mattes (one grey value a pixel, 0 outside, 255 inside) losslessly as 8-bit grey PNG frames in a MOV
/// (<c>-c:v png -pix_fmt gray</c>, full range, no colour tags): every value comes back exactly, every frame is a key frame,
/// and Nuke's MOV reader (and Resolve, After Effects, ffmpeg) reads it. Same machinery as <see cref="H264ClipEncoder"/>:
/// one ffmpeg process, exact rational frame rate or the frames' own times, the file under its final name only when
/// complete; no audio. Odd sizes are padded to even with 0 (as the H.264 result is padded with black), so the matte has
/// the H.264 result's size pixel for pixel.
/// </summary>
public static class MatteClipEncoder
{
    /// <summary>
    /// Encodes <paramref name="mattes"/> (each exactly width*height bytes, top-down; a buffer may be reused once the next
    /// matte is requested) to <paramref name="outputPath"/>.
    /// </summary>
    /// <param name="mattes">The mattes, in order.</param>
    /// <param name="width">Matte width in pixels.</param>
    /// <param name="height">Matte height in pixels.</param>
    /// <param name="frameRate">Exact constant frame rate of the output.</param>
    /// <param name="outputPath">The .mov to write (replaced if it exists).</param>
    /// <param name="options">The frame times and the start timecode.</param>
    /// <param name="cancellationToken">Stops ffmpeg and deletes the partial output.</param>
    public static Task<EncodedClip> EncodeAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> mattes,
        int width,
        int height,
        Rational frameRate,
        string outputPath,
        MatteEncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new MatteEncodeOptions();
        return ClipEncoding.EncodeAsync(
            MatteFrames.GreyRgb(mattes, width, height, cancellationToken), width, height, frameRate, null, outputPath, Format(options), null, options.Timing, cancellationToken);
    }

    internal static ClipFormat Format(MatteEncodeOptions options) => new(
        "gray",
        EvenHeight: true,
        "-c:v png",
        $"{ClipEncoding.TimecodeArguments(options.StartTimecode)}-f mov",
        (_, _) => Task.FromResult("copy"),
        CopyArguments: "-field_order progressive",
        Layout: ClipFrameLayout.Matte);
}
