namespace FacePipeline.Media;

/// <summary>Encoder settings for <see cref="DnxhrClipEncoder"/>.</summary>
public sealed record DnxhrEncodeOptions : PcmMovEncodeOptions;

/// <summary>
/// Encodes raw RGB24 frames to Avid DNxHR HQ in a MOV (ffmpeg dnxhd, profile dnxhr_hq, 8-bit yuv422p, BT.709 limited range
/// and tags) with PCM audio: the Avid editorial deliverable beside ProRes. Same machinery as <see cref="H264ClipEncoder"/>:
/// one ffmpeg process, exact rational frame rate or the frames' own times, the file under its final name only when
/// complete. Odd sizes are padded to even (the encoder keeps only even heights); DNxHR needs at least 256x120.
/// </summary>
public static class DnxhrClipEncoder
{
    /// <summary>
    /// Encodes <paramref name="frames"/> (each exactly width*height*3 bytes, top-down RGB24; a buffer may be
    /// reused once the next frame is requested) to <paramref name="outputPath"/>.
    /// </summary>
    /// <param name="frames">The frames, in order.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="frameRate">Exact constant frame rate of the output.</param>
    /// <param name="audioPath">Audio to mux as PCM, or null for a silent clip.</param>
    /// <param name="outputPath">The .mov to write (replaced if it exists).</param>
    /// <param name="options">Encoder settings; defaults to 24-bit PCM audio.</param>
    /// <param name="cancellationToken">Stops ffmpeg and deletes the partial output.</param>
    public static Task<EncodedClip> EncodeAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames,
        int width,
        int height,
        Rational frameRate,
        string? audioPath,
        string outputPath,
        DnxhrEncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new DnxhrEncodeOptions();
        return ClipEncoding.EncodeAsync(frames, width, height, frameRate, audioPath, outputPath, Format(options), options.VideoStartOffset, options.Timing, cancellationToken);
    }

    internal static ClipFormat Format(DnxhrEncodeOptions options) => new(
        "yuv422p",
        EvenHeight: true,
        "-c:v dnxhd -profile:v dnxhr_hq",
        $"{ClipEncoding.TimecodeArguments(options.StartTimecode)}-f mov",
        (_, _) => Task.FromResult(options.AudioCodec),
        // A join of segments (NUT keeps the bitstream's colour space only) restores what the one-piece file's MOV says.
        CopyArguments: "-field_order progressive -color_primaries bt709 -color_trc bt709");
}
