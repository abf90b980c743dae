using System.Buffers.Binary;
using System.Text;

namespace FacePipeline.ModelImport.Tflite;

/// <summary>
/// Just enough of the FlexBuffers format (the schema-less sibling of FlatBuffers that TFLite uses
/// for a custom operator's <c>custom_options</c>) to read a map of scalars, strings and vectors.
/// Every read is bounds-checked: a truncated or hostile buffer fails with
/// <see cref="InvalidDataException"/>.
/// <para>
/// Values come out as .NET objects: integers as <see cref="long"/> (unsigned as <see cref="ulong"/>),
/// floats as <see cref="double"/>, <see cref="bool"/>, <see cref="string"/> (strings and keys),
/// <c>byte[]</c> (blobs), <c>object?[]</c> (vectors of any kind) and <see cref="FlexMap"/> (maps).
/// </para>
/// </summary>
public static class FlexBuffer
{
    private const int MaxDepth = 16;

    /// <summary>Decodes the root value of a FlexBuffer.</summary>
    public static object? Parse(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < 3)
        {
            throw new InvalidDataException($"FlexBuffer of {buffer.Length} bytes is too short.");
        }

        // The last byte is the root's byte width, the one before it the root's packed type.
        var rootWidth = buffer[^1];
        var packed = buffer[^2];
        CheckWidth(rootWidth);
        var rootAt = buffer.Length - 2 - rootWidth;
        return new Reader(buffer).Value(rootAt, rootWidth, packed, 0);
    }

    /// <summary>Decodes a FlexBuffer whose root must be a map (as custom_options are).</summary>
    public static FlexMap ParseMap(ReadOnlySpan<byte> buffer) =>
        Parse(buffer) as FlexMap ?? throw new InvalidDataException("FlexBuffer root is not a map.");

    private static void CheckWidth(int width)
    {
        if (width is not (1 or 2 or 4 or 8))
        {
            throw new InvalidDataException($"FlexBuffer: byte width {width} is not 1, 2, 4 or 8.");
        }
    }

    // FlexBuffers value types (flexbuffers::Type).
    private enum FlexType
    {
        Null = 0, Int = 1, UInt = 2, Float = 3, Key = 4, String = 5,
        IndirectInt = 6, IndirectUInt = 7, IndirectFloat = 8, Map = 9, Vector = 10,
        VectorInt = 11, VectorUInt = 12, VectorFloat = 13, VectorKey = 14, VectorStringDeprecated = 15,
        VectorInt2 = 16, VectorUInt2 = 17, VectorFloat2 = 18,
        VectorInt3 = 19, VectorUInt3 = 20, VectorFloat3 = 21,
        VectorInt4 = 22, VectorUInt4 = 23, VectorFloat4 = 24,
        Blob = 25, Bool = 26, VectorBool = 36,
    }

    private readonly ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;

        /// <summary>
        /// The value in the slot at <paramref name="at"/> (a slot of <paramref name="parentWidth"/>
        /// bytes) whose packed type byte is <paramref name="packed"/>: type in the high six bits,
        /// the width of the data an offset points to in the low two.
        /// </summary>
        public object? Value(int at, int parentWidth, byte packed, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new InvalidDataException("FlexBuffer nests too deeply.");
            }

            var type = (FlexType)(packed >> 2);
            var childWidth = 1 << (packed & 3);
            switch (type)
            {
                case FlexType.Null: return null;
                case FlexType.Int: return Int(at, parentWidth);
                case FlexType.UInt: return UInt(at, parentWidth);
                case FlexType.Float: return Float(at, parentWidth);
                case FlexType.Bool: return UInt(at, parentWidth) != 0;
            }

            var target = Target(at, parentWidth);
            switch (type)
            {
                case FlexType.IndirectInt: return Int(target, childWidth);
                case FlexType.IndirectUInt: return UInt(target, childWidth);
                case FlexType.IndirectFloat: return Float(target, childWidth);
                case FlexType.Key: return KeyString(target);
                case FlexType.String:
                {
                    var length = Length(target, childWidth);
                    return Encoding.UTF8.GetString(Slice(target, length));
                }

                case FlexType.Blob:
                {
                    var length = Length(target, childWidth);
                    return Slice(target, length).ToArray();
                }

                case FlexType.Vector: return UntypedVector(target, childWidth, depth);
                case FlexType.Map: return Map(target, childWidth, depth);
                case FlexType.VectorInt or FlexType.VectorUInt or FlexType.VectorFloat or FlexType.VectorKey
                    or FlexType.VectorStringDeprecated or FlexType.VectorBool:
                    return TypedVector(target, childWidth, ElementType(type), Length(target, childWidth), depth);
                case >= FlexType.VectorInt2 and <= FlexType.VectorFloat4:
                {
                    var n = type - FlexType.VectorInt2;
                    var count = (n / 3) + 2;
                    var element = (n % 3) switch { 0 => FlexType.Int, 1 => FlexType.UInt, _ => FlexType.Float };
                    return TypedVector(target, childWidth, element, count, depth);
                }

                default:
                    throw new InvalidDataException($"FlexBuffer: unknown value type {(int)type}.");
            }
        }

        private static FlexType ElementType(FlexType vectorType) => vectorType switch
        {
            FlexType.VectorInt => FlexType.Int,
            FlexType.VectorUInt => FlexType.UInt,
            FlexType.VectorFloat => FlexType.Float,
            FlexType.VectorKey => FlexType.Key,
            FlexType.VectorStringDeprecated => FlexType.String,
            FlexType.VectorBool => FlexType.Bool,
            _ => throw new InvalidDataException($"FlexBuffer: {vectorType} is not a typed vector."),
        };

        private object?[] TypedVector(int target, int width, FlexType element, int count, int depth)
        {
            CheckCount(target, width, count);
            var values = new object?[count];
            for (var i = 0; i < count; i++)
            {
                // A typed vector's elements share the vector's width; an offset element (key,
                // string) points to data of that same width.
                values[i] = Value(target + (i * width), width, (byte)(((int)element << 2) | Log2(width)), depth + 1);
            }

            return values;
        }

        private object?[] UntypedVector(int target, int width, int depth)
        {
            var count = Length(target, width);
            CheckCount(target, width, count);
            var types = Slice(target + (count * width), count);
            var values = new object?[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = Value(target + (i * width), width, types[i], depth + 1);
            }

            return values;
        }

        private FlexMap Map(int target, int width, int depth)
        {
            // Before the values' length: the offset to the keys vector and that vector's byte width.
            var keysSlot = target - (3 * width);
            var keysWidth = checked((int)UInt(target - (2 * width), width));
            CheckWidth(keysWidth);
            var keysAt = Target(keysSlot, width);
            var keyCount = Length(keysAt, keysWidth);
            var values = UntypedVector(target, width, depth);
            if (keyCount != values.Length)
            {
                throw new InvalidDataException($"FlexBuffer map: {keyCount} keys for {values.Length} values.");
            }

            var map = new Dictionary<string, object?>(keyCount, StringComparer.Ordinal);
            for (var i = 0; i < keyCount; i++)
            {
                var key = KeyString(Target(keysAt + (i * keysWidth), keysWidth));
                if (!map.TryAdd(key, values[i]))
                {
                    throw new InvalidDataException($"FlexBuffer map: key '{key}' twice.");
                }
            }

            return new FlexMap(map);
        }

        private string KeyString(int at)
        {
            if (at < 0 || at >= _buffer.Length)
            {
                throw new InvalidDataException($"FlexBuffer: key at {at} is outside the buffer.");
            }

            var end = _buffer[at..].IndexOf((byte)0);
            if (end < 0)
            {
                throw new InvalidDataException($"FlexBuffer: key at {at} is not terminated.");
            }

            return Encoding.UTF8.GetString(_buffer.Slice(at, end));
        }

        /// <summary>The element count stored just before a vector, string or blob.</summary>
        private int Length(int target, int width)
        {
            var length = UInt(target - width, width);
            return length <= (ulong)_buffer.Length
                ? (int)length
                : throw new InvalidDataException($"FlexBuffer: length {length} at {target - width} exceeds the buffer.");
        }

        private void CheckCount(int target, int width, int count)
        {
            if (count < 0 || (long)count * width > _buffer.Length - (long)target)
            {
                throw new InvalidDataException($"FlexBuffer: {count} elements of {width} bytes at {target} run past the end.");
            }
        }

        /// <summary>Offsets are unsigned and point backwards from their own slot.</summary>
        private int Target(int at, int width)
        {
            var offset = UInt(at, width);
            if (offset > (ulong)at)
            {
                throw new InvalidDataException($"FlexBuffer: offset {offset} at {at} points before the buffer.");
            }

            return at - (int)offset;
        }

        private long Int(int at, int width)
        {
            var bytes = Slice(at, width);
            return width switch
            {
                1 => (sbyte)bytes[0],
                2 => BinaryPrimitives.ReadInt16LittleEndian(bytes),
                4 => BinaryPrimitives.ReadInt32LittleEndian(bytes),
                _ => BinaryPrimitives.ReadInt64LittleEndian(bytes),
            };
        }

        private ulong UInt(int at, int width)
        {
            var bytes = Slice(at, width);
            return width switch
            {
                1 => bytes[0],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
                4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            };
        }

        private double Float(int at, int width)
        {
            var bytes = Slice(at, width);
            return width switch
            {
                4 => BinaryPrimitives.ReadSingleLittleEndian(bytes),
                8 => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
                _ => throw new InvalidDataException($"FlexBuffer: a float of {width} bytes."),
            };
        }

        private ReadOnlySpan<byte> Slice(int at, int length) =>
            at >= 0 && length >= 0 && at <= _buffer.Length - length
                ? _buffer.Slice(at, length)
                : throw new InvalidDataException($"FlexBuffer: read of {length} bytes at {at} is outside the buffer ({_buffer.Length} bytes).");

        private static int Log2(int width) => width switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 };
    }
}

