using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace FacePipeline.Media;

/// <summary>
/// Reads frames from a chunk file written by <see cref="FrameExtractor"/>: headerless, top-down RGB24,
/// W*H*3 bytes per frame, frames back to back. Reads are positional, so one instance can serve
/// concurrent readers of different frames.
/// </summary>
public sealed class RawFrameChunk : IDisposable
{
    private readonly SafeFileHandle _handle;

    private RawFrameChunk(string path, SafeFileHandle handle, int width, int height, int frameCount)
    {
        Path = path;
        _handle = handle;
        Width = width;
        Height = height;
        FrameCount = frameCount;
    }

    public string Path { get; }

    public int Width { get; }

    public int Height { get; }

    public int FrameSizeBytes => Width * Height * 3;

    public int FrameCount { get; }

    /// <summary>Opens a chunk file; throws <see cref="InvalidDataException"/> if its length is not a whole number of frames.</summary>
    public static RawFrameChunk Open(string path, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var frameSize = checked(width * height * 3);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var length = RandomAccess.GetLength(handle);
            if (length % frameSize != 0)
            {
                throw new InvalidDataException($"{path} is {length} bytes, not a whole number of {width}x{height} RGB24 frames ({frameSize} bytes each).");
            }

            return new RawFrameChunk(path, handle, width, height, checked((int)(length / frameSize)));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens one chunk of an extraction.</summary>
    public static RawFrameChunk Open(FrameExtractionResult extraction, FrameChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(extraction);
        ArgumentNullException.ThrowIfNull(chunk);
        return Open(extraction.PathOf(chunk), extraction.Width, extraction.Height);
    }

    /// <summary>Copies frame <paramref name="index"/> (0-based, within this chunk) into <paramref name="destination"/> (at least W*H*3 bytes).</summary>
    public void ReadFrame(int index, Span<byte> destination)
    {
        var (offset, target) = Locate(index, destination.Length);
        var span = destination[..target];
        while (span.Length > 0)
        {
            var read = RandomAccess.Read(_handle, span, offset);
            if (read == 0)
            {
                throw new EndOfStreamException($"{Path} ended inside frame {index}.");
            }

            span = span[read..];
            offset += read;
        }
    }

    /// <inheritdoc cref="ReadFrame"/>
    public async ValueTask ReadFrameAsync(int index, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var (offset, target) = Locate(index, destination.Length);
        var memory = destination[..target];
        while (memory.Length > 0)
        {
            var read = await RandomAccess.ReadAsync(_handle, memory, offset, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException($"{Path} ended inside frame {index}.");
            }

            memory = memory[read..];
            offset += read;
        }
    }

    /// <summary>
    /// Every frame of this chunk in order. The same buffer is reused for each frame: consume (or copy) a
    /// frame before asking for the next.
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[FrameSizeBytes];
        for (var i = 0; i < FrameCount; i++)
        {
            await ReadFrameAsync(i, buffer, cancellationToken).ConfigureAwait(false);
            yield return buffer;
        }
    }

    /// <summary>
    /// Every frame of an extraction, chunk after chunk, in clip order (one reused buffer; see
    /// <see cref="ReadFramesAsync(CancellationToken)"/>). Feed this to <see cref="H264ClipEncoder"/> for a round trip.
    /// </summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllFramesAsync(
        FrameExtractionResult extraction,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(extraction);
        var buffer = new byte[extraction.FrameSizeBytes];
        foreach (var chunk in extraction.Chunks)
        {
            using var file = Open(extraction, chunk);
            for (var i = 0; i < file.FrameCount; i++)
            {
                await file.ReadFrameAsync(i, buffer, cancellationToken).ConfigureAwait(false);
                yield return buffer;
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    private (long Offset, int Length) Locate(int index, int destinationLength)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, FrameCount);
        if (destinationLength < FrameSizeBytes)
        {
            throw new ArgumentException($"The destination holds {destinationLength} bytes; a {Width}x{Height} RGB24 frame needs {FrameSizeBytes}.", "destination");
        }

        return ((long)index * FrameSizeBytes, FrameSizeBytes);
    }
}
