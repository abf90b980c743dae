using FacePipeline.ModelImport.Tflite;

namespace FacePipeline.ModelImport.Tests;

/// <summary>The FlexBuffers reader on hand-encoded buffers (custom_options of the real model: ImportedModelTests).</summary>
[Trait("Lane", "Fast")]
public sealed class FlexBufferTests
{
    /// <summary>
    /// {"a": 7, "b": [1, 2]}, byte width 1 throughout, laid out as FlexBuffers builders do:
    /// keys, the int vector, the keys vector, the map (keys offset, keys width, length, values,
    /// types), then the root offset, the root's packed type and its width.
    /// </summary>
    private static readonly byte[] SmallMap =
    [
        (byte)'a', 0, (byte)'b', 0,   // keys at 0 and 2
        2, 1, 2,                      // typed int vector: length 2 at 4, elements at 5
        2, 8, 7,                      // keys vector: length at 7, offsets at 8 (→ 0) and 9 (→ 2)
        2, 1, 2,                      // map: keys vector offset at 10 (→ 8), keys width 1, length 2
        7, 9,                         // values at 13: int 7 inline, offset 9 (→ 5)
        1 << 2, 11 << 2,              // types: INT, VECTOR_INT (element width 1)
        4, 9 << 2, 1,                 // root: offset 4 (→ the map at 13), type MAP, width 1
    ];

    [Fact]
    public void A_map_of_an_int_and_an_int_vector_reads_back()
    {
        var map = FlexBuffer.ParseMap(SmallMap);

        Assert.Equal(["a", "b"], map.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(7, map.Int32("a"));
        Assert.Equal([1, 2], map.Int32s("b"));
        Assert.Equal(7f, map.Single("a"));
    }

    [Fact]
    public void A_missing_key_or_a_value_of_another_kind_fails_with_the_key()
    {
        var map = FlexBuffer.ParseMap(SmallMap);

        Assert.Contains("'c'", Assert.Throws<InvalidDataException>(() => map.Int32("c")).Message);
        Assert.Contains("'b'", Assert.Throws<InvalidDataException>(() => map.Int32("b")).Message);
        Assert.Contains("'a'", Assert.Throws<InvalidDataException>(() => map.Int32s("a")).Message);
    }

    [Fact]
    public void Truncated_or_corrupt_buffers_fail_with_invalid_data()
    {
        for (var cut = 1; cut < SmallMap.Length; cut++)
        {
            var truncated = SmallMap[cut..];
            Assert.Throws<InvalidDataException>(() => FlexBuffer.ParseMap(truncated));
        }

        var badOffset = (byte[])SmallMap.Clone();
        badOffset[^3] = 200; // the root points before the buffer
        Assert.Throws<InvalidDataException>(() => FlexBuffer.Parse(badOffset));

        var badWidth = (byte[])SmallMap.Clone();
        badWidth[^1] = 3;
        Assert.Throws<InvalidDataException>(() => FlexBuffer.Parse(badWidth));
    }

    [Fact]
    public void Scalars_of_wider_widths_and_floats_read_back()
    {
        // Root INT of width 2 (-300), root FLOAT of width 4 (1.5), root BOOL (true).
        var int16 = FlexBuffer.Parse([0xD4, 0xFE, 1 << 2, 2]);
        var float32 = FlexBuffer.Parse([0, 0, 0xC0, 0x3F, 3 << 2, 4]);
        var boolean = FlexBuffer.Parse([1, 26 << 2, 1]);

        Assert.Equal(-300L, int16);
        Assert.Equal(1.5, float32);
        Assert.Equal(true, boolean);
    }
}
