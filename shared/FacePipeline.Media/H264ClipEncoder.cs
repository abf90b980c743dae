using System.Globalization;

namespace FacePipeline.Media;

/// <summary>Encoder settings for <see cref="H264ClipEncoder"/>.</summary>
public sealed record H264EncodeOptions
{
    /// <summary>libx264 constant rate factor (lower is better quality; 18-23 is the usual range).</summary>
    public int Crf { get; init; } = 20;

    /// <summary>libx264 preset.</summary>
    public string Preset { get; init; } = "veryfast";

    /// <summary>AAC bitrate when the audio has to be encoded (AAC audio is copied as it is).</summary>
    public int AudioBitrateKbps { get; init; } = 192;

    /// <summary>
    /// When the first frame is shown relative to the start of the audio: positive delays the video (the source
    /// video started after its audio), negative delays the audio. Null: zero, or for an extraction, the offset
    /// measured from its timeline and audio file, so lip sync survives the round trip.
    /// </summary>
    public TimeSpan? VideoStartOffset { get; init; }

    /// <summary>
    /// When each frame is shown (e.g. <see cref="FrameTiming.FromTimeline"/> of the source's timeline): the file keeps
    /// these times, variable frame rate included (a timing that is the constant frame rate within a tenth of a frame is
    /// written as that exact rate). With audio and no <see cref="VideoStartOffset"/>, the first frame's time is aligned
    /// with the audio's start. Null: the frames at the constant frame rate.
    /// </summary>
    public FrameTiming? Timing { get; init; }

    /// <summary>
    /// The first frame's timecode (e.g. the source's, <see cref="FrameTimeline.Start"/>): the MP4 gets a timecode track
    /// (<c>tmcd</c>) starting there. Null: none.
    /// </summary>
    public Timecode? StartTimecode { get; init; }

    /// <summary>
    /// How the frames handed to the encoder are laid out: RGB24 (converted to BT.709 limited-range 4:2:0), or the decoded
    /// 4:2:0 planes (<see cref="RawPixelFormat.Yuv420p"/>: encoded as they are, no colour conversion, and the file claims no
    /// colour matrix, since the planes keep the source's; e.g. the QC overlay drawn on the source's own planes).
    /// </summary>
    public RawPixelFormat Input { get; init; } = RawPixelFormat.Rgb24;
}

/// <summary>What <see cref="H264ClipEncoder"/> or <see cref="ProResClipEncoder"/> wrote.</summary>
/// <param name="OutputPath">The MP4 (H.264) or MOV (ProRes) file.</param>
/// <param name="FrameCount">Frames sent to the encoder (and present in the file).</param>
/// <param name="Width">Encoded width (the frame width rounded up to even).</param>
/// <param name="Height">Encoded height (H.264: the frame height rounded up to even; ProRes 4:2:2: the frame height).</param>
/// <param name="FrameRate">The exact frame rate of the file (its nominal rate when <paramref name="VariableFrameRate"/>).</param>
/// <param name="HasAudio">True when an audio track was muxed.</param>
/// <param name="VariableFrameRate">True when the frames were written at the times of a variable-rate <see cref="FrameTiming"/>.</param>
public sealed record EncodedClip(string OutputPath, long FrameCount, int Width, int Height, Rational FrameRate, bool HasAudio, bool VariableFrameRate = false);

/// <summary>
/// Encodes raw RGB24 frames to an H.264/AAC MP4 with ONE ffmpeg process: the frames stream into ffmpeg's
/// standard input at an exact rational frame rate, or at the times of a <see cref="FrameTiming"/> (variable frame
/// rate), so the output has exactly the frames given, at exactly those times (30000/1001 stays 30000/1001),
/// yuv420p BT.709, +faststart.
/// </summary>
public static class H264ClipEncoder
{
    /// <summary>
    /// Encodes <paramref name="frames"/> (each exactly width*height*3 bytes, top-down RGB24; a buffer may be
    /// reused once the next frame is requested) to <paramref name="outputPath"/>. Odd dimensions are padded by
    /// one black row/column to satisfy 4:2:0. The file appears under its final name only when complete.
    /// </summary>
    /// <param name="frames">The frames, in order.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="frameRate">Exact constant frame rate of the output.</param>
    /// <param name="audioPath">Audio to mux (e.g. the extraction's audio.mka), or null for a silent clip.</param>
    /// <param name="outputPath">The .mp4 to write (replaced if it exists).</param>
    /// <param name="options">Encoder settings; defaults to veryfast, CRF 20.</param>
    /// <param name="cancellationToken">Stops ffmpeg and deletes the partial output.</param>
    public static Task<EncodedClip> EncodeAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames,
        int width,
        int height,
        Rational frameRate,
        string? audioPath,
        string outputPath,
        H264EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new H264EncodeOptions();
        return ClipEncoding.EncodeAsync(frames, width, height, frameRate, audioPath, outputPath, Format(options), options.VideoStartOffset, options.Timing, cancellationToken);
    }

    /// <summary>
    /// Encodes the frames of an extraction (chunk after chunk), with its audio, at the times of its timeline (its exact
    /// frame rate for a constant-rate clip) and with the first frame's original offset from the audio.
    /// </summary>
    public static Task<EncodedClip> EncodeAsync(
        FrameExtractionResult extraction,
        string outputPath,
        H264EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new H264EncodeOptions();
        return ClipEncoding.EncodeAsync(extraction, outputPath, Format(options), options.VideoStartOffset, cancellationToken);
    }

    internal static ClipFormat Format(H264EncodeOptions options) => new(
        "yuv420p",
        EvenHeight: true,
        string.Create(CultureInfo.InvariantCulture, $"-c:v libx264 -preset {options.Preset} -crf {options.Crf}"),
        $"-movflags +faststart {ClipEncoding.TimecodeArguments(options.StartTimecode)}-f mp4",
        (audioPath, cancellationToken) => ChooseAudioCodecAsync(audioPath, options, cancellationToken),
        // Variable frame times: no B-frames. ffmpeg 5.1 gives a B-frame stream's packets no duration, and its MP4 muxer
        // then ends the last frame at a decode-order interval instead of the frame's own duration (the clip's length would
        // be off by up to a frame or more); without reordering every packet keeps its frame's duration.
        VariableRateArguments: "-bf 0",
        Input: options.Input);

    /// <summary>AAC is copied as it is (no generation loss); anything else is encoded to AAC.</summary>
    private static async Task<string> ChooseAudioCodecAsync(string audioPath, H264EncodeOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var probe = await MediaProbe.ProbeAsync(audioPath, ClipEncoding.AudioFileLimits, cancellationToken).ConfigureAwait(false);
            if (probe.Audio?.Codec == "aac")
            {
                return "copy";
            }
        }
        catch (MediaRejectedException)
        {
            // Let ffmpeg report the real problem below.
        }

        return string.Create(CultureInfo.InvariantCulture, $"aac -b:a {options.AudioBitrateKbps}k");
    }
}
