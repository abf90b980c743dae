using System.Buffers;
using System.Globalization;
using System.Runtime.ExceptionServices;

namespace FacePipeline.Media;

/// <summary>
/// Streams RGB24 frames (or 4:2:0 planes: <see cref="RawPixelFormat"/>) into ffmpeg with each frame's own presentation time (<see cref="FrameTiming"/>), as Matroska on
/// ffmpeg's standard input (<see cref="MatroskaRawVideoWriter"/>): the variable-frame-rate counterpart of
/// <see cref="RawFramePipeSource"/>, with the same contract: never throws into the pipe, keeps a failure in
/// <see cref="Failure"/> and stops ffmpeg through <c>abort</c> when the producer fails.
/// </summary>
internal sealed class TimedFrameSource(
    IAsyncEnumerable<ReadOnlyMemory<byte>> frames,
    int width,
    int height,
    FrameTiming timing,
    CancellationTokenSource? abort = null,
    RawPixelFormat pixels = RawPixelFormat.Rgb24)
{
    /// <summary>Frames written to ffmpeg so far.</summary>
    public long FrameCount { get; private set; }

    /// <summary>What went wrong while producing or writing frames, if anything.</summary>
    public ExceptionDispatchInfo? Failure { get; private set; }

    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MatroskaRawVideoWriter(output, width, height, pixels);
        // RGB24 goes to Matroska as BGR24 (its raw RGB codec's order): one pooled frame to swap into. 4:2:0 planes go as they are.
        var bgr = pixels == RawPixelFormat.Rgb24 ? ArrayPool<byte>.Shared.Rent(writer.FrameBytes) : null;
        try
        {
            if (!await TryAsync(() => writer.WriteHeaderAsync(timing.TicksToNanoseconds(timing.LastDurationTicks), cancellationToken)).ConfigureAwait(false))
            {
                return;
            }

            await foreach (var frame in frames.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (frame.Length != writer.FrameBytes)
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"Frame {FrameCount} is {frame.Length} bytes; {pixels.Describe(width, height)}."),
                        nameof(frames));
                }

                if (FrameCount >= timing.Count)
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"More frames than frame times: the timing has {timing.Count}."),
                        nameof(frames));
                }

                ReadOnlyMemory<byte> pixelsOut = frame;
                if (bgr is not null)
                {
                    MatroskaRawVideoWriter.RgbToBgr(frame.Span, bgr);
                    pixelsOut = bgr.AsMemory(0, writer.FrameBytes);
                }

                var at = timing.TicksToNanoseconds(timing.Ticks[(int)FrameCount]);
                if (!await TryAsync(() => writer.WriteFrameAsync(pixelsOut, at, cancellationToken)).ConfigureAwait(false))
                {
                    return;
                }

                FrameCount++;
            }

            await TryAsync(() => output.FlushAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            // The pipe was closed because ffmpeg stopped: not a producer failure.
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
        finally
        {
            if (bgr is not null)
            {
                ArrayPool<byte>.Shared.Return(bgr);
            }
        }
    }

    /// <summary>False when ffmpeg stopped reading (recorded; ffmpeg is not killed, so its exit code and error output survive).</summary>
    private async Task<bool> TryAsync(Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            Failure ??= ExceptionDispatchInfo.Capture(new IOException("ffmpeg stopped reading frames.", ex));
            return false;
        }
    }
}
