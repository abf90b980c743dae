namespace FacePipeline.Geometry;

/// <summary>
/// A minimal protocol-buffers wire-format reader (varint, fixed64, length-delimited, fixed32).
/// Groups (wire types 3 and 4) are not supported: proto2/proto3 messages used here have none.
/// </summary>
internal ref struct ProtoWireReader
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> data;
    private int position;

    public ProtoWireReader(ReadOnlySpan<byte> data)
    {
        this.data = data;
        position = 0;
    }

    public readonly bool AtEnd => position >= data.Length;

    /// <summary>Reads the next tag: field number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var field = tag >> 3;
        if (field == 0 || field > 536_870_911)
        {
            throw new FormatException($"Invalid protobuf field number {field} at byte {position}.");
        }

        return ((int)field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new FormatException("Truncated protobuf varint.");
            }

            var b = data[position++];
            if (shift == 63 && b > 1)
            {
                throw new FormatException("Protobuf varint overflows 64 bits.");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("Protobuf varint longer than 10 bytes.");
    }

    public uint ReadFixed32()
    {
        var span = Take(4);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span);
    }

    public float ReadFloat() => BitConverter.UInt32BitsToSingle(ReadFixed32());

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(data.Length - position))
        {
            throw new FormatException($"Protobuf length {length} runs past the end of the data at byte {position}.");
        }

        return Take((int)length);
    }

    /// <summary>Skips a field's value of the given wire type.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8); break;
            case LengthDelimited: ReadLengthDelimited(); break;
            case Fixed32: Take(4); break;
            default: throw new FormatException($"Unsupported protobuf wire type {wireType} at byte {position}.");
        }
    }

    /// <summary>
    /// Reads one occurrence of a repeated float field: a single fixed32 value (unpacked) or a
    /// packed run (length-delimited), appending to <paramref name="into"/>.
    /// </summary>
    public void ReadRepeatedFloat(int wireType, List<float> into)
    {
        switch (wireType)
        {
            case Fixed32:
                into.Add(ReadFloat());
                break;
            case LengthDelimited:
                var packed = ReadLengthDelimited();
                if (packed.Length % 4 != 0)
                {
                    throw new FormatException($"Packed float field of {packed.Length} bytes is not a multiple of 4.");
                }

                for (var i = 0; i < packed.Length; i += 4)
                {
                    into.Add(BitConverter.UInt32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(packed[i..])));
                }

                break;
            default:
                throw new FormatException($"A repeated float field cannot have wire type {wireType}.");
        }
    }

    /// <summary>Like <see cref="ReadRepeatedFloat"/>, for a repeated uint32 (varint) field.</summary>
    public void ReadRepeatedUInt32(int wireType, List<uint> into)
    {
        switch (wireType)
        {
            case Varint:
                into.Add(checked((uint)ReadVarint()));
                break;
            case LengthDelimited:
                var inner = new ProtoWireReader(ReadLengthDelimited());
                while (!inner.AtEnd)
                {
                    into.Add(checked((uint)inner.ReadVarint()));
                }

                break;
            default:
                throw new FormatException($"A repeated uint32 field cannot have wire type {wireType}.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > data.Length - position)
        {
            throw new FormatException($"Truncated protobuf data: {count} bytes wanted at byte {position} of {data.Length}.");
        }

        var span = data.Slice(position, count);
        position += count;
        return span;
    }
}
