namespace FacePipeline.Media;

/// <summary>The PCM sample format of the audio in a <see cref="ProResClipEncoder"/> MOV.</summary>
public enum ProResAudioFormat
{
    /// <summary>24-bit little-endian PCM (pcm_s24le), the usual delivery depth.</summary>
    Pcm24 = 0,

    /// <summary>16-bit little-endian PCM (pcm_s16le).</summary>
    Pcm16 = 1,
}

/// <summary>
/// Settings of the finishing-quality MOV encoders (<see cref="ProResClipEncoder"/>, <see cref="DnxhrClipEncoder"/>): PCM
/// audio, the video's offset against it, the frame times and the start timecode.
/// </summary>
public abstract record PcmMovEncodeOptions
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

    /// <summary>The first frame's timecode: the MOV gets a timecode track (<c>tmcd</c>) starting there. Null: none.</summary>
    public Timecode? StartTimecode { get; init; }

    /// <summary>The <c>-c:a</c> value of <see cref="AudioFormat"/>.</summary>
    internal string AudioCodec => AudioFormat switch
    {
        ProResAudioFormat.Pcm24 => "pcm_s24le",
        ProResAudioFormat.Pcm16 => "pcm_s16le",
        _ => throw new InvalidOperationException($"Unknown audio format {AudioFormat}."),
    };
}

/// <summary>Encoder settings for <see cref="ProResClipEncoder"/>.</summary>
public sealed record ProResEncodeOptions : PcmMovEncodeOptions;

/// <summary>
/// Encodes raw RGB24 frames to an Apple ProRes 422 HQ MOV (ffmpeg prores_ks, profile 3, yuv422p10le, BT.709
/// limited range and tags) with PCM audio: the finishing-quality deliverable beside the H.264 preview; or, with a matte
/// per frame, to ProRes 4444 with alpha (<see cref="EncodeWithAlphaAsync"/>). Same
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

    /// <summary>
    /// Encodes frames with their mattes as ProRes 4444 with alpha (prores_ks profile 4444, yuva444p10le: the picture BT.709
    /// limited range, the matte as the alpha channel, full range: 0 transparent, 255 opaque), for compositing the picture
    /// over a plate without a separate matte. Each frame is the RGB24 picture (width*height*3 bytes) followed by its matte
    /// (width*height bytes, one grey value a pixel): width*height*4 bytes. Same machinery, timing, audio and timecode as
    /// <see cref="EncodeAsync(IAsyncEnumerable{ReadOnlyMemory{byte}}, int, int, Rational, string?, string, ProResEncodeOptions?, CancellationToken)"/>.
    /// </summary>
    public static Task<EncodedClip> EncodeWithAlphaAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> picturesWithMattes,
        int width,
        int height,
        Rational frameRate,
        string? audioPath,
        string outputPath,
        ProResEncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ProResEncodeOptions();
        return ClipEncoding.EncodeAsync(
            MatteFrames.PictureBesideMatte(picturesWithMattes, width, height, cancellationToken), width, height, frameRate, audioPath, outputPath, Format4444(options), options.VideoStartOffset, options.Timing, cancellationToken);
    }

    internal static ClipFormat Format(ProResEncodeOptions options) => new(
        "yuv422p10le", EvenHeight: false, "-c:v prores_ks -profile:v 3", Container(options), (_, _) => Task.FromResult(options.AudioCodec), TagFrames: true, CopyArguments: "-field_order progressive");

    /// <summary>ProRes 4444 (profile 4444) with a 16-bit alpha channel from the matte.</summary>
    internal static ClipFormat Format4444(ProResEncodeOptions options) => new(
        "yuva444p10le", EvenHeight: false, "-c:v prores_ks -profile:v 4444 -alpha_bits 16", Container(options), (_, _) => Task.FromResult(options.AudioCodec), TagFrames: true, CopyArguments: "-field_order progressive", Layout: ClipFrameLayout.PictureBesideMatte);

    private static string Container(PcmMovEncodeOptions options) => $"{ClipEncoding.TimecodeArguments(options.StartTimecode)}-f mov";
}
