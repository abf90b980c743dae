using System.Text;

namespace FacePipeline.Stages;

/// <summary>
/// The compact binary form of frame records (".fptk"), used between the pipeline's stages and
/// offered beside tracking.json. Little-endian:
/// <code>
/// header: "FPTK" | int32 version (1) | int32 landmark count (468) | int32 frame count
/// frame:  int32 index | float64 time | int32 face count | face*
/// face:   int32 track id | float32 face score | float32 box x, y, w, h | float32 landmarks[n*3]
///         | uint8 has geometry | (if 1) float64 yaw, pitch, roll, rotation[9], translation[3], scale | float32 expression[n*3]
/// </code>
/// </summary>
public static class TrackingBinary
{
    private const int Version = 1;
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
            }
        }
    }

    public static List<FrameRecord> Read(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic) || r.ReadInt32() != Version)
        {
            throw new InvalidDataException("Not a FacePipeline tracking file (FPTK version 1).");
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

                faces[i] = new FaceRecord(trackId, score, box, landmarks, pose, expression);
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
