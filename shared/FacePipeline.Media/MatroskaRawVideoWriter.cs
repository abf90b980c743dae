using System.Buffers.Binary;
using System.Text;

namespace FacePipeline.Media;

/// <summary>
/// Writes raw frames with a presentation time each as a minimal streaming Matroska file, for ffmpeg to read on a pipe
/// (<c>-f matroska -i pipe:0</c>): the way to hand ffmpeg 5.1 frames at <em>variable</em> times (its rawvideo demuxer
/// only knows a constant rate). One video track, <c>V_MS/VFW/FOURCC</c> with an uncompressed top-down BGR24
/// BITMAPINFOHEADER (what ffmpeg itself writes for raw RGB with <c>-allow_raw_vfw</c>), or for 4:2:0 planes the
/// <c>I420</c> FourCC (ffmpeg's <c>yuv420p</c> rawvideo layout), timestamps in nanoseconds
/// (TimestampScale 1 ns), one cluster per frame (a cluster's own timestamp, the block's relative one 0), every frame a
/// key frame. The track's DefaultDuration is the last frame's duration: ffmpeg takes the stream's frame rate from it, and
/// with it the duration of the last frame it writes.
/// </summary>
internal sealed class MatroskaRawVideoWriter(Stream output, int width, int height, RawPixelFormat pixels = RawPixelFormat.Rgb24)
{
    /// <summary>The BITMAPINFOHEADER compression of 4:2:0 planes: the FourCC 'I420' (Y, then Cb, then Cr).</summary>
    private const int I420 = 'I' | ('4' << 8) | ('2' << 16) | ('0' << 24);

    private readonly byte[] _header = new byte[64];

    /// <summary>Bytes of one frame: BGR24 (<see cref="RawPixelFormat.Rgb24"/>: the caller swaps red and blue) or I420.</summary>
    public int FrameBytes => pixels.FrameBytes(width, height);

