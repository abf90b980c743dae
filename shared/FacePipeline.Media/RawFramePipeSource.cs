using System.Globalization;
using System.Runtime.ExceptionServices;
using FFMpegCore.Pipes;

namespace FacePipeline.Media;

/// <summary>
/// An FFMpegCore pipe source that streams raw RGB24 frames (or 4:2:0 planes: <see cref="RawPixelFormat"/>) into ffmpeg at an exact rational frame rate
/// (FFMpegCore's RawVideoPipeSource only takes a double rate, which turns 30000/1001 into 29.97).
/// Never throws into FFMpegCore (which would swallow it): a failure is kept in <see cref="Failure"/>,
/// ffmpeg is stopped through <c>abort</c>, and the encoder rethrows it.
/// </summary>
public sealed class RawFramePipeSource(
    IAsyncEnumerable<ReadOnlyMemory<byte>> frames,
    int width,
    int height,
    Rational frameRate,
    CancellationTokenSource? abort = null,
    RawPixelFormat pixels = RawPixelFormat.Rgb24) : IPipeSource
{
    public int Width => width;

    public int Height => height;

    public Rational FrameRate => frameRate;

    public RawPixelFormat Pixels => pixels;

    public int FrameSizeBytes => pixels.FrameBytes(width, height);

    /// <summary>Frames written to ffmpeg so far.</summary>
    public long FrameCount { get; private set; }

    /// <summary>What went wrong while producing or writing frames, if anything.</summary>
    public ExceptionDispatchInfo? Failure { get; private set; }

    public string GetStreamArguments() =>
        string.Create(CultureInfo.InvariantCulture, $"-f rawvideo -pix_fmt {pixels.FfmpegName()} -video_size {width}x{height} -framerate {frameRate}");

    public async Task WriteAsync(Stream outputStream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outputStream);
        try
        {
            await foreach (var frame in frames.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (frame.Length != FrameSizeBytes)
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"Frame {FrameCount} is {frame.Length} bytes; {pixels.Describe(width, height)}."),
                        nameof(frames));
                }

                if (!await TryWriteAsync(outputStream, frame, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                FrameCount++;
            }

            await TryWriteAsync(outputStream, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            // The pipe was closed because ffmpeg stopped (usually with an error of its own): not a producer
            // failure, so ffmpeg is not killed and its exit code and error output survive.
            Failure ??= ExceptionDispatchInfo.Capture(new IOException("ffmpeg stopped reading frames.", ex));
        }
        catch (Exception ex)
        {
            // The producer failed: stop ffmpeg, which would otherwise finish a valid but short file.
            Failure ??= ExceptionDispatchInfo.Capture(ex);
            if (abort is not null)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// False when ffmpeg stopped reading (it exited, usually with an error of its own): that is recorded, but
    /// ffmpeg is not killed, so its exit code and error output survive.
    /// </summary>
    private async Task<bool> TryWriteAsync(Stream outputStream, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            if (frame.IsEmpty)
            {
                await outputStream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await outputStream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            Failure ??= ExceptionDispatchInfo.Capture(new IOException("ffmpeg stopped reading frames.", ex));
            return false;
        }
    }
}
