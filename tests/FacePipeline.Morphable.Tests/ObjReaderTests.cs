namespace FacePipeline.Morphable.Tests;

[Trait("Lane", "Fast")]
public sealed class ObjReaderTests
{
    [Fact]
    public void Parses_vertex_and_face_forms_and_fans_polygons()
    {
        var text = """
            # comment
            mtllib x.mtl
            v 0 0 0
            v 1 0 0
            v 1 1 0
            v 0 1 0 1.0
            v 0.5 2 -1.5e-1
            vt 0 0
            vn 0 0 1
            usemtl A
            f 1 2 3
            f 1/1 2/1 3/1 4/1
            usemtl B
            f 1//1 3//1 4//1
            f 1/1/1 2/1/1 3/1/1 4/1/1 5/1/1
            f -3 -2 -1
            """u8;
        var mesh = ObjReader.Parse(text);
        Assert.Equal(5, mesh.VertexCount);
        Assert.Equal(-0.15f, mesh.Positions[14]);
        Assert.Equal(5, mesh.PolygonCount);
        Assert.Equal(
            [0, 1, 2, 0, 1, 2, 0, 2, 3, 0, 2, 3, 0, 1, 2, 0, 2, 3, 0, 3, 4, 2, 3, 4],
            mesh.Triangles);
        Assert.Equal([new ObjMaterialGroup("A", 0), new ObjMaterialGroup("B", 2)], mesh.MaterialGroups);
    }

    [Fact]
    public void Rejects_out_of_range_faces_with_the_line()
    {
        var e = Assert.Throws<InvalidDataException>(() => ObjReader.Parse("v 0 0 0\nv 1 0 0\nf 1 2 3\n"u8, "t.obj"));
        Assert.Contains("t.obj:3", e.Message);
    }
}
