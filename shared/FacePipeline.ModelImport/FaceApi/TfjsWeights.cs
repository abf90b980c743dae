using System.Buffers.Binary;
using System.Text.Json;

namespace FacePipeline.ModelImport.FaceApi;

/// <summary>One weight of a TensorFlow.js weights manifest, dequantized to float32 (row-major, TFJS layout).</summary>
public sealed record TfjsTensor(string Name, int[] Shape, float[] Data)
{
    public int Size => Data.Length;

    public override string ToString() => $"{Name} [{string.Join(",", Shape)}]";
}

/// <summary>
/// Reads TensorFlow.js weights: a <c>*-weights_manifest.json</c> (an array of groups, each
/// <c>{ "paths": [shards...], "weights": [{ name, shape, dtype, quantization? }...] }</c>) and its
/// binary shards. A group's shards are concatenated and its weights lie back to back in manifest
/// order. Dequantization is TFJS's own (<c>tfjs-core/src/io/io_utils.ts</c>, decodeWeight):
/// uint8/uint16 values become <c>v * scale + min</c> computed in double and stored as float32;
/// float16 values are widened; unquantized float32/int32 are read as they are (little-endian).
/// </summary>
public sealed class TfjsWeights
{
    private readonly Dictionary<string, TfjsTensor> _tensors;

