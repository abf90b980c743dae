using System.Text;

namespace FacePipeline.Stages;

/// <summary>
/// A temporary file of frame records written in order and read back in order once rewound: what a whole-clip step keeps
/// of each frame between its passes instead of a list of every frame (issue 16). Faces keep their pose
/// (<see cref="FaceRecord.Pose"/>) without their expression, which such a step adds on its last pass. The file is removed
/// when the spill is disposed (on Linux it has no name from the start). Not thread-safe.
/// </summary>
internal sealed class FrameSpill : IDisposable
{
    private readonly FileStream _file;
    private readonly BinaryWriter _writer;
    private readonly BinaryReader _reader;

    public FrameSpill(string? directory = null)
    {
        var folder = directory ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $".frames-{Guid.NewGuid():N}.tmp");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose);
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

        _writer = new BinaryWriter(_file, Encoding.UTF8, leaveOpen: true);
        _reader = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>Frames written.</summary>
    public int Count { get; private set; }

    public void Write(FrameRecord frame)
    {
        _writer.Write(frame.Index);
        _writer.Write(frame.Time);
        _writer.Write(frame.Faces.Count);
        foreach (var face in frame.Faces)
        {
            _writer.Write(face.TrackId);
            _writer.Write(face.FaceScore);
            _writer.Write(face.Box.X);
            _writer.Write(face.Box.Y);
            _writer.Write(face.Box.Width);
            _writer.Write(face.Box.Height);
            WritePoints(face.Landmarks);
            _writer.Write(face.Pose is not null);
            if (face.Pose is { } pose)
            {
                _writer.Write(pose.Yaw);
                _writer.Write(pose.Pitch);
                _writer.Write(pose.Roll);
                foreach (var v in pose.Rotation)
                {
                    _writer.Write(v);
                }

                foreach (var v in pose.Translation)
                {
                    _writer.Write(v);
                }

                _writer.Write(pose.Scale);
            }

            _writer.Write(face.Irises is not null);
            if (face.Irises is { } irises)
            {
                WritePoints(irises);
            }
        }

        Count++;
    }

    /// <summary>Back to the first frame, for reading.</summary>
    public void Rewind()
    {
        _writer.Flush();
        _file.Position = 0;
    }

    public FrameRecord Read()
    {
        var index = _reader.ReadInt32();
        var time = _reader.ReadDouble();
        var faces = new FaceRecord[_reader.ReadInt32()];
        for (var i = 0; i < faces.Length; i++)
        {
            var trackId = _reader.ReadInt32();
            var score = _reader.ReadSingle();
            var box = new BoxRecord(_reader.ReadSingle(), _reader.ReadSingle(), _reader.ReadSingle(), _reader.ReadSingle());
            var landmarks = ReadPoints();
            PoseRecord? pose = null;
            if (_reader.ReadBoolean())
            {
                var (yaw, pitch, roll) = (_reader.ReadDouble(), _reader.ReadDouble(), _reader.ReadDouble());
                var rotation = new double[9];
                for (var k = 0; k < rotation.Length; k++)
                {
                    rotation[k] = _reader.ReadDouble();
                }

                var translation = new[] { _reader.ReadDouble(), _reader.ReadDouble(), _reader.ReadDouble() };
                pose = new PoseRecord(yaw, pitch, roll, rotation, translation, _reader.ReadDouble());
            }

            var irises = _reader.ReadBoolean() ? ReadPoints() : null;
            faces[i] = new FaceRecord(trackId, score, box, landmarks, pose, null, irises);
        }

        return new FrameRecord(index, time, faces);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        _file.Dispose();
    }

    private void WritePoints(float[][] points)
    {
        _writer.Write(points.Length);
        foreach (var p in points)
        {
            _writer.Write(p[0]);
            _writer.Write(p[1]);
            _writer.Write(p[2]);
        }
    }

    private float[][] ReadPoints()
    {
        var points = new float[_reader.ReadInt32()][];
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = [_reader.ReadSingle(), _reader.ReadSingle(), _reader.ReadSingle()];
        }

        return points;
    }
}
