using System.Globalization;
using FFMpegCore;
using FFMpegCore.Enums;
using FFMpegCore.Pipes;

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
}

/// <summary>What <see cref="H264ClipEncoder"/> wrote.</summary>
/// <param name="OutputPath">The MP4 file.</param>
/// <param name="FrameCount">Frames sent to the encoder (and present in the file).</param>
/// <param name="Width">Encoded width (the frame width rounded up to even).</param>
/// <param name="Height">Encoded height (the frame height rounded up to even).</param>
/// <param name="FrameRate">The exact constant frame rate of the file.</param>
/// <param name="HasAudio">True when an audio track was muxed.</param>
public sealed record EncodedClip(string OutputPath, long FrameCount, int Width, int Height, Rational FrameRate, bool HasAudio);

/// <summary>
/// Encodes raw RGB24 frames to an H.264/AAC MP4 with ONE ffmpeg process: the frames stream into ffmpeg's
/// stdin-like pipe at an exact rational frame rate, so the output has exactly the frames given, at exactly
/// that rate (30000/1001 stays 30000/1001), yuv420p BT.709, +faststart.
/// </summary>
public static class H264ClipEncoder
{
    /// <summary>Audio inputs are our own files, but are still opened locked down.</summary>
    private static readonly MediaLimits AudioFileLimits = new()
    {
        AllowedContainers = [.. ContainerPolicy.DefaultVideoDemuxers, "wav", "flac", "mp3", "aac", "ogg"],
    };

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
    public static async Task<EncodedClip> EncodeAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames,
        int width,
        int height,
        Rational frameRate,
        string? audioPath,
        string outputPath,
        H264EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!frameRate.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "The frame rate must be positive.");
        }

        options ??= new H264EncodeOptions();
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
        var evenHeight = height + (height & 1);

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var source = new RawRgb24PipeSource(frames, width, height, frameRate, abort);

        var audioCodec = audioPath is null ? null : await ChooseAudioCodecAsync(audioPath, options, cancellationToken).ConfigureAwait(false);
        var offset = audioPath is null ? TimeSpan.Zero : options.VideoStartOffset ?? TimeSpan.Zero;
        var inputs = FFMpegArguments.FromPipeInput(source, o =>
        {
            if (offset > TimeSpan.Zero)
            {
                o.WithCustomArgument(ItsOffset(offset));
            }
        });
        if (audioPath is not null)
        {
            inputs = inputs.AddFileInput(audioPath, verifyExists: true, o => o.WithCustomArgument(
                $"-protocol_whitelist {ContainerPolicy.ProtocolWhitelist}{(offset < TimeSpan.Zero ? " " + ItsOffset(-offset) : string.Empty)}"));
        }

        var filters = new List<string>();
        if (evenWidth != width || evenHeight != height)
        {
            filters.Add(string.Create(CultureInfo.InvariantCulture, $"pad={evenWidth}:{evenHeight}:0:0:black"));
        }

        filters.Add("scale=out_color_matrix=bt709:out_range=tv");
        filters.Add("format=yuv420p");

        var audioArguments = audioCodec is null ? "-an" : $"-map 1:a:0 -c:a {audioCodec}";
        var output = string.Create(
            CultureInfo.InvariantCulture,
            $"-map 0:v:0 {audioArguments} -sn -dn -vf {string.Join(',', filters)} -c:v libx264 -preset {options.Preset} -crf {options.Crf} -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv -fps_mode passthrough -movflags +faststart -f mp4");

        FFMpegResult result;
        try
        {
            result = await inputs
                .OutputToFile(temp, overwrite: true, o => o.WithCustomArgument(output))
                .WithLogLevel(FFMpegLogLevel.Error)
                .ProcessAsynchronously(throwOnError: false, ffOptions: null, abort.Token)
                .ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            TryDelete(temp);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                source.Failure?.Throw(); // the frame producer failed and we stopped ffmpeg: report the producer's error
            }

            throw;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A producer error comes first; a broken pipe only means ffmpeg stopped reading, so ffmpeg's own error says why.
            if (source.Failure is { SourceException: not IOException } producerFailure)
            {
                producerFailure.Throw();
            }

            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"ffmpeg could not encode {outputPath} (exit code {result.ExitCode}): {MediaProbe.LastMeaningfulLine(result.StandardError) ?? "no error output"}");
            }

            source.Failure?.Throw();

            if (source.FrameCount == 0)
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

        return new EncodedClip(outputPath, source.FrameCount, evenWidth, evenHeight, frameRate, audioPath is not null);
    }

    /// <summary>
    /// Encodes the frames of an extraction (chunk after chunk), with its audio, at its exact frame rate and with
    /// the first frame's original offset from the audio.
    /// </summary>
    public static async Task<EncodedClip> EncodeAsync(
        FrameExtractionResult extraction,
        string outputPath,
        H264EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(extraction);
        options ??= new H264EncodeOptions();
        if (options.VideoStartOffset is null && extraction.AudioPath is { } audioPath)
        {
            options = options with { VideoStartOffset = await MeasureVideoOffsetAsync(extraction, audioPath, cancellationToken).ConfigureAwait(false) };
        }

        return await EncodeAsync(
            RawFrameChunk.ReadAllFramesAsync(extraction, cancellationToken),
            extraction.Width,
            extraction.Height,
            extraction.FrameRate,
            extraction.AudioPath,
            outputPath,
            options,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// First frame time minus first audio sample time, both on the source container's clock (the timeline is on
    /// that clock; audio.mka keeps its start relative to it, and ffmpeg re-bases each input to 0 when encoding).
    /// </summary>
    private static async Task<TimeSpan> MeasureVideoOffsetAsync(FrameExtractionResult extraction, string audioPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(extraction.TimelinePath))
        {
            return TimeSpan.Zero;
        }

        var timeline = FrameTimeline.Load(extraction.TimelinePath);
        if (timeline.Seconds.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var audio = await MediaProbe.ProbeAsync(audioPath, AudioFileLimits, cancellationToken).ConfigureAwait(false);
        var offset = TimeSpan.FromSeconds(timeline.Seconds[0]) - audio.StartTime;

        // Sub-millisecond differences are rounding between time bases, not a real offset.
        return offset.Duration() < TimeSpan.FromMilliseconds(1) ? TimeSpan.Zero : offset;
    }

    private static string ItsOffset(TimeSpan offset) =>
        string.Create(CultureInfo.InvariantCulture, $"-itsoffset {offset.TotalSeconds:0.######}");

    /// <summary>AAC is copied as it is (no generation loss); anything else is encoded to AAC.</summary>
    private static async Task<string> ChooseAudioCodecAsync(string audioPath, H264EncodeOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var probe = await MediaProbe.ProbeAsync(audioPath, AudioFileLimits, cancellationToken).ConfigureAwait(false);
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

    private static void TryDelete(string path)
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
