using System.Text;

namespace FacePipeline.Stages;

/// <summary>
/// The compact binary form of frame records (".fptk"), used between the pipeline's stages and
/// offered beside tracking.json. Little-endian:
/// <code>
/// header: "FPTK" | int32 version (2) | int32 landmark count (468) | int32 frame count
/// frame:  int32 index | float64 time | int32 face count | face*
/// face:   int32 track id | float32 face score | float32 box x, y, w, h | float32 landmarks[n*3]
///         | uint8 has geometry | (if 1) float64 yaw, pitch, roll, rotation[9], translation[3], scale | float32 expression[n*3]
///         | uint8 has irises | (if 1) float32 irises[10*3]        (version 2 only)
/// </code>
/// Version 2 added the irises (<see cref="FaceRecord.Irises"/>, refined landmark model); version 1 files, which
/// end each face after the geometry, are still read (their faces have no irises). Always written as version 2.
/// <para>
/// Whole files (<see cref="Write"/>, <see cref="Read"/>) are for short runs (a chunk); a clip's records are written and
/// read a frame at a time (<see cref="TrackingBinaryWriter"/>, <see cref="TrackingBinaryReader"/>), so memory does not grow
/// with the clip's length (issue 16).
/// </para>
/// </summary>
public static class TrackingBinary
{
    /// <summary>The version written.</summary>
    public const int Version = 2;

    /// <summary>The first version, without irises: still read.</summary>
    public const int Version1 = 1;

    internal static ReadOnlySpan<byte> Magic => "FPTK"u8;

    public static void Write(Stream stream, IReadOnlyList<FrameRecord> frames, int landmarkCount = 468)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var writer = new TrackingBinaryWriter(stream, frames.Count, landmarkCount, leaveOpen: true);
        foreach (var frame in frames)
        {
            writer.Write(frame);
        }

