namespace FacePipeline.ModelImport.Tflite;

/// <summary>TFLite tensor element types (values of tflite.TensorType).</summary>
public enum TfliteTensorType : sbyte
{
    Float32 = 0,
    Float16 = 1,
    Int32 = 2,
    UInt8 = 3,
    Int64 = 4,
    String = 5,
    Bool = 6,
    Int16 = 7,
    Complex64 = 8,
    Int8 = 9,
    Float64 = 10,
}

/// <summary>Per-tensor or per-axis affine quantization: real = scale * (q - zero_point).</summary>
public sealed record TfliteQuantization(float[] Scale, long[] ZeroPoint, int QuantizedDimension);

/// <summary>
/// One tensor of a graph. A tensor with <see cref="Data"/> is a constant (weights, shapes);
/// the bytes are little-endian values of <see cref="Type"/>.
/// </summary>
public sealed record TfliteTensor(string Name, int[] Shape, TfliteTensorType Type)
{
    public ReadOnlyMemory<byte> Data { get; init; }

    public TfliteQuantization? Quantization { get; init; }

    public bool IsConstant => !Data.IsEmpty;

    public int ElementCount => Shape.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>A float32 constant from values (for tests and hand-built graphs).</summary>
    public static TfliteTensor Constant(string name, float[] values, params int[] shape) =>
        new(name, shape, TfliteTensorType.Float32) { Data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };

    /// <summary>A float16 constant from values (stored as IEEE half, as TFLite does).</summary>
    public static TfliteTensor ConstantHalf(string name, float[] values, params int[] shape)
    {
        var halves = values.Select(v => (Half)v).ToArray();
        return new(name, shape, TfliteTensorType.Float16) { Data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()).ToArray() };
    }

    /// <summary>An int32 constant (shapes, paddings, axes).</summary>
    public static TfliteTensor Constant(string name, int[] values, params int[] shape) =>
        new(name, shape, TfliteTensorType.Int32) { Data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };

    public override string ToString() => $"{Name} {Type} [{string.Join(",", Shape)}]{(IsConstant ? " const" : "")}";
}

/// <summary>
/// One operator. <see cref="OpName"/> is the builtin operator's schema name (CONV_2D, ADD…);
/// for CUSTOM operators <see cref="CustomCode"/> holds the custom op's name.
/// </summary>
public sealed record TfliteOperator(string OpName, int[] Inputs, int[] Outputs, TfliteOptions? Options = null)
{
    public string? CustomCode { get; init; }

    /// <summary>The operator code's version (TFLite's OperatorCode.version, 1 when absent).</summary>
    public int Version { get; init; } = 1;

    /// <summary>A custom operator's raw options (a FlexBuffer map for MediaPipe's operators); empty otherwise.</summary>
    public ReadOnlyMemory<byte> CustomOptions { get; init; }

    /// <summary>The name to show: the builtin name, or CUSTOM(name).</summary>
    public string DisplayName => CustomCode is null ? OpName : $"{OpName}({CustomCode})";
}

/// <summary>One subgraph: tensors, operators in execution order, input and output tensor indices.</summary>
public sealed record TfliteGraph(
    string Name,
    IReadOnlyList<TfliteTensor> Tensors,
    IReadOnlyList<TfliteOperator> Operators,
    int[] Inputs,
    int[] Outputs)
{
    /// <summary>Distinct operator names in order of first use, with their counts.</summary>
    public IReadOnlyList<(string Op, int Count)> OperatorCensus() =>
        Operators.GroupBy(o => o.DisplayName).Select(g => (g.Key, g.Count())).ToArray();
}

/// <summary>A whole TFLite model file.</summary>
public sealed record TfliteModel(uint Version, string? Description, IReadOnlyList<TfliteGraph> Subgraphs)
{
    public TfliteGraph Main => Subgraphs.Count > 0 ? Subgraphs[0] : throw new InvalidDataException("The TFLite model has no subgraph.");
}
