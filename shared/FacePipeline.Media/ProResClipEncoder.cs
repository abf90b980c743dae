namespace FacePipeline.Media;

/// <summary>The PCM sample format of the audio in a <see cref="ProResClipEncoder"/> MOV.</summary>
public enum ProResAudioFormat
{
    /// <summary>24-bit little-endian PCM (pcm_s24le), the usual delivery depth.</summary>
    Pcm24 = 0,

    /// <summary>16-bit little-endian PCM (pcm_s16le).</summary>
    Pcm16 = 1,
}

/// <summary>Encoder settings for <see cref="ProResClipEncoder"/>.</summary>
public sealed record ProResEncodeOptions
{
    /// <summary>The PCM format the audio is written in (the audio is always decoded and written as PCM).</summary>
    public ProResAudioFormat AudioFormat { get; init; } = ProResAudioFormat.Pcm24;

    /// <summary>
    /// When the first frame is shown relative to the start of the audio: positive delays the video, negative
    /// delays the audio. Null: zero, or for an extraction, the offset measured from its timeline and audio file.
    /// </summary>
    public TimeSpan? VideoStartOffset { get; init; }

    /// <summary>When each frame is shown; see <see cref="H264EncodeOptions.Timing"/>. Null: the constant frame rate.</summary>
    public FrameTiming? Timing { get; init; }
}

/// <summary>
/// Encodes raw RGB24 frames to an Apple ProRes 422 HQ MOV (ffmpeg prores_ks, profile 3, yuv422p10le, BT.709
/// limited range and tags) with PCM audio: the finishing-quality deliverable beside the H.264 preview. Same
/// machinery as <see cref="H264ClipEncoder"/>: one ffmpeg process, exact rational frame rate and frame count,
/// the file under its final name only when complete.
/// </summary>
public static class ProResClipEncoder
{
    /// <summary>
    /// Encodes <paramref name="frames"/> (each exactly width*height*3 bytes, top-down RGB24; a buffer may be
    /// reused once the next frame is requested) to <paramref name="outputPath"/>. An odd width is padded by one
    /// black column (4:2:2 halves the width); the height is kept.
    /// </summary>
    /// <param name="frames">The frames, in order.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="frameRate">Exact constant frame rate of the output.</param>
    /// <param name="audioPath">Audio to mux as PCM (e.g. the extraction's audio.mka), or null for a silent clip.</param>
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
        ProResEncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ProResEncodeOptions();
        return ClipEncoding.EncodeAsync(frames, width, height, frameRate, audioPath, outputPath, Format(options), options.VideoStartOffset, options.Timing, cancellationToken);
    }

    /// <summary>
    /// Encodes the frames of an extraction (chunk after chunk), with its audio, at the times of its timeline (its exact
    /// frame rate for a constant-rate clip) and with the first frame's original offset from the audio.
    /// </summary>
    public static Task<EncodedClip> EncodeAsync(
        FrameExtractionResult extraction,
        string outputPath,
        ProResEncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ProResEncodeOptions();
        return ClipEncoding.EncodeAsync(extraction, outputPath, Format(options), options.VideoStartOffset, cancellationToken);
    }

    internal static ClipFormat Format(ProResEncodeOptions options)
    {
        var audio = options.AudioFormat switch
        {
            ProResAudioFormat.Pcm24 => "pcm_s24le",
            ProResAudioFormat.Pcm16 => "pcm_s16le",
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.AudioFormat, "Unknown audio format."),
        };

        return new ClipFormat(
            "yuv422p10le", EvenHeight: false, "-c:v prores_ks -profile:v 3", "-f mov", (_, _) => Task.FromResult(audio), TagFrames: true, CopyArguments: "-field_order progressive");
    }
}
