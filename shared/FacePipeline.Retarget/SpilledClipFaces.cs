using System.Collections;
using System.Runtime.InteropServices;
using FacePipeline.Geometry;
using Microsoft.Win32.SafeHandles;

namespace FacePipeline.Retarget;

/// <summary>A list of faces per frame that can tell whether a frame has one without building it.</summary>
public interface IFacePresence
{
    /// <summary>Whether frame <paramref name="frame"/> has a face.</summary>
    bool HasFace(int frame);
}

/// <summary>
/// A clip's faces per frame (<see cref="RetargetClip.Frames"/>) kept in a temporary file instead of memory (issue 16:
/// memory flat in length): each face's pose, pose-free points (exact doubles), screen points and irises (exact floats:
/// the records' own values) in a fixed-size record, read back by frame as the planner asks for it (the last few kept).
/// Only which frames have a face is held, a bit or so per frame. Disposing removes the file (on Linux it has no name from
/// the start). Not thread-safe.
/// </summary>
public sealed class SpilledClipFaces : IReadOnlyList<ClipFace?>, IFacePresence, IDisposable
{
    private const int Kept = 8;

    private readonly FileStream _file;
    private readonly SafeFileHandle _handle;
    private readonly int[] _records;
    private readonly int _points;
    private readonly int _recordBytes;
    private readonly byte[] _buffer;
    private readonly Dictionary<int, ClipFace> _kept = [];
    private readonly Queue<int> _keptOrder = new();

    private SpilledClipFaces(FileStream file, int[] records, int points)
    {
        _file = file;
        _handle = file.SafeFileHandle;
        _records = records;
        _points = points;
        _recordBytes = RecordBytes(points);
        _buffer = new byte[_recordBytes];
    }

    /// <summary>Frames.</summary>
    public int Count => _records.Length;

    /// <summary>Frames with a face.</summary>
    public int FaceCount { get; private init; }

    /// <summary>Frame <paramref name="index"/>'s face, or null (a new object on each read past the few kept).</summary>
    public ClipFace? this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            if (_records[index] < 0)
            {
                return null;
            }

            if (_kept.TryGetValue(index, out var kept))
            {
                return kept;
            }

            var face = Read(_records[index]);
            if (_keptOrder.Count >= Kept)
            {
                _kept.Remove(_keptOrder.Dequeue());
            }

