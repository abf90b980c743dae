namespace FacePipeline.Geometry.Tests.Support;

/// <summary>A tiny protobuf encoder for the tests (to build packed and unpacked variants).</summary>
internal sealed class ProtoWriter
{
    private readonly List<byte> bytes = [];

    public byte[] ToArray() => [.. bytes];

    public ProtoWriter Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    public ProtoWriter Varint(ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return this;
    }

    public ProtoWriter Fixed32(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        for (var i = 0; i < 4; i++)
        {
            bytes.Add((byte)(bits >> (8 * i)));
        }

        return this;
    }

    public ProtoWriter VarintField(int field, ulong value) => Tag(field, 0).Varint(value);

    public ProtoWriter FloatField(int field, float value) => Tag(field, 5).Fixed32(value);

    public ProtoWriter Bytes(int field, byte[] payload)
    {
        Tag(field, 2).Varint((ulong)payload.Length);
        bytes.AddRange(payload);
        return this;
    }

    public ProtoWriter PackedFloats(int field, IEnumerable<float> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values)
        {
            inner.Fixed32(v);
        }

        return Bytes(field, inner.ToArray());
    }

    public ProtoWriter PackedVarints(int field, IEnumerable<uint> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values)
        {
            inner.Varint(v);
        }

        return Bytes(field, inner.ToArray());
    }

    /// <summary>Encodes a mesh's metadata, with repeated scalars packed or not.</summary>
    public static byte[] EncodeMetadata(CanonicalFaceMesh mesh, bool packed, bool withUnknownFields = false)
    {
        var floats = new List<float>();
        for (var i = 0; i < mesh.VertexCount; i++)
        {
            var v = mesh.Vertices[i];
            var uv = mesh.TextureCoordinates[i];
            floats.AddRange([(float)v.X, (float)v.Y, (float)v.Z, (float)uv.U, (float)uv.V]);
        }

        var indices = new List<uint>();
        foreach (var t in mesh.Triangles)
        {
            indices.AddRange([(uint)t.A, (uint)t.B, (uint)t.C]);
        }

        var meshWriter = new ProtoWriter().VarintField(1, 0).VarintField(2, 0);
        if (withUnknownFields)
        {
            meshWriter.VarintField(15, 12345).Bytes(16, [1, 2, 3]).Tag(17, 1).Fixed32(1).Fixed32(2);
        }

        if (packed)
        {
            meshWriter.PackedFloats(3, floats).PackedVarints(4, indices);
        }
        else
        {
            foreach (var f in floats)
            {
                meshWriter.FloatField(3, f);
            }

            foreach (var i in indices)
            {
                meshWriter.VarintField(4, i);
            }
        }

        // Fields in number order, as protobuf serialises them.
        var top = new ProtoWriter().Bytes(1, meshWriter.ToArray());
        foreach (var b in mesh.ProcrustesBasis)
        {
            top.Bytes(2, new ProtoWriter().VarintField(1, (ulong)b.LandmarkId).FloatField(2, (float)b.Weight).ToArray());
        }

        top.VarintField(3, (ulong)mesh.InputSource);

        if (withUnknownFields)
        {
            top.FloatField(9, 1.5f);
        }

        return top.ToArray();
    }
}
