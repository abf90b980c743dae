using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FacePipeline.Geometry;

/// <summary>Visits one face's points (valid only during the call).</summary>
public delegate void PointsVisitor(ReadOnlySpan<Vec3> points);

/// <summary>
/// A temporary file of fixed-size records of points (doubles, exact), appended in order and read back by record
/// number: what a whole-clip pass over per-frame faces keeps instead of holding every frame in memory (issue 16). The
/// file is removed when the spill is disposed (on Linux it has no name from the start, so a crash leaves nothing).
/// Not thread-safe.
/// </summary>
public sealed class PointSpill : IDisposable
{
    /// <summary>Records read at once when they follow one another.</summary>
    private const int BatchRecords = 32;

    private readonly FileStream _file;
    private readonly SafeFileHandle _handle;
    private readonly byte[] _batch;
    private long _length;

    /// <param name="pointCount">Points per record.</param>
    /// <param name="directory">Where the file goes (default: the system's temporary folder).</param>
    public PointSpill(int pointCount, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pointCount);
        PointCount = pointCount;
        RecordBytes = pointCount * Vec3Bytes;
        var folder = directory ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $".spill-{Guid.NewGuid():N}.tmp");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            File.Delete(path); // no name from here on where the platform allows it (Linux): nothing left after a crash
        }
        catch (IOException)
        {
            // removed on close instead
        }
        catch (UnauthorizedAccessException)
        {
            // removed on close instead
        }

        _handle = _file.SafeFileHandle;
        _batch = new byte[RecordBytes * BatchRecords];
    }

    private static int Vec3Bytes => Marshal.SizeOf<Vec3>();

    /// <summary>Points per record.</summary>
    public int PointCount { get; }

    /// <summary>Bytes per record.</summary>
    public int RecordBytes { get; }

    /// <summary>Records appended so far.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a record; returns its number.</summary>
    public int Append(ReadOnlySpan<Vec3> points)
    {
        if (points.Length != PointCount)
        {
            throw new ArgumentException($"A record has {PointCount} points, not {points.Length}.", nameof(points));
        }

        RandomAccess.Write(_handle, MemoryMarshal.AsBytes(points), _length);
        _length += RecordBytes;
        return Count++;
    }

    /// <summary>Reads record <paramref name="record"/> into <paramref name="points"/> (of <see cref="PointCount"/>).</summary>
    public void Read(int record, Span<Vec3> points)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(record);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(record, Count);
        if (points.Length != PointCount)
        {
            throw new ArgumentException($"A record has {PointCount} points, not {points.Length}.", nameof(points));
        }

        ReadExactly(MemoryMarshal.AsBytes(points), (long)record * RecordBytes);
    }

    /// <summary>Record <paramref name="record"/> as a new array.</summary>
    public Vec3[] Read(int record)
    {
        var points = new Vec3[PointCount];
        Read(record, points);
        return points;
    }

    /// <summary>Visits the records <paramref name="records"/>, in that order (runs of consecutive records read at once).</summary>
    public void ForEach(IReadOnlyList<int> records, PointsVisitor visitor)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(visitor);
        var i = 0;
        while (i < records.Count)
        {
            var first = records[i];
            ArgumentOutOfRangeException.ThrowIfNegative(first);
            var run = 1;
            while (run < BatchRecords && i + run < records.Count && records[i + run] == first + run)
            {
                run++;
            }

            if (first + run > Count)
            {
                throw new ArgumentOutOfRangeException(nameof(records), $"Record {first + run - 1} is past the spill's {Count}.");
            }

            var bytes = _batch.AsSpan(0, run * RecordBytes);
            ReadExactly(bytes, (long)first * RecordBytes);
            var points = MemoryMarshal.Cast<byte, Vec3>(bytes);
            for (var r = 0; r < run; r++)
            {
                visitor(points.Slice(r * PointCount, PointCount));
            }

            i += run;
        }
    }

    /// <summary>Closes and removes the file.</summary>
    public void Dispose() => _file.Dispose();

    private void ReadExactly(Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            var read = RandomAccess.Read(_handle, buffer, offset);
            if (read == 0)
            {
                throw new EndOfStreamException("The spill file ended early.");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }
}
