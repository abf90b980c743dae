using System.Runtime.InteropServices;
using System.Text;

namespace FacePipeline.Morphable;

/// <summary>
/// A compact binary form of <see cref="IctFaceModel"/>, written beside the unpacked release
/// (<c>&lt;models&gt;/ict-facekit/cache/facekit.bin</c>) so loading skips parsing 158 OBJ files.
/// <para>
/// Layout (little-endian): magic <c>FPICTFK1</c>; int32 version; int32 vertex count, polygon
/// count, triangle index count, identity count, expression count; the expression names (.NET
/// <see cref="BinaryWriter"/> strings); four int32 arrays with an int32 length each (landmark,
/// fitting, rigid vertices, rigid landmark indices); then raw float32 neutral (3N), int32
/// triangles, float32 identity deltas, float32 expression deltas; magic <c>FPICTEND</c>.
/// </para>
/// </summary>
public static class IctFaceModelCache
{
    private const int Version = 1;
    private static readonly byte[] Magic = "FPICTFK1"u8.ToArray();
    private static readonly byte[] EndMagic = "FPICTEND"u8.ToArray();

    /// <summary>The cache's default place for a release folder: <c>&lt;folder&gt;/../cache/facekit.bin</c>.</summary>
    public static string DefaultPath(string modelFolder)
    {
        var full = Path.GetFullPath(modelFolder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? full;
        return Path.Combine(parent, "cache", "facekit.bin");
    }

    /// <summary>True when the cache exists and was written after every OBJ and JSON file of the folder.</summary>
    public static bool IsFresh(string cachePath, string modelFolder)
    {
        var cache = new FileInfo(cachePath);
        if (!cache.Exists || !Directory.Exists(modelFolder))
        {
            return false;
        }

        var newest = new DirectoryInfo(modelFolder).EnumerateFiles()
            .Where(f => f.Extension is ".obj" or ".json")
            .Select(f => f.LastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MaxValue)
            .Max();
        return cache.LastWriteTimeUtc > newest;
    }

    /// <summary>Writes the model to <paramref name="path"/> (atomically: a temporary file renamed into place).</summary>
    public static void Save(IctFaceModel model, string path)
    {
        RequireLittleEndian();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(Version);
                writer.Write(model.VertexCount);
                writer.Write(model.PolygonCount);
                writer.Write(model.Triangles.Length);
                writer.Write(model.IdentityCount);
                writer.Write(model.ExpressionNames.Count);
                foreach (var name in model.ExpressionNames)
                {
                    writer.Write(name);
                }

                var indices = model.Indices;
                foreach (var list in new[] { indices.LandmarkVertices, indices.FittingVertices, indices.RigidVertices, indices.RigidLandmarkIndices })
                {
                    writer.Write(list.Length);
                    writer.Write(MemoryMarshal.AsBytes(list.AsSpan()));
                }

                writer.Write(MemoryMarshal.AsBytes(model.Neutral.AsSpan()));
                writer.Write(MemoryMarshal.AsBytes(model.Triangles.AsSpan()));
                writer.Write(MemoryMarshal.AsBytes(model.IdentityDeltas.AsSpan()));
                writer.Write(MemoryMarshal.AsBytes(model.ExpressionDeltas.AsSpan()));
                writer.Write(EndMagic);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Reads a cache written by <see cref="Save"/>; <see cref="InvalidDataException"/> when it is not one or is truncated.</summary>
    public static IctFaceModel Load(string path)
    {
        RequireLittleEndian();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != Version)
            {
                throw new InvalidDataException($"{path} is not an ICT face model cache of version {Version}.");
            }

            var vertexCount = ReadCount(reader, path);
            var polygonCount = ReadCount(reader, path);
            var triangleIndexCount = ReadCount(reader, path);
            var identityCount = ReadCount(reader, path);
            var expressionCount = ReadCount(reader, path);
            var names = new string[expressionCount];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = reader.ReadString();
            }

            var lists = new int[4][];
            for (var l = 0; l < lists.Length; l++)
            {
                lists[l] = new int[ReadCount(reader, path)];
                ReadInto(stream, lists[l].AsSpan());
            }

            var stride = checked(vertexCount * 3);
            var neutral = new float[stride];
            var triangles = new int[triangleIndexCount];
            var identityDeltas = new float[checked(identityCount * stride)];
            var expressionDeltas = new float[checked(expressionCount * stride)];
            ReadInto(stream, neutral.AsSpan());
            ReadInto(stream, triangles.AsSpan());
            ReadInto(stream, identityDeltas.AsSpan());
            ReadInto(stream, expressionDeltas.AsSpan());
            if (!reader.ReadBytes(EndMagic.Length).AsSpan().SequenceEqual(EndMagic))
            {
                throw new InvalidDataException($"{path}: bad end marker (truncated or corrupt cache).");
            }

            var indices = new IctFaceModel.IndexData(lists[0], lists[1], lists[2], lists[3]);
            indices.Validate(vertexCount);
            return new IctFaceModel(neutral, triangles, polygonCount, identityDeltas, identityCount, names, expressionDeltas, indices);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated ICT face model cache.", e);
        }
    }

    private static int ReadCount(BinaryReader reader, string path)
    {
        var n = reader.ReadInt32();
        return n is >= 0 and <= 100_000_000 ? n : throw new InvalidDataException($"{path}: bad count {n}.");
    }

    private static void ReadInto<T>(Stream stream, Span<T> target) where T : struct =>
        stream.ReadExactly(MemoryMarshal.AsBytes(target));

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The ICT face model cache is little-endian only.");
        }
    }
}
