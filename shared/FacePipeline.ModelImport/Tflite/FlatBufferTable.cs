using System.Buffers.Binary;
using System.Text;

namespace FacePipeline.ModelImport.Tflite;

/// <summary>
/// Just enough of the FlatBuffers binary format to read a TFLite model: tables with vtables,
/// scalars with defaults, offsets to tables, vectors and strings. Every read is bounds-checked,
/// so a truncated or hostile file fails with <see cref="InvalidDataException"/>.
/// </summary>
internal readonly struct FlatBufferTable
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly int _position;
    private readonly int _vtable;
    private readonly int _vtableSize;

    private FlatBufferTable(ReadOnlyMemory<byte> buffer, int position)
    {
        _buffer = buffer;
        _position = position;
        var soffset = ReadInt32(buffer.Span, position);
        _vtable = checked(position - soffset);
        _vtableSize = ReadUInt16(buffer.Span, _vtable);
        if (_vtableSize < 4 || _vtable + _vtableSize > buffer.Length)
        {
            throw new InvalidDataException($"FlatBuffer: bad vtable at {_vtable}.");
        }
    }

    public ReadOnlyMemory<byte> Buffer => _buffer;

    /// <summary>The root table (uoffset at byte 0).</summary>
    public static FlatBufferTable Root(ReadOnlyMemory<byte> buffer) =>
        new(buffer, checked((int)ReadUInt32(buffer.Span, 0)));

    public bool Has(int field) => FieldOffset(field) != 0;

    public sbyte Int8(int field, sbyte fallback = 0) =>
        FieldOffset(field) is var o and not 0 ? (sbyte)Byte(_position + o) : fallback;

    public byte UInt8(int field, byte fallback = 0) =>
        FieldOffset(field) is var o and not 0 ? Byte(_position + o) : fallback;

    public bool Bool(int field) => UInt8(field) != 0;

    public int Int32(int field, int fallback = 0) =>
        FieldOffset(field) is var o and not 0 ? ReadInt32(_buffer.Span, _position + o) : fallback;

    public uint UInt32(int field, uint fallback = 0) =>
        FieldOffset(field) is var o and not 0 ? ReadUInt32(_buffer.Span, _position + o) : fallback;

    public ulong UInt64(int field, ulong fallback = 0) =>
        FieldOffset(field) is var o and not 0 ? ReadUInt64(_buffer.Span, _position + o) : fallback;

    public float Float32(int field, float fallback = 0) =>
        FieldOffset(field) is var o and not 0 ? BinaryPrimitives.ReadSingleLittleEndian(Slice(_position + o, 4)) : fallback;

    public FlatBufferTable? Table(int field) =>
        Target(field) is int target ? new FlatBufferTable(_buffer, target) : null;

    public string? String(int field)
    {
        if (Target(field) is not int target)
        {
            return null;
        }

        var length = checked((int)ReadUInt32(_buffer.Span, target));
        return Encoding.UTF8.GetString(Slice(target + 4, length));
    }

    /// <summary>Vector of tables; empty when the field is absent.</summary>
    public FlatBufferTable[] Tables(int field)
    {
        if (Target(field) is not int target)
        {
            return [];
        }

        var count = VectorLength(target, 4);
        var tables = new FlatBufferTable[count];
        for (var i = 0; i < count; i++)
        {
            var slot = target + 4 + (4 * i);
            tables[i] = new FlatBufferTable(_buffer, checked(slot + (int)ReadUInt32(_buffer.Span, slot)));
        }

        return tables;
    }

    public int[] Int32s(int field)
    {
        var bytes = ScalarVector(field, 4);
        var values = new int[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span[(4 * i)..]);
        }

        return values;
    }

    public float[] Float32s(int field)
    {
        var bytes = ScalarVector(field, 4);
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(4 * i)..]);
        }

        return values;
    }

    public long[] Int64s(int field)
    {
        var bytes = ScalarVector(field, 8);
        var values = new long[bytes.Length / 8];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Span[(8 * i)..]);
        }

        return values;
    }

    /// <summary>A vector of bytes, as a slice of the file (no copy).</summary>
    public ReadOnlyMemory<byte> Bytes(int field) => ScalarVector(field, 1);

    private ReadOnlyMemory<byte> ScalarVector(int field, int elementSize)
    {
        if (Target(field) is not int target)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var count = VectorLength(target, elementSize);
        return _buffer.Slice(target + 4, count * elementSize);
    }

    private int VectorLength(int target, int elementSize)
    {
        var count = ReadUInt32(_buffer.Span, target);
        if (count > (uint)((_buffer.Length - target - 4) / elementSize))
        {
            throw new InvalidDataException($"FlatBuffer: vector at {target} runs past the end of the file.");
        }

        return (int)count;
    }

    private int? Target(int field)
    {
        var o = FieldOffset(field);
        if (o == 0)
        {
            return null;
        }

        var slot = _position + o;
        return checked(slot + (int)ReadUInt32(_buffer.Span, slot));
    }

    private int FieldOffset(int field)
    {
        var entry = 4 + (2 * field);
        return entry + 2 <= _vtableSize ? ReadUInt16(_buffer.Span, _vtable + entry) : 0;
    }

    private byte Byte(int at) => Slice(at, 1)[0];

    private ReadOnlySpan<byte> Slice(int at, int length) =>
        at >= 0 && length >= 0 && at <= _buffer.Length - length
            ? _buffer.Span.Slice(at, length)
            : throw new InvalidDataException($"FlatBuffer: read of {length} bytes at {at} is outside the file ({_buffer.Length} bytes).");

    private static ReadOnlySpan<byte> Check(ReadOnlySpan<byte> span, int at, int length) =>
        at >= 0 && at <= span.Length - length
            ? span.Slice(at, length)
            : throw new InvalidDataException($"FlatBuffer: read of {length} bytes at {at} is outside the file ({span.Length} bytes).");

    private static ushort ReadUInt16(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadUInt16LittleEndian(Check(span, at, 2));

    private static int ReadInt32(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadInt32LittleEndian(Check(span, at, 4));

    private static uint ReadUInt32(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadUInt32LittleEndian(Check(span, at, 4));

    private static ulong ReadUInt64(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadUInt64LittleEndian(Check(span, at, 8));
}
