using System.Globalization;
using System.Text;

namespace FacePipeline.Morphable;

/// <summary>A polygon mesh read from a Wavefront OBJ file: positions, and polygons fanned into triangles.</summary>
/// <param name="Positions">Vertex positions, x y z per vertex (the file's units), in file order.</param>
/// <param name="Triangles">Vertex indices (0-based), three per triangle; polygon k with n corners becomes the fan (c0, ci, ci+1).</param>
/// <param name="PolygonCount">Number of <c>f</c> records before triangulation.</param>
/// <param name="MaterialGroups">Each <c>usemtl</c> record: its material name and the index of the first polygon after it.</param>
public sealed record ObjMesh(float[] Positions, int[] Triangles, int PolygonCount, IReadOnlyList<ObjMaterialGroup> MaterialGroups)
{
    /// <summary>Number of vertices (<c>v</c> records).</summary>
    public int VertexCount => Positions.Length / 3;
}

/// <summary>A <c>usemtl</c> record: the polygons from <paramref name="FirstPolygon"/> up to the next group use <paramref name="Material"/>.</summary>
public sealed record ObjMaterialGroup(string Material, int FirstPolygon);

/// <summary>
/// A fast reader of the parts of Wavefront OBJ the face models use: <c>v x y z</c> (extra w or
/// colour values ignored), <c>f</c> with 3+ corners in the <c>v</c>, <c>v/vt</c>, <c>v//vn</c> and
/// <c>v/vt/vn</c> forms (negative, relative indices allowed) and <c>usemtl</c>. Every other record
/// (<c>vt</c>, <c>vn</c>, <c>g</c>, <c>o</c>, <c>s</c>, <c>mtllib</c>, comments) is skipped.
/// Works on the file's bytes (ASCII), without allocating per line.
/// </summary>
public static class ObjReader
{
    /// <summary>Reads positions, polygons (fanned into triangles) and material groups.</summary>
    public static ObjMesh Read(string path) => Parse(File.ReadAllBytes(path), path, readFaces: true);

    /// <summary>Reads the vertex positions only (x y z per vertex); faces are skipped, for shape files sharing a topology.</summary>
    public static float[] ReadPositions(string path) => Parse(File.ReadAllBytes(path), path, readFaces: false).Positions;

    /// <summary>Parses OBJ text given as bytes; <paramref name="source"/> names it in error messages.</summary>
    public static ObjMesh Parse(ReadOnlySpan<byte> text, string source = "<obj>", bool readFaces = true)
    {
        var positions = new List<float>(1 << 16);
        var triangles = readFaces ? new List<int>(1 << 16) : null;
        var groups = new List<ObjMaterialGroup>();
        var polygonCount = 0;
        var corners = new List<int>(8);
        var lineNumber = 0;

        while (!text.IsEmpty)
        {
            lineNumber++;
            var end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? [] : text[(end + 1)..];
            line = TrimStart(line);
            if (line.Length < 2)
            {
                continue;
            }

            if (line[0] == (byte)'v' && IsSpace(line[1]))
            {
                var rest = line[2..];
                for (var i = 0; i < 3; i++)
                {
                    var token = NextToken(ref rest);
                    if (token.IsEmpty || !float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    {
                        throw Error(source, lineNumber, "a vertex needs three numbers");
                    }

                    positions.Add(value);
                }
            }
            else if (line[0] == (byte)'f' && IsSpace(line[1]))
            {
                polygonCount++;
                if (triangles is null)
                {
                    continue;
                }

                corners.Clear();
                var rest = line[2..];
                var vertexCount = positions.Count / 3;
                for (var token = NextToken(ref rest); !token.IsEmpty; token = NextToken(ref rest))
                {
                    var slash = token.IndexOf((byte)'/');
                    var indexText = slash < 0 ? token : token[..slash];
                    if (!int.TryParse(indexText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index) || index == 0)
                    {
                        throw Error(source, lineNumber, $"bad face corner '{Encoding.ASCII.GetString(token)}'");
                    }

                    index = index > 0 ? index - 1 : vertexCount + index;
                    if ((uint)index >= (uint)vertexCount)
                    {
                        throw Error(source, lineNumber, $"vertex index {Encoding.ASCII.GetString(indexText)} out of range (1..{vertexCount})");
                    }

                    corners.Add(index);
                }

                if (corners.Count < 3)
                {
                    throw Error(source, lineNumber, "a face needs at least three corners");
                }

                for (var i = 1; i + 1 < corners.Count; i++)
                {
                    triangles.Add(corners[0]);
                    triangles.Add(corners[i]);
                    triangles.Add(corners[i + 1]);
                }
            }
            else if (line.StartsWith("usemtl"u8) && line.Length > 6 && IsSpace(line[6]))
            {
                var rest = line[7..];
                groups.Add(new ObjMaterialGroup(Encoding.ASCII.GetString(NextToken(ref rest)), polygonCount));
            }
        }

        return new ObjMesh(positions.ToArray(), triangles?.ToArray() ?? [], polygonCount, groups);
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r';

    private static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> s)
    {
        var i = 0;
        while (i < s.Length && IsSpace(s[i]))
        {
            i++;
        }

        return s[i..];
    }

    private static ReadOnlySpan<byte> NextToken(ref ReadOnlySpan<byte> rest)
    {
        rest = TrimStart(rest);
        var i = 0;
        while (i < rest.Length && !IsSpace(rest[i]))
        {
            i++;
        }

        var token = rest[..i];
        rest = rest[i..];
        return token;
    }

    private static InvalidDataException Error(string source, int line, string what) =>
        new($"{source}:{line}: {what}");
}
