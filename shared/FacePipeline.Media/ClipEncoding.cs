using System.Globalization;
using System.Runtime.ExceptionServices;

namespace FacePipeline.Media;

/// <summary>
/// What differs between the clip encoders: the video codec, its pixel format, the container, and how the
/// audio is written. Everything else (the frame timing, BT.709 conversion, audio offset, atomic
/// rename) is <see cref="ClipEncoding"/>.
/// </summary>
/// <param name="PixelFormat">ffmpeg pixel format of the encoded video (e.g. yuv420p).</param>
/// <param name="EvenHeight">True when the chroma is subsampled vertically (4:2:0), so the height is padded to even too;
/// the width is always padded to even (4:2:0 and 4:2:2 both halve it).</param>
/// <param name="VideoCodecArguments">The codec and its settings, e.g. <c>-c:v libx264 -preset veryfast -crf 20</c>.</param>
/// <param name="ContainerArguments">Muxer options and format, e.g. <c>-movflags +faststart -f mp4</c>.</param>
/// <param name="AudioCodecAsync">The <c>-c:a</c> value (with its options) for an audio file.</param>
/// <param name="TagFrames">True when the encoder writes the colour description of the frames rather than of its
/// <c>-colorspace</c>/<c>-color_*</c> options (prores_ks): the frames are then tagged BT.709 by the filter chain.</param>
/// <param name="VariableRateArguments">Codec settings added when the frames have variable times (<see cref="FrameTiming"/>).</param>
/// <param name="CopyArguments">What a join of segments (<see cref="ClipSegments"/>, video stream-copied out of NUT) must
/// restore that the encoder told the one-piece muxer but NUT does not keep, e.g. ProRes's field order (the MOV's <c>fiel</c> atom).</param>
/// <param name="Layout">What the piped frames hold and how they become the encoded picture.</param>
/// <param name="Input">How the piped frames are laid out: RGB24, or 4:2:0 planes encoded as they are (<see cref="ClipFrameLayout.Picture"/> only).</param>
internal sealed record ClipFormat(
    string PixelFormat,
    bool EvenHeight,
    string VideoCodecArguments,
    string ContainerArguments,
    Func<string, CancellationToken, Task<string>> AudioCodecAsync,
    bool TagFrames = false,
    string VariableRateArguments = "",
    string CopyArguments = "",
    ClipFrameLayout Layout = ClipFrameLayout.Picture,
    RawPixelFormat Input = RawPixelFormat.Rgb24);

/// <summary>What the RGB24 frames piped into ffmpeg hold (<see cref="ClipFormat.Layout"/>).</summary>
internal enum ClipFrameLayout
{
    /// <summary>The picture, converted to BT.709 limited-range YCbCr and tagged so.</summary>
    Picture = 0,

    /// <summary>
    /// The picture and its matte side by side (twice the picture's width: the picture on the left, the matte as grey RGB on
    /// the right): the picture converted as <see cref="Picture"/>, the matte becomes its alpha, full range (0 transparent,
    /// 255 opaque).
    /// </summary>
    PictureBesideMatte = 1,

    /// <summary>A matte as grey RGB (R = G = B), kept as full-range grey values: no colour conversion, no colour tags.</summary>
    Matte = 2,
}

/// <summary>
/// The machinery shared by <see cref="H264ClipEncoder"/> and <see cref="ProResClipEncoder"/>: ONE ffmpeg
/// process per clip (started by <see cref="MediaProcess"/>: it dies with this process), raw RGB24 frames streamed into
/// its standard input at an exact rational frame rate, or with each frame's own time (<see cref="FrameTiming"/>,
/// variable frame rate), so the output has exactly the frames given, at exactly those times; converted to BT.709
/// limited range and tagged so; optional audio muxed with the video's start offset; the file appears under its final
/// name only when complete.
/// </summary>
internal static class ClipEncoding
{
    /// <summary>Audio inputs are our own files, but are still opened locked down.</summary>
    internal static readonly MediaLimits AudioFileLimits = new()
    {
        AllowedContainers = [.. ContainerPolicy.DefaultVideoDemuxers, "wav", "flac", "mp3", "aac", "ogg"],
    };