/// <summary>A FlexBuffer map with typed accessors that fail with the key's name when a value is missing or of another kind.</summary>
public sealed class FlexMap(IReadOnlyDictionary<string, object?> values)
{
    public IReadOnlyDictionary<string, object?> Values { get; } = values;

    public IEnumerable<string> Keys => Values.Keys;

    public bool Contains(string key) => Values.ContainsKey(key);

    public int Int32(string key) => Get(key) switch
    {
        long v => checked((int)v),
        ulong v => checked((int)v),
        bool v => v ? 1 : 0,
        var other => throw Wrong(key, "an integer", other),
    };

    public float Single(string key) => Get(key) switch
    {
        double v => (float)v,
        long v => v,
        ulong v => v,
        var other => throw Wrong(key, "a number", other),
    };

    public bool Bool(string key) => Get(key) switch
    {
        bool v => v,
        long v => v != 0,
        ulong v => v != 0,
        var other => throw Wrong(key, "a boolean", other),
    };

    public string String(string key) => Get(key) as string ?? throw Wrong(key, "a string", Values[key]);

    public int[] Int32s(string key) => Get(key) is object?[] items
        ? items.Select(v => v switch
        {
            long i => checked((int)i),
            ulong u => checked((int)u),
            _ => throw Wrong(key, "a vector of integers", v),
        }).ToArray()
        : throw Wrong(key, "a vector", Values[key]);

    private object? Get(string key) =>
        Values.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"custom_options: '{key}' missing (keys: {string.Join(", ", Values.Keys)}).");

    private static InvalidDataException Wrong(string key, string expected, object? actual) =>
        new($"custom_options: '{key}' should be {expected}, is {actual?.GetType().Name ?? "null"}.");
}
