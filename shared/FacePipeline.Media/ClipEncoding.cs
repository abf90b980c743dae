using System.Globalization;
using FFMpegCore;
using FFMpegCore.Enums;

namespace FacePipeline.Media;

/// <summary>
/// What differs between the clip encoders: the video codec, its pixel format, the container, and how the
/// audio is written. Everything else (the rational-rate pipe, BT.709 conversion, audio offset, atomic
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
internal sealed record ClipFormat(
    string PixelFormat,
    bool EvenHeight,
    string VideoCodecArguments,
    string ContainerArguments,
    Func<string, CancellationToken, Task<string>> AudioCodecAsync,
    bool TagFrames = false);

/// <summary>
/// The machinery shared by <see cref="H264ClipEncoder"/> and <see cref="ProResClipEncoder"/>: ONE ffmpeg
/// process per clip, raw RGB24 frames streamed into its pipe at an exact rational frame rate (so the output has
/// exactly the frames given, at exactly that rate), converted to BT.709 limited range and tagged so; optional
/// audio muxed with the video's start offset; the file appears under its final name only when complete.
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

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var source = new RawRgb24PipeSource(frames, width, height, frameRate, abort);

        var audioCodec = audioPath is null ? null : await format.AudioCodecAsync(audioPath, cancellationToken).ConfigureAwait(false);
        var offset = audioPath is null ? TimeSpan.Zero : videoStartOffset ?? TimeSpan.Zero;
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
        filters.Add($"format={format.PixelFormat}");
        if (format.TagFrames)
        {
            filters.Add("setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv");
        }

        var audioArguments = audioCodec is null ? "-an" : $"-map 1:a:0 -c:a {audioCodec}";
        var output = string.Create(
            CultureInfo.InvariantCulture,
            $"-map 0:v:0 {audioArguments} -sn -dn -vf {string.Join(',', filters)} {format.VideoCodecArguments} -pix_fmt {format.PixelFormat} -colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv -fps_mode passthrough {format.ContainerArguments}");

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
    /// Encodes the frames of an extraction (chunk after chunk), with its audio, at its exact frame rate and, unless
    /// <paramref name="videoStartOffset"/> is given, with the first frame's original offset from the audio.
    /// </summary>
    public static async Task<EncodedClip> EncodeAsync(
        FrameExtractionResult extraction,
        string outputPath,
        ClipFormat format,
        TimeSpan? videoStartOffset,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extraction);
        if (videoStartOffset is null && extraction.AudioPath is { } audioPath)
        {
            videoStartOffset = await MeasureVideoOffsetAsync(extraction, audioPath, cancellationToken).ConfigureAwait(false);
        }

        return await EncodeAsync(
            RawFrameChunk.ReadAllFramesAsync(extraction, cancellationToken),
            extraction.Width,
            extraction.Height,
            extraction.FrameRate,
            extraction.AudioPath,
            outputPath,
            format,
            videoStartOffset,
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