    /// <summary>Encodes <paramref name="frames"/> in <paramref name="format"/>; see the public encoders for the contract.</summary>
    public static async Task<EncodedClip> EncodeAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames,
        int width,
        int height,
        Rational frameRate,
        string? audioPath,
        string outputPath,
        ClipFormat format,
        TimeSpan? videoStartOffset,
        FrameTiming? timing,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!frameRate.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "The frame rate must be positive.");
        }

        outputPath = Path.GetFullPath(outputPath);
        if (audioPath is not null)
        {
            audioPath = Path.GetFullPath(audioPath);
            if (!File.Exists(audioPath))
            {
                throw new FileNotFoundException($"No audio file at {audioPath}.", audioPath);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        var temp = outputPath + ".partial";
        var evenWidth = width + (width & 1);
        var evenHeight = format.EvenHeight ? height + (height & 1) : height;
        var pipedWidth = PipedWidth(format, width);

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var source = new RawFramePipeSource(frames, pipedWidth, height, frameRate, abort, format.Input);

        // The times of the frames: a constant-rate clip (no timing, or a timing that is the constant rate within a tenth
        // of a frame) streams as raw frames at the exact rational rate; any other timing (variable frame rate) streams as
        // Matroska with each frame's own time, so frame k is shown when the source showed it (issue 15).
        var timed = timing is not null && !timing.IsConstantRate(frameRate) ? timing : null;
        var timedSource = timed is null ? null : new TimedFrameSource(frames, pipedWidth, height, timed, abort, format.Input);
        long FrameCount() => timedSource?.FrameCount ?? source.FrameCount;
        ExceptionDispatchInfo? Failure() => timedSource is null ? source.Failure : timedSource.Failure;

        var audioCodec = audioPath is null ? null : await format.AudioCodecAsync(audioPath, cancellationToken).ConfigureAwait(false);
        var offset = await VideoOffsetAsync(audioPath, videoStartOffset, timing, cancellationToken).ConfigureAwait(false);
        var arguments = InputArguments(
            timed is null ? [.. Split(source.GetStreamArguments()), "-i", "pipe:0"] : ["-f", "matroska", "-i", "pipe:0"],
            audioPath,
            audioCodec,
            offset,
            EncoderTick(frameRate, timed));
        arguments.AddRange(VideoEncodeArguments(format, width, height, evenWidth, evenHeight, timed));
        arguments.AddRange(Split(format.ContainerArguments));
        arguments.Add(temp);

        Func<Stream, CancellationToken, Task> feed = timedSource is null ? source.WriteAsync : timedSource.WriteAsync;

        MediaProcessResult result;
        try
        {
            result = await MediaProcess.RunAsync("ffmpeg", arguments, feed, captureOutput: false, abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            TryDelete(temp);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Failure()?.Throw(); // the frame producer failed and we stopped ffmpeg: report the producer's error
            }

            throw;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A producer error comes first; a broken pipe only means ffmpeg stopped reading, so ffmpeg's own error says why.
            if (Failure() is { SourceException: not IOException } producerFailure)
            {
                producerFailure.Throw();
            }

            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"ffmpeg could not encode {outputPath} (exit code {result.ExitCode}): {MediaProbe.LastMeaningfulLine(result.StandardError) ?? "no error output"}");
            }

            Failure()?.Throw();

            if (FrameCount() == 0)
            {
                throw new ArgumentException("No frames to encode.", nameof(frames));
            }

            File.Move(temp, outputPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        return new EncodedClip(outputPath, FrameCount(), evenWidth, evenHeight, frameRate, audioPath is not null, timed is not null);
    }

    /// <summary>
    /// The start of an encode's or a join's arguments: the video input (its own options and <c>-i</c>, given), the audio file
    /// if any, delayed by a negative <paramref name="videoOffset"/> or the video delayed by a positive one, and the maps.
    /// The video's delay is first rounded to <paramref name="tick"/>, the encoder's time base (<see cref="EncoderTick"/>):
    /// a one-piece encode's frames land on that tick whatever the delay (ffmpeg rounds the delay to its raw input's frame, or
    /// each frame's delayed time to the encoder's tick), so its delay is in effect rounded to it, and a join, whose input
    /// (the segments) has a finer tick, is given the same rounded delay: both place the first frame on the same tick.
    /// </summary>
    internal static List<string> InputArguments(IEnumerable<string> videoInput, string? audioPath, string? audioCodec, TimeSpan videoOffset, Rational tick)
    {
        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-y" };
        if (videoOffset > TimeSpan.Zero)
        {
            arguments.AddRange(["-itsoffset", Seconds(RoundToTick(videoOffset, tick))]);
        }

        arguments.AddRange(videoInput);
        if (audioPath is not null)
        {
            arguments.AddRange(["-protocol_whitelist", ContainerPolicy.ProtocolWhitelist]);
            if (videoOffset < TimeSpan.Zero)
            {
                arguments.AddRange(["-itsoffset", Seconds(-videoOffset)]);
            }

            arguments.AddRange(["-i", audioPath]);
        }

        arguments.AddRange(["-map", "0:v:0"]);
        arguments.AddRange(audioCodec is null ? ["-an"] : ["-map", "1:a:0", "-c:a", .. Split(audioCodec)]);
        return arguments;
    }

    /// <summary>The encoder's time base: one frame at the constant rate, or the timing's own tick for variable frame times.</summary>
    internal static Rational EncoderTick(Rational frameRate, FrameTiming? timed) => timed?.TimeBase ?? frameRate.Invert();

    /// <summary>
    /// <paramref name="offset"/> (as ffmpeg reads it: whole microseconds) to the nearest whole <paramref name="tick"/>, halves
    /// away from zero (ffmpeg's rounding).
    /// </summary>
    internal static TimeSpan RoundToTick(TimeSpan offset, Rational tick)
    {
        Int128 microseconds = (long)(decimal.Parse(Seconds(offset), CultureInfo.InvariantCulture) * 1_000_000);
        var perTick = (Int128)tick.Numerator * 1_000_000;
        var ticks = ((2 * microseconds * tick.Denominator) + (microseconds >= 0 ? perTick : -perTick)) / (2 * perTick);
        return TimeSpan.FromTicks((long)(((2 * ticks * tick.Numerator * TimeSpan.TicksPerSecond) + tick.Denominator) / (2 * (Int128)tick.Denominator)));
    }

    /// <summary>
    /// The video side of an encode, after the inputs and maps: padding to even, BT.709 limited range, the pixel format, the
    /// codec, every frame kept, and for variable frame times the timing's own tick. One definition for a one-piece encode
    /// and for the segments of one (<see cref="ClipSegments"/>), so a joined clip is encoded exactly as a one-piece one.
    /// </summary>
    internal static List<string> VideoEncodeArguments(ClipFormat format, int width, int height, int evenWidth, int evenHeight, FrameTiming? timed)
    {
        var pad = evenWidth != width || evenHeight != height
            ? string.Create(CultureInfo.InvariantCulture, $"pad={evenWidth}:{evenHeight}:0:0:black,")
            : string.Empty;
        var tag = format.TagFrames ? ",setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv" : string.Empty;
        const string ToBt709 = "scale=out_color_matrix=bt709:out_range=tv";
        if (format.Input != RawPixelFormat.Rgb24 && (format.Layout != ClipFrameLayout.Picture || format.TagFrames))
        {
            throw new ArgumentException($"{format.Input} frames can only be encoded as a picture whose colour is not tagged (they keep the source's own matrix).", nameof(format));
        }

        var filters = format.Layout switch
        {
            ClipFrameLayout.Picture when format.Input == RawPixelFormat.Yuv420p => $"{pad}format={format.PixelFormat}", // the source's planes as they are: no colour conversion
            ClipFrameLayout.Picture => $"{pad}{ToBt709},format={format.PixelFormat}{tag}",

            // ffmpeg 5.1's alphamerge takes 8-bit planes: the picture is converted to 8-bit YCbCr with alpha, the matte's grey
            // values (full range) become the alpha plane, then both are widened to the codec's depth.
            ClipFrameLayout.PictureBesideMatte => string.Create(
                CultureInfo.InvariantCulture,
                $"split[picture][matte];[matte]crop={width}:{height}:{width}:0,{pad}format=gray[alpha];[picture]crop={width}:{height}:0:0,{pad}{ToBt709},format=yuva444p[colour];[colour][alpha]alphamerge,format={format.PixelFormat}{tag}"),
            ClipFrameLayout.Matte => $"{pad}format={format.PixelFormat}",
            _ => throw new ArgumentOutOfRangeException(nameof(format), format.Layout, "Unknown frame layout."),
        };

        var arguments = new List<string> { "-sn", "-dn", "-vf", filters };
        arguments.AddRange(Split(format.VideoCodecArguments));
        arguments.AddRange(
            format.Layout == ClipFrameLayout.Matte ? ["-pix_fmt", format.PixelFormat, "-color_range", "pc", "-fps_mode", "passthrough"]
            // The source's own planes: limited range, in whatever matrix the source used, which is not known here. The file
            // claims none, so a player reads it as it reads an untagged source (BT.601 below HD, BT.709 from HD up).
            : format.Input == RawPixelFormat.Yuv420p ? ["-pix_fmt", format.PixelFormat, "-color_range", "tv", "-fps_mode", "passthrough"]
            : ["-pix_fmt", format.PixelFormat, "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv", "-fps_mode", "passthrough"]);
        if (timed is not null)
        {
            arguments.AddRange(["-enc_time_base:v", timed.TimeBaseArgument]); // the timing's own tick: no time is rounded
            arguments.AddRange(Split(format.VariableRateArguments));
        }

        return arguments;
    }

    /// <summary>Width of the frames piped to ffmpeg for a picture <paramref name="width"/> wide (twice it when its matte is beside it).</summary>
    internal static int PipedWidth(ClipFormat format, int width) =>
        format.Layout == ClipFrameLayout.PictureBesideMatte ? checked(2 * width) : width;

    /// <summary>
    /// The muxer's start timecode: <c>-timecode HH:MM:SS:FF</c> (<c>;FF</c> drop-frame), from which the MOV/MP4 muxer writes a
    /// timecode track (<c>tmcd</c>) and the video stream's <c>timecode</c> tag; nothing without one. A muxer option: a
    /// join of segments gets it too, the segments do not.
    /// </summary>
    internal static string TimecodeArguments(Timecode? start) =>
        start is { } timecode ? $"-timecode {timecode} " : string.Empty;

    /// <summary>
    /// When the first frame is shown relative to the audio: <paramref name="videoStartOffset"/> when given, else measured
    /// from the first frame's time and the audio file (zero without audio or timing).
    /// </summary>
    internal static async Task<TimeSpan> VideoOffsetAsync(string? audioPath, TimeSpan? videoStartOffset, FrameTiming? timing, CancellationToken cancellationToken) =>
        audioPath is null
            ? TimeSpan.Zero
            : videoStartOffset ?? (timing?.Seconds[0] is { } first ? await MeasureVideoOffsetAsync(first, audioPath, cancellationToken).ConfigureAwait(false) : TimeSpan.Zero);

    /// <summary>
    /// Encodes the frames of an extraction (decoded from its clip), with its audio, at the times of its timeline (its exact
    /// frame rate for a constant-rate clip) and, unless <paramref name="videoStartOffset"/> is given, with the first
    /// frame's original offset from the audio.
    /// </summary>
    public static async Task<EncodedClip> EncodeAsync(
        FrameExtractionResult extraction,
        string outputPath,
        ClipFormat format,
        TimeSpan? videoStartOffset,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extraction);
        FrameTiming? timing = null;
        if (File.Exists(extraction.TimelinePath) && FrameTimeline.Load(extraction.TimelinePath) is { FrameCount: > 0 } timeline
            && timeline.FrameCount == extraction.FrameCount)
        {
            timing = FrameTiming.FromTimeline(timeline, extraction.Duration.TotalSeconds);
        }

        return await EncodeAsync(
            extraction.ReadAllFramesAsync(cancellationToken),
            extraction.Width,
            extraction.Height,
            extraction.FrameRate,
            extraction.AudioPath,
            outputPath,
            format,
            videoStartOffset,
            timing,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first frame's time minus the first audio sample's, both on the source container's clock (a timeline is on
    /// that clock; audio.mka keeps its start relative to it, and ffmpeg re-bases each input to 0 when encoding).
    /// </summary>
    private static async Task<TimeSpan> MeasureVideoOffsetAsync(double firstFrameSeconds, string audioPath, CancellationToken cancellationToken)
    {
        var audio = await MediaProbe.ProbeAsync(audioPath, AudioFileLimits, cancellationToken).ConfigureAwait(false);
        var offset = TimeSpan.FromSeconds(firstFrameSeconds) - audio.StartTime;

        // Sub-millisecond differences are rounding between time bases, not a real offset.
        return offset.Duration() < TimeSpan.FromMilliseconds(1) ? TimeSpan.Zero : offset;
    }

    internal static string Seconds(TimeSpan offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{offset.TotalSeconds:0.######}");

    internal static string[] Split(string arguments) => arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