    private TfjsWeights(List<TfjsTensor> tensors)
    {
        Tensors = tensors;
        _tensors = new Dictionary<string, TfjsTensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!_tensors.TryAdd(t.Name, t))
            {
                throw new InvalidDataException($"TFJS manifest lists weight '{t.Name}' twice.");
            }
        }
    }

    /// <summary>The weights in manifest order.</summary>
    public IReadOnlyList<TfjsTensor> Tensors { get; }

    /// <summary>The weights whose manifest entry was quantized (name → quantization dtype).</summary>
    public IReadOnlyDictionary<string, string> Quantization { get; private init; } = new Dictionary<string, string>();

    public TfjsTensor this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"TFJS weights have no tensor '{name}'.");

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor <paramref name="name"/>, which must have exactly <paramref name="shape"/>.</summary>
    public TfjsTensor Get(string name, params int[] shape)
    {
        var t = this[name];
        if (!t.Shape.AsSpan().SequenceEqual(shape))
        {
            throw new InvalidDataException($"TFJS weight '{name}' has shape [{string.Join(",", t.Shape)}], expected [{string.Join(",", shape)}].");
        }

        return t;
    }

    /// <summary>Reads a manifest file; shard paths are relative to its folder.</summary>
    public static TfjsWeights Read(string manifestPath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        return Parse(File.ReadAllText(manifestPath), shard =>
        {
            var path = Path.Combine(folder, shard);
            return File.Exists(path)
                ? File.ReadAllBytes(path)
                : throw new FileNotFoundException($"TFJS weight shard '{shard}' (listed in {Path.GetFileName(manifestPath)}) not found.", path);
        });
    }

    /// <summary>Parses a manifest; <paramref name="readShard"/> returns the bytes of a shard named in <c>paths</c>.</summary>
    public static TfjsWeights Parse(string manifestJson, Func<string, byte[]> readShard)
    {
        using var doc = JsonDocument.Parse(manifestJson);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("A TFJS weights manifest is a JSON array of weight groups.");
        }

        var tensors = new List<TfjsTensor>();
        var quantization = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in doc.RootElement.EnumerateArray())
        {
            var paths = group.GetProperty("paths").EnumerateArray().Select(p => p.GetString() ?? "").ToArray();
            var buffer = Concatenate(paths.Select(readShard));
            var offset = 0;
            foreach (var spec in group.GetProperty("weights").EnumerateArray())
            {
                var name = spec.GetProperty("name").GetString() ?? throw new InvalidDataException("TFJS weight without a name.");
                var shape = spec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                var dtype = spec.GetProperty("dtype").GetString();
                var size = 1;
                foreach (var d in shape)
                {
                    size = checked(size * d);
                }

                float[] values;
                if (spec.TryGetProperty("quantization", out var q) && q.ValueKind == JsonValueKind.Object)
                {
                    var qtype = q.GetProperty("dtype").GetString();
                    quantization[name] = qtype ?? "";
                    (values, var bytes) = Dequantize(name, dtype, qtype, q, buffer, offset, size);
                    offset += bytes;
                }
                else
                {
                    values = dtype switch
                    {
                        "float32" => ReadFloat32(buffer, offset, size, name),
                        "int32" => ReadInt32(buffer, offset, size, name),
                        _ => throw new NotSupportedException($"TFJS weight '{name}': dtype {dtype} is not supported."),
                    };
                    offset += size * 4;
                }

                tensors.Add(new TfjsTensor(name, shape, values));
            }

            if (offset != buffer.Length)
            {
                throw new InvalidDataException($"TFJS weight group [{string.Join(", ", paths)}]: the weights use {offset} bytes, the shards hold {buffer.Length}.");
            }
        }

        return new TfjsWeights(tensors) { Quantization = quantization };
    }

    private static (float[] Values, int Bytes) Dequantize(
        string name, string? dtype, string? qtype, JsonElement q, byte[] buffer, int offset, int size)
    {
        if (dtype != "float32")
        {
            throw new NotSupportedException($"TFJS weight '{name}': quantized {dtype} weights are not supported (float32 only).");
        }

        switch (qtype)
        {
            case "uint8":
            case "uint16":
            {
                if (!q.TryGetProperty("scale", out var scaleJson) || !q.TryGetProperty("min", out var minJson))
                {
                    throw new InvalidDataException($"TFJS weight '{name}': {qtype} quantization without scale and min.");
                }

                var scale = scaleJson.GetDouble();
                var min = minJson.GetDouble();
                var width = qtype == "uint8" ? 1 : 2;
                Check(buffer, offset, size * width, name);
                var values = new float[size];
                for (var i = 0; i < size; i++)
                {
                    double v = width == 1
                        ? buffer[offset + i]
                        : BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + (2 * i), 2));

                    // As tfjs: the product and sum in double, then stored into a Float32Array.
                    values[i] = (float)((v * scale) + min);
                }

                return (values, size * width);
            }

            case "float16":
            {
                Check(buffer, offset, size * 2, name);
                var values = new float[size];
                for (var i = 0; i < size; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(buffer.AsSpan(offset + (2 * i), 2));
                }

                return (values, size * 2);
            }

            default:
                throw new NotSupportedException($"TFJS weight '{name}': quantization dtype {qtype} is not supported (uint8, uint16, float16).");
        }
    }

    private static float[] ReadFloat32(byte[] buffer, int offset, int size, string name)
    {
        Check(buffer, offset, size * 4, name);
        var values = new float[size];
        for (var i = 0; i < size; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(offset + (4 * i), 4));
        }

        return values;
    }

    private static float[] ReadInt32(byte[] buffer, int offset, int size, string name)
    {
        Check(buffer, offset, size * 4, name);
        var values = new float[size];
        for (var i = 0; i < size; i++)
        {
            values[i] = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset + (4 * i), 4));
        }

        return values;
    }

    private static void Check(byte[] buffer, int offset, int bytes, string name)
    {
        if (offset + bytes > buffer.Length)
        {
            throw new InvalidDataException($"TFJS weight '{name}' needs bytes {offset}..{offset + bytes}, the shards hold {buffer.Length}.");
        }
    }

    private static byte[] Concatenate(IEnumerable<byte[]> shards)
    {
        var list = shards.ToList();
        var result = new byte[list.Sum(s => s.Length)];
        var at = 0;
        foreach (var s in list)
        {
            s.CopyTo(result, at);
            at += s.Length;
        }

        return result;
    }
}
