using FacePipeline.Geometry.Tests.Support;

namespace FacePipeline.Geometry.Tests;

public class CanonicalFaceMeshTests
{
    [Fact]
    public void The_real_metadata_has_468_vertices_898_triangles_and_the_weighted_basis()
    {
        var mesh = TestMesh.Canonical;

        Assert.Equal(InputSource.FaceLandmarkPipeline, mesh.InputSource);
        Assert.Equal(468, mesh.VertexCount);
        Assert.Equal(468, mesh.TextureCoordinates.Length);
        Assert.Equal(898, mesh.Triangles.Length);
        Assert.Equal(33, mesh.ProcrustesBasis.Length);

        // Every vertex is used by some triangle.
        var used = new bool[mesh.VertexCount];
        foreach (var t in mesh.Triangles)
        {
            used[t.A] = used[t.B] = used[t.C] = true;
        }

        Assert.All(used, Assert.True);

        // Known landmarks of MediaPipe's canonical face (cm): nose tip forward, chin down, eyes symmetric.
        Assert.Equal(7.4756, mesh.Vertices[1].Z, 3);
        Assert.Equal(-9.4034, mesh.Vertices[152].Y, 3);
        Assert.Equal(-mesh.Vertices[33].X, mesh.Vertices[263].X, 6);
        Assert.Equal(mesh.Vertices[33].Y, mesh.Vertices[263].Y, 6);

        // About 15.5 cm wide, 17.7 cm tall.
        var minX = double.MaxValue; var maxX = double.MinValue; var minY = double.MaxValue; var maxY = double.MinValue;
        foreach (var v in mesh.Vertices)
        {
            (minX, maxX, minY, maxY) = (Math.Min(minX, v.X), Math.Max(maxX, v.X), Math.Min(minY, v.Y), Math.Max(maxY, v.Y));
        }

        Assert.InRange(maxX - minX, 15, 16);
        Assert.InRange(maxY - minY, 17, 18);

        // Texture coordinates in [0, 1]; weights positive and symmetric (33 ↔ 263 basis pair).
        foreach (var uv in mesh.TextureCoordinates)
        {
            Assert.InRange(uv.U, 0, 1);
            Assert.InRange(uv.V, 0, 1);
        }

        Assert.All(mesh.ProcrustesBasis.ToArray(), b => Assert.True(b.Weight > 0));
        Assert.Equal(mesh.VertexWeights[33], mesh.VertexWeights[263], 9);
        Assert.Equal(0, mesh.VertexWeights[152]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void Packed_and_unpacked_encodings_parse_to_the_same_mesh(bool packed, bool unknownFields)
    {
        var mesh = TestMesh.Canonical;
        var bytes = ProtoWriter.EncodeMetadata(mesh, packed, unknownFields);

        var reparsed = CanonicalFaceMesh.Parse(bytes);

        Assert.Equal(mesh.InputSource, reparsed.InputSource);
        Assert.Equal(mesh.Vertices.ToArray(), reparsed.Vertices.ToArray());
        Assert.Equal(mesh.TextureCoordinates.ToArray(), reparsed.TextureCoordinates.ToArray());
        Assert.Equal(mesh.Triangles.ToArray(), reparsed.Triangles.ToArray());
        Assert.Equal(mesh.ProcrustesBasis.ToArray(), reparsed.ProcrustesBasis.ToArray());
    }

    [Fact]
    public void The_stored_file_is_the_unpacked_encoding_byte_for_byte()
    {
        // proto2 repeated scalars are unpacked by default: re-encoding in that form, fields in
        // field-number order as protobuf serialises them, reproduces MediaPipe's file exactly.
        var original = File.ReadAllBytes(TestMesh.Path);
        var mesh = CanonicalFaceMesh.Parse(original);
        var unpacked = ProtoWriter.EncodeMetadata(mesh, packed: false);

        Assert.Equal(original, unpacked);
    }

    [Fact]
    public void Truncated_or_invalid_data_is_rejected_with_a_format_error()
    {
        var original = File.ReadAllBytes(TestMesh.Path);

        Assert.Throws<FormatException>(() => CanonicalFaceMesh.Parse(original.AsSpan(0, original.Length - 3)));
        Assert.Throws<FormatException>(() => CanonicalFaceMesh.Parse([]));
        // A triangle index beyond the vertex count.
        var bad = new ProtoWriter()
            .Bytes(1, new ProtoWriter().PackedFloats(3, new float[15]).PackedVarints(4, [0, 1, 3]).ToArray())
            .Bytes(2, new ProtoWriter().VarintField(1, 0).FloatField(2, 1).ToArray())
            .ToArray();
        var error = Assert.Throws<FormatException>(() => CanonicalFaceMesh.Parse(bad));
        Assert.Contains("beyond", error.Message, StringComparison.Ordinal);
        // A vertex buffer that is not VERTEX_PT-sized.
        var odd = new ProtoWriter()
            .Bytes(1, new ProtoWriter().PackedFloats(3, new float[7]).PackedVarints(4, [0, 0, 0]).ToArray())
            .Bytes(2, new ProtoWriter().VarintField(1, 0).FloatField(2, 1).ToArray())
            .ToArray();
        Assert.Throws<FormatException>(() => CanonicalFaceMesh.Parse(odd));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_missing_file_names_the_fetch_script()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.binarypb");

        var error = Assert.Throws<FileNotFoundException>(() => CanonicalFaceMesh.Load(path));

        Assert.Contains("scripts/fetch-models.sh", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
