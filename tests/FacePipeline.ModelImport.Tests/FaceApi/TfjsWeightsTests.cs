using System.Buffers.Binary;
using FacePipeline.ModelImport.FaceApi;

namespace FacePipeline.ModelImport.Tests.FaceApi;

/// <summary>The TFJS manifest reader on small manifests built in memory.</summary>
[Trait("Lane", "Fast")]
public sealed class TfjsWeightsTests
{
    [Fact]
    public void Uint8_weights_dequantize_as_value_times_scale_plus_min_like_tfjs()
    {
        const string manifest = """
            [{ "paths": ["a.bin"], "weights": [
              { "name": "w", "shape": [2, 2], "dtype": "float32", "quantization": { "dtype": "uint8", "scale": 0.1, "min": -1.5 } } ] }]
            """;

        var weights = TfjsWeights.Parse(manifest, _ => [0, 1, 15, 255]);

        var w = weights.Get("w", 2, 2);
        Assert.Equal([(float)-1.5, (float)((1 * 0.1) - 1.5), (float)((15 * 0.1) - 1.5), (float)((255 * 0.1) - 1.5)], w.Data);
        Assert.Equal("uint8", weights.Quantization["w"]);
    }

    [Fact]
    public void Uint16_float16_float32_and_int32_weights_are_read_little_endian_back_to_back()
    {
        const string manifest = """
            [{ "paths": ["a.bin"], "weights": [
              { "name": "u16", "shape": [2], "dtype": "float32", "quantization": { "dtype": "uint16", "scale": 0.5, "min": 1 } },
              { "name": "f16", "shape": [2], "dtype": "float32", "quantization": { "dtype": "float16" } },
              { "name": "f32", "shape": [1], "dtype": "float32" },
              { "name": "i32", "shape": [1], "dtype": "int32" } ] }]
            """;
        var bytes = new byte[(2 * 2) + (2 * 2) + 4 + 4];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(0), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), 1000);
        BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(4), (Half)0.25f);
        BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(6), (Half)(-3f));
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8), 1.125f);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), -7);

        var weights = TfjsWeights.Parse(manifest, _ => bytes);

        Assert.Equal([2.5f, 501f], weights["u16"].Data);
        Assert.Equal([0.25f, -3f], weights["f16"].Data);
        Assert.Equal([1.125f], weights["f32"].Data);
        Assert.Equal([-7f], weights["i32"].Data);
        Assert.Equal(["f16", "u16"], weights.Quantization.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_group_spans_its_shards_in_the_listed_order()
    {
        const string manifest = """
            [{ "paths": ["p1", "p2"], "weights": [
              { "name": "a", "shape": [3], "dtype": "float32", "quantization": { "dtype": "uint8", "scale": 1, "min": 0 } },
              { "name": "b", "shape": [2], "dtype": "float32", "quantization": { "dtype": "uint8", "scale": 1, "min": 0 } } ] }]
            """;
        var shards = new Dictionary<string, byte[]> { ["p1"] = [1, 2], ["p2"] = [3, 4, 5] };

        var weights = TfjsWeights.Parse(manifest, p => shards[p]);

        Assert.Equal([1f, 2f, 3f], weights["a"].Data);
        Assert.Equal([4f, 5f], weights["b"].Data);
    }

    [Fact]
    public void Shards_longer_or_shorter_than_the_weights_are_rejected()
    {
        const string manifest = """
            [{ "paths": ["a.bin"], "weights": [ { "name": "w", "shape": [2], "dtype": "float32" } ] }]
            """;

        Assert.Throws<InvalidDataException>(() => TfjsWeights.Parse(manifest, _ => new byte[12]));
        Assert.Throws<InvalidDataException>(() => TfjsWeights.Parse(manifest, _ => new byte[4]));
    }

    [Fact]
    public void Unknown_quantization_and_dtypes_are_rejected_by_name()
    {
        const string quantized = """
            [{ "paths": ["a"], "weights": [ { "name": "w", "shape": [1], "dtype": "float32", "quantization": { "dtype": "int4" } } ] }]
            """;
        const string complex = """
            [{ "paths": ["a"], "weights": [ { "name": "c", "shape": [1], "dtype": "complex64" } ] }]
            """;

        Assert.Contains("int4", Assert.Throws<NotSupportedException>(() => TfjsWeights.Parse(quantized, _ => new byte[8])).Message);
        Assert.Contains("complex64", Assert.Throws<NotSupportedException>(() => TfjsWeights.Parse(complex, _ => new byte[8])).Message);
    }

    [Fact]
    public void Get_checks_the_shape()
    {
        const string manifest = """
            [{ "paths": ["a"], "weights": [ { "name": "w", "shape": [2, 1], "dtype": "float32" } ] }]
            """;
        var weights = TfjsWeights.Parse(manifest, _ => new byte[8]);

        Assert.Throws<InvalidDataException>(() => weights.Get("w", 1, 2));
        Assert.Throws<KeyNotFoundException>(() => weights["missing"]);
    }
}