        writer.Complete();
    }

    public static List<FrameRecord> Read(Stream stream)
    {
        using var reader = new TrackingBinaryReader(stream, leaveOpen: true);
        var frames = new List<FrameRecord>(reader.FrameCount);
        while (reader.ReadNext() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>
    /// Frames <paramref name="first"/> .. + <paramref name="count"/> of a file, read in one pass without keeping the
    /// others (e.g. one segment of a clip's sequence).
    /// </summary>
    public static List<FrameRecord> ReadRange(Stream stream, int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var reader = new TrackingBinaryReader(stream, leaveOpen: true);
        if (first + count > reader.FrameCount)
        {
            throw new InvalidDataException($"The file holds {reader.FrameCount} frames; frames {first}..+{count} were asked for.");
        }

        for (var f = 0; f < first; f++)
        {
            reader.SkipNext();
        }

        var frames = new List<FrameRecord>(count);
        for (var f = 0; f < count; f++)
        {
            frames.Add(reader.ReadNext()!);
        }

        return frames;
    }

    internal static void WriteFrame(BinaryWriter w, FrameRecord frame, int landmarkCount)
    {
        w.Write(frame.Index);
        w.Write(frame.Time);
        w.Write(frame.Faces.Count);
        foreach (var face in frame.Faces)
        {
            w.Write(face.TrackId);
            w.Write(face.FaceScore);
            w.Write(face.Box.X);
            w.Write(face.Box.Y);
            w.Write(face.Box.Width);
            w.Write(face.Box.Height);
            WritePoints(w, face.Landmarks, landmarkCount);
            var hasGeometry = face.Pose is not null && face.Expression is not null;
            w.Write((byte)(hasGeometry ? 1 : 0));
            if (hasGeometry)
            {
                var pose = face.Pose!;
                w.Write(pose.Yaw);
                w.Write(pose.Pitch);
                w.Write(pose.Roll);
                foreach (var v in pose.Rotation)
                {
                    w.Write(v);
                }

                foreach (var v in pose.Translation)
                {
                    w.Write(v);
                }

                w.Write(pose.Scale);
                WritePoints(w, face.Expression!, landmarkCount);
            }

            w.Write((byte)(face.Irises is null ? 0 : 1));
            if (face.Irises is not null)
            {
                WritePoints(w, face.Irises, FaceRecord.IrisPointCount);
            }
        }
    }

    internal static FrameRecord ReadFrame(BinaryReader r, int version, int landmarkCount)
    {
        var index = r.ReadInt32();
        var time = r.ReadDouble();
        var faces = new FaceRecord[r.ReadInt32()];
        for (var i = 0; i < faces.Length; i++)
        {
            var trackId = r.ReadInt32();
            var score = r.ReadSingle();
            var box = new BoxRecord(r.ReadSingle(), r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
            var landmarks = ReadPoints(r, landmarkCount);
            PoseRecord? pose = null;
            float[][]? expression = null;
            if (r.ReadByte() == 1)
            {
                var (yaw, pitch, roll) = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
                var rotation = new double[9];
                for (var k = 0; k < rotation.Length; k++)
                {
                    rotation[k] = r.ReadDouble();
                }

                var translation = new[] { r.ReadDouble(), r.ReadDouble(), r.ReadDouble() };
                pose = new PoseRecord(yaw, pitch, roll, rotation, translation, r.ReadDouble());
                expression = ReadPoints(r, landmarkCount);
            }

            var irises = version >= Version && r.ReadByte() == 1 ? ReadPoints(r, FaceRecord.IrisPointCount) : null;
            faces[i] = new FaceRecord(trackId, score, box, landmarks, pose, expression, irises);
        }

        return new FrameRecord(index, time, faces);
    }

    /// <summary>Skips one frame without building it.</summary>
    internal static void SkipFrame(BinaryReader r, int version, int landmarkCount)
    {
        r.ReadInt32();
        r.ReadDouble();
        var faces = r.ReadInt32();
        for (var i = 0; i < faces; i++)
        {
            Skip(r, 4 + 4 + 16 + (landmarkCount * 12));
            if (r.ReadByte() == 1)
            {
                Skip(r, (16 * 8) + (landmarkCount * 12));
            }

            if (version >= Version && r.ReadByte() == 1)
            {
                Skip(r, FaceRecord.IrisPointCount * 12);
            }
        }
    }

    private static void Skip(BinaryReader r, int bytes)
    {
        if (r.BaseStream.CanSeek)
        {
            r.BaseStream.Seek(bytes, SeekOrigin.Current);
            return;
        }

        Span<byte> scratch = stackalloc byte[1024];
        while (bytes > 0)
        {
            var read = r.Read(scratch[..Math.Min(bytes, scratch.Length)]);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            bytes -= read;
        }
    }

    private static void WritePoints(BinaryWriter w, float[][] points, int count)
    {
        if (points.Length != count)
        {
            throw new InvalidDataException($"Expected {count} points, got {points.Length}.");
        }

        foreach (var p in points)
        {
            w.Write(p[0]);
            w.Write(p[1]);
            w.Write(p[2]);
        }
    }

    private static float[][] ReadPoints(BinaryReader r, int count)
    {
        var points = new float[count][];
        for (var i = 0; i < count; i++)
        {
            points[i] = [r.ReadSingle(), r.ReadSingle(), r.ReadSingle()];
        }

        return points;
    }
}

/// <summary>
/// Writes a .fptk file a frame at a time (<see cref="TrackingBinary"/>'s layout, version 2): the header names the frame
/// count given up front, and <see cref="Complete"/> checks that exactly that many frames were written.
/// </summary>
public sealed class TrackingBinaryWriter : IDisposable
{
    private readonly BinaryWriter _writer;
    private readonly int _frameCount;
    private readonly int _landmarkCount;

    public TrackingBinaryWriter(Stream stream, int frameCount, int landmarkCount = 468, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        _writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen);
        _frameCount = frameCount;
        _landmarkCount = landmarkCount;
        _writer.Write(TrackingBinary.Magic);
        _writer.Write(TrackingBinary.Version);
        _writer.Write(landmarkCount);
        _writer.Write(frameCount);
    }

    /// <summary>Frames written so far.</summary>
    public int Written { get; private set; }

    public void Write(FrameRecord frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (Written >= _frameCount)
        {
            throw new InvalidOperationException($"The file was started for {_frameCount} frames.");
        }

        TrackingBinary.WriteFrame(_writer, frame, _landmarkCount);
        Written++;
    }

    /// <summary>Flushes; throws when fewer frames were written than the header says.</summary>
    public void Complete()
    {
        if (Written != _frameCount)
        {
            throw new InvalidOperationException($"{Written} frames were written; the file was started for {_frameCount}.");
        }

        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}

/// <summary>Reads a .fptk file a frame at a time, in order (versions 1 and 2).</summary>
public sealed class TrackingBinaryReader : IDisposable
{
    private readonly BinaryReader _reader;

    public TrackingBinaryReader(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen);
        Span<byte> magic = stackalloc byte[4];
        if (_reader.Read(magic) != 4 || !magic.SequenceEqual(TrackingBinary.Magic))
        {
            throw new InvalidDataException("Not a FacePipeline tracking file (no FPTK header).");
        }

        Version = _reader.ReadInt32();
        if (Version is not (TrackingBinary.Version1 or TrackingBinary.Version))
        {
            throw new InvalidDataException($"FPTK version {Version} is not supported (versions {TrackingBinary.Version1} and {TrackingBinary.Version} are).");
        }

        LandmarkCount = _reader.ReadInt32();
        FrameCount = _reader.ReadInt32();
    }

    public int Version { get; }

    public int LandmarkCount { get; }

    /// <summary>Frames in the file (its header).</summary>
    public int FrameCount { get; }

    /// <summary>Frames read (or skipped) so far.</summary>
    public int Position { get; private set; }

    /// <summary>The next frame, or null after the last.</summary>
    public FrameRecord? ReadNext()
    {
        if (Position >= FrameCount)
        {
            return null;
        }

        var frame = TrackingBinary.ReadFrame(_reader, Version, LandmarkCount);
        Position++;
        return frame;
    }

    /// <summary>Skips the next frame; false after the last.</summary>
    public bool SkipNext()
    {
        if (Position >= FrameCount)
        {
            return false;
        }

        TrackingBinary.SkipFrame(_reader, Version, LandmarkCount);
        Position++;
        return true;
    }

    /// <summary>The remaining frames, in order, each built as it is reached.</summary>
    public IEnumerable<FrameRecord> ReadAll()
    {
        while (ReadNext() is { } frame)
        {
            yield return frame;
        }
    }

    public void Dispose() => _reader.Dispose();
}