    /// <summary>EBML header, the segment (size unknown: streamed), its info and the track.</summary>
    public async Task WriteHeaderAsync(long defaultDurationNanoseconds, CancellationToken cancellationToken)
    {
        using var head = new MemoryStream();
        Element(head, 0x1A45DFA3, Concat(
            UInt(0x4286, 1), // EBMLVersion
            UInt(0x42F7, 1), // EBMLReadVersion
            UInt(0x42F2, 4), // EBMLMaxIDLength
            UInt(0x42F3, 8), // EBMLMaxSizeLength
            Text(0x4282, "matroska"), // DocType
            UInt(0x4287, 4), // DocTypeVersion
            UInt(0x4285, 2))); // DocTypeReadVersion
        WriteId(head, 0x18538067); // Segment, unknown size
        head.Write([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        Element(head, 0x1549A966, Concat(
            UInt(0x2AD7B1, 1), // TimestampScale: 1 ns
            Text(0x4D80, "FacePipeline"), // MuxingApp
            Text(0x5741, "FacePipeline"))); // WritingApp

        var bitmap = new byte[40]; // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(bitmap.AsSpan(0), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bitmap.AsSpan(4), width);
        BinaryPrimitives.WriteInt16LittleEndian(bitmap.AsSpan(12), 1); // planes
        if (pixels == RawPixelFormat.Yuv420p)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bitmap.AsSpan(8), height); // YUV FourCCs are top-down
            BinaryPrimitives.WriteInt16LittleEndian(bitmap.AsSpan(14), 12); // bits per pixel
            BinaryPrimitives.WriteInt32LittleEndian(bitmap.AsSpan(16), I420);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(bitmap.AsSpan(8), -height); // negative: top-down rows
            BinaryPrimitives.WriteInt16LittleEndian(bitmap.AsSpan(14), 24); // bits per pixel (BI_RGB: B, G, R)
        }

        BinaryPrimitives.WriteInt32LittleEndian(bitmap.AsSpan(20), FrameBytes);
        var track = Concat(
            UInt(0xD7, 1), // TrackNumber
            UInt(0x73C5, 1), // TrackUID
            UInt(0x83, 1), // TrackType: video
            UInt(0x9C, 0), // FlagLacing: off
            Text(0x86, "V_MS/VFW/FOURCC"), // CodecID
            UInt(0x23E383, (ulong)Math.Max(1, defaultDurationNanoseconds)), // DefaultDuration
            Bytes(0x63A2, bitmap), // CodecPrivate
            Bytes(0xE0, Concat(UInt(0xB0, (ulong)width), UInt(0xBA, (ulong)height)))); // Video: PixelWidth, PixelHeight
        Element(head, 0x1654AE6B, Bytes(0xAE, track)); // Tracks { TrackEntry }
        await output.WriteAsync(head.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One frame (BGR24 or I420, top-down, <see cref="FrameBytes"/> bytes) shown from <paramref name="timestampNanoseconds"/>.</summary>
    public async Task WriteFrameAsync(ReadOnlyMemory<byte> bgr24, long timestampNanoseconds, CancellationToken cancellationToken)
    {
        if (bgr24.Length != FrameBytes)
        {
            throw new ArgumentException($"A {width}x{height} {(pixels == RawPixelFormat.Rgb24 ? "BGR24" : "I420")} frame is {FrameBytes} bytes, not {bgr24.Length}.", nameof(bgr24));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);

        // Cluster { Timestamp, SimpleBlock { track 1, relative time 0, key frame, the pixels } }.
        var timestamp = UInt(0xE7, (ulong)timestampNanoseconds);
        var blockSize = 4L + bgr24.Length;
        var blockElementSize = 1 + 8 + blockSize;
        var clusterSize = timestamp.Length + blockElementSize;
        var n = 0;
        n += PutId(_header.AsSpan(n), 0x1F43B675);
        n += PutSize(_header.AsSpan(n), clusterSize);
        timestamp.CopyTo(_header.AsSpan(n));
        n += timestamp.Length;
        n += PutId(_header.AsSpan(n), 0xA3);
        n += PutSize(_header.AsSpan(n), blockSize);
        _header[n++] = 0x81; // track number 1 (EBML varint)
        _header[n++] = 0; // relative timestamp (int16) 0
        _header[n++] = 0;
        _header[n++] = 0x80; // flags: key frame
        await output.WriteAsync(_header.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(bgr24, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies a top-down RGB24 frame to <paramref name="bgr24"/> with red and blue swapped.</summary>
    public static void RgbToBgr(ReadOnlySpan<byte> rgb24, Span<byte> bgr24)
    {
        if (bgr24.Length < rgb24.Length)
        {
            throw new ArgumentException("The destination is too small.", nameof(bgr24));
        }

        for (var i = 0; i + 2 < rgb24.Length; i += 3)
        {
            bgr24[i] = rgb24[i + 2];
            bgr24[i + 1] = rgb24[i + 1];
            bgr24[i + 2] = rgb24[i];
        }
    }

    private static void Element(Stream stream, uint id, byte[] payload)
    {
        WriteId(stream, id);
        Span<byte> size = stackalloc byte[8];
        stream.Write(size[..PutSize(size, payload.Length)]);
        stream.Write(payload);
    }

    private static byte[] Bytes(uint id, byte[] payload)
    {
        using var stream = new MemoryStream();
        Element(stream, id, payload);
        return stream.ToArray();
    }

    private static byte[] UInt(uint id, ulong value)
    {
        var length = 1;
        while (length < 8 && value >> (8 * length) != 0)
        {
            length++;
        }

        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[length - 1 - i] = (byte)(value >> (8 * i));
        }

        return Bytes(id, payload);
    }

    private static byte[] Text(uint id, string value) => Bytes(id, Encoding.ASCII.GetBytes(value));

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static void WriteId(Stream stream, uint id)
    {
        Span<byte> bytes = stackalloc byte[4];
        stream.Write(bytes[..PutId(bytes, id)]);
    }

    /// <summary>An element ID as its bytes (IDs carry their own length marker).</summary>
    private static int PutId(Span<byte> destination, uint id)
    {
        var length = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
        for (var i = 0; i < length; i++)
        {
            destination[i] = (byte)(id >> (8 * (length - 1 - i)));
        }

        return length;
    }

    /// <summary>An element size as an 8-byte EBML varint (0x01 then 7 bytes): simple, and large enough for any frame.</summary>
    private static int PutSize(Span<byte> destination, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        destination[0] = 0x01;
        for (var i = 1; i < 8; i++)
        {
            destination[i] = (byte)(size >> (8 * (7 - i)));
        }

        return 8;
    }
}