            _kept[index] = face;
            _keptOrder.Enqueue(index);
            return face;
        }
    }

    /// <summary>
    /// Writes <paramref name="faces"/> (one per frame, in order; every face of <paramref name="points"/> points) to a
    /// temporary file in <paramref name="directory"/> (default: the system's temporary folder).
    /// </summary>
    public static SpilledClipFaces Write(IEnumerable<ClipFace?> faces, int points = 468, string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(faces);
        var folder = directory ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $".faces-{Guid.NewGuid():N}.tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // removed on close instead
            }
            catch (UnauthorizedAccessException)
            {
                // removed on close instead
            }

            var records = new List<int>();
            var bytes = new byte[RecordBytes(points)];
            var count = 0;
            long offset = 0;
            foreach (var face in faces)
            {
                if (face is null)
                {
                    records.Add(-1);
                    continue;
                }

                Encode(face, points, bytes);
                RandomAccess.Write(file.SafeFileHandle, bytes, offset);
                offset += bytes.Length;
                records.Add(count++);
            }

            return new SpilledClipFaces(file, [.. records], points) { FaceCount = count };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool HasFace(int frame) => _records[frame] >= 0;

    /// <inheritdoc/>
    public IEnumerator<ClipFace?> GetEnumerator()
    {
        for (var f = 0; f < Count; f++)
        {
            yield return this[f];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Closes and removes the file.</summary>
    public void Dispose() => _file.Dispose();

    // Record: pose (rotation 9, translation 3, scale 1: doubles), pose-free points (doubles), screen points (floats),
    // has irises (an int) and 10 iris points (floats).
    private static int RecordBytes(int points) => (13 * 8) + (points * 24) + (points * 12) + 4 + (10 * 12);

    private static void Encode(ClipFace face, int points, Span<byte> bytes)
    {
        if (face.Screen.Length != points || face.PoseFree.Length != points)
        {
            throw new ArgumentException($"A face has {face.Screen.Length} screen and {face.PoseFree.Length} pose-free points; {points} were announced.", nameof(face));
        }

        var doubles = MemoryMarshal.Cast<byte, double>(bytes[..((13 * 8) + (points * 24))]);
        var r = face.Pose.Rotation;
        for (var k = 0; k < 9; k++)
        {
            doubles[k] = r[k / 3, k % 3];
        }

        (doubles[9], doubles[10], doubles[11], doubles[12]) = (face.Pose.Translation.X, face.Pose.Translation.Y, face.Pose.Translation.Z, face.Pose.Scale);
        MemoryMarshal.AsBytes(face.PoseFree.AsSpan()).CopyTo(bytes[(13 * 8)..]);
        var floats = MemoryMarshal.Cast<byte, float>(bytes[((13 * 8) + (points * 24))..]);
        for (var k = 0; k < points; k++)
        {
            floats[3 * k] = Exact(face.Screen[k].X);
            floats[(3 * k) + 1] = Exact(face.Screen[k].Y);
            floats[(3 * k) + 2] = Exact(face.Screen[k].Z);
        }

        var irises = floats[(3 * points)..];
        if (face.Irises is { Length: 10 } eyes)
        {
            MemoryMarshal.Write(MemoryMarshal.AsBytes(irises[..1]), 1);
            for (var k = 0; k < 10; k++)
            {
                irises[1 + (3 * k)] = Exact(eyes[k].X);
                irises[2 + (3 * k)] = Exact(eyes[k].Y);
                irises[3 + (3 * k)] = Exact(eyes[k].Z);
            }
        }
        else if (face.Irises is not null)
        {
            throw new ArgumentException($"A face has {face.Irises.Length} iris points; 10 were expected.", nameof(face));
        }
        else
        {
            MemoryMarshal.Write(MemoryMarshal.AsBytes(irises[..1]), 0);
        }
    }

    /// <summary>A screen point's coordinate as the records hold it (a float); anything else cannot be kept exactly here.</summary>
    private static float Exact(double value)
    {
        var single = (float)value;
        return single == value || double.IsNaN(value)
            ? single
            : throw new ArgumentException($"A screen coordinate ({value}) is not a float's value: these faces come from the records, which hold floats.");
    }

    private ClipFace Read(int record)
    {
        var offset = (long)record * _recordBytes;
        var span = _buffer.AsSpan();
        while (span.Length > 0)
        {
            var read = RandomAccess.Read(_handle, span, offset);
            if (read == 0)
            {
                throw new EndOfStreamException("The faces' file ended early.");
            }

            span = span[read..];
            offset += read;
        }

        var points = _points;
        var doubles = MemoryMarshal.Cast<byte, double>(_buffer.AsSpan(0, (13 * 8) + (points * 24)));
        var pose = new FacePose(
            new Matrix3(doubles[0], doubles[1], doubles[2], doubles[3], doubles[4], doubles[5], doubles[6], doubles[7], doubles[8]),
            new Vec3(doubles[9], doubles[10], doubles[11]),
            doubles[12]);
        var poseFree = MemoryMarshal.Cast<byte, Vec3>(_buffer.AsSpan(13 * 8, points * 24)).ToArray();
        var floats = MemoryMarshal.Cast<byte, float>(_buffer.AsSpan((13 * 8) + (points * 24)));
        var screen = new Vec3[points];
        for (var k = 0; k < points; k++)
        {
            screen[k] = new Vec3(floats[3 * k], floats[(3 * k) + 1], floats[(3 * k) + 2]);
        }

        var irises = floats[(3 * points)..];
        Vec3[]? eyes = null;
        if (MemoryMarshal.Read<int>(MemoryMarshal.AsBytes(irises[..1])) == 1)
        {
            eyes = new Vec3[10];
            for (var k = 0; k < 10; k++)
            {
                eyes[k] = new Vec3(irises[1 + (3 * k)], irises[2 + (3 * k)], irises[3 + (3 * k)]);
            }
        }

        return new ClipFace(screen, pose, poseFree, eyes);
    }
}

/// <summary>A read-only list whose items are made on demand (nothing is held).</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="count">Items.</param>
/// <param name="at">Makes item i.</param>
/// <param name="has">Whether item i is not null, without making it (default: made and looked at).</param>
public sealed class LazyList<T>(int count, Func<int, T> at, Func<int, bool>? has = null) : IReadOnlyList<T>, IFacePresence
{
    /// <summary>The pose-free faces of a clip's frames, made as they are asked for.</summary>
    public static LazyList<Vec3[]?> PoseFree(IReadOnlyList<ClipFace?> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        return new LazyList<Vec3[]?>(frames.Count, f => frames[f]?.PoseFree, frames.HasFace);
    }

    /// <inheritdoc/>
    public bool HasFace(int frame) => has is not null ? has(frame) : this[frame] is not null;

    /// <inheritdoc/>
    public int Count => count;

    /// <inheritdoc/>
    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
            return at(index);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < count; i++)
        {
            yield return at(i);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Whether a frame of a face list has a face, without building it where the list can tell (<see cref="IFacePresence"/>).</summary>
public static class FacePresence
{
    /// <summary>Whether <paramref name="frames"/>[<paramref name="frame"/>] is a face.</summary>
    public static bool HasFace<T>(this IReadOnlyList<T?> frames, int frame)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(frames);
        return frames is IFacePresence presence ? presence.HasFace(frame) : frames[frame] is not null;
    }
}
