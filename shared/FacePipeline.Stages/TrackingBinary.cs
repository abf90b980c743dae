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
/// </summary>
public static class TrackingBinary
{
    /// <summary>The version written.</summary>
    public const int Version = 2;

    /// <summary>The first version, without irises: still read.</summary>
    public const int Version1 = 1;

    private static readonly byte[] Magic = "FPTK"u8.ToArray();

    public static void Write(Stream stream, IReadOnlyList<FrameRecord> frames, int landmarkCount = 468)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write(landmarkCount);
        w.Write(frames.Count);
        foreach (var frame in frames)
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
                    foreach (var v in pose.Rotation.Concat(pose.Translation))
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
    }

    public static List<FrameRecord> Read(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not a FacePipeline tracking file (no FPTK header).");
        }

        var version = r.ReadInt32();
        if (version is not (Version1 or Version))
        {
            throw new InvalidDataException($"FPTK version {version} is not supported (versions {Version1} and {Version} are).");
        }

        var landmarkCount = r.ReadInt32();
        var frameCount = r.ReadInt32();
        var frames = new List<FrameRecord>(frameCount);
        for (var f = 0; f < frameCount; f++)
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
                    var rotation = Enumerable.Range(0, 9).Select(_ => r.ReadDouble()).ToArray();
                    var translation = Enumerable.Range(0, 3).Select(_ => r.ReadDouble()).ToArray();
                    pose = new PoseRecord(yaw, pitch, roll, rotation, translation, r.ReadDouble());
                    expression = ReadPoints(r, landmarkCount);
                }

                var irises = version >= Version && r.ReadByte() == 1 ? ReadPoints(r, FaceRecord.IrisPointCount) : null;
                faces[i] = new FaceRecord(trackId, score, box, landmarks, pose, expression, irises);
            }

            frames.Add(new FrameRecord(index, time, faces));
        }

        return frames;
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
