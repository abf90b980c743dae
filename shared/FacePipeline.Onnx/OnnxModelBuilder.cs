using FacePipeline.Onnx.Proto;
using Google.Protobuf;

namespace FacePipeline.Onnx;

/// <summary>
/// Builds an ONNX model (one graph, default domain) node by node and writes it. Names must be
/// unique within the graph; <see cref="UniqueName"/> hands out fresh ones.
/// </summary>
/// <example>
/// <code>
/// var b = new OnnxModelBuilder("tiny");
/// b.AddInput("x", OnnxElementType.Float, 1, 3);
/// var w = b.AddInitializer("w", new float[] { 1, 2, 3 }, 1, 3);
/// b.AddNode("Mul", ["x", w], ["y"]);
/// b.AddOutput("y", OnnxElementType.Float, 1, 3);
/// b.Save("tiny.onnx");
/// </code>
/// </example>
public sealed class OnnxModelBuilder
{
    /// <summary>IR version 7 goes with opset 13 (the oldest IR that every opset up to 13 accepts).</summary>
    public const int DefaultOpset = 13;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> _metadata = [];

    public OnnxModelBuilder(string graphName, int opset = DefaultOpset)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        if (opset < 7)
        {
            throw new ArgumentOutOfRangeException(nameof(opset), opset, "Opset 7 or later.");
        }

        Opset = opset;
        _graph = new GraphProto { Name = graphName };
    }

    public int Opset { get; }

    public string ProducerName { get; set; } = "FacePipeline";

    public string ProducerVersion { get; set; } = "1";

    public string? DocString { get; set; }

    public int NodeCount => _graph.Node.Count;

    public int InitializerCount => _graph.Initializer.Count;

    /// <summary>Node op types in graph order (for tests and diagnostics).</summary>
    public IReadOnlyList<string> NodeOpTypes => _graph.Node.Select(n => n.OpType).ToArray();

    /// <summary>A name not used yet in this graph: <paramref name="prefix"/> itself if free, else prefix_N.</summary>
    public string UniqueName(string prefix)
    {
        if (!_names.Contains(prefix))
        {
            return prefix;
        }

        _counters.TryGetValue(prefix, out var n);
        string candidate;
        do
        {
            n++;
            candidate = $"{prefix}_{n}";
        }
        while (_names.Contains(candidate));

        _counters[prefix] = n;
        return candidate;
    }

    /// <summary>Whether a value (input, initializer or node output) of this name exists.</summary>
    public bool HasValue(string name) => _names.Contains(name);

    public void AddMetadata(string key, string value) => _metadata.Add(new(key, value));

    /// <summary>Declares a graph input. A negative dimension is symbolic ("N", e.g. a free batch size).</summary>
    public void AddInput(string name, OnnxElementType type, params long[] shape) =>
        _graph.Input.Add(ValueInfo(Claim(name), type, shape));

    /// <summary>Declares a graph output (a value already defined: node output, input or initializer).</summary>
    public void AddOutput(string name, OnnxElementType type, params long[] shape) =>
        _graph.Output.Add(ValueInfo(
            _names.Contains(name) ? name : throw new InvalidOperationException($"Output '{name}' is not defined in graph '{_graph.Name}'."),
            type,
            shape));

    /// <summary>Adds a float32 constant; returns its name.</summary>
    public string AddInitializer(string name, float[] data, params long[] shape)
    {
        _graph.Initializer.Add(OnnxTensors.Float(Claim(name), data, shape));
        return name;
    }

    /// <summary>Adds an int64 constant (shapes, pads, axes); returns its name.</summary>
    public string AddInitializer(string name, long[] data, params long[] shape)
    {
        _graph.Initializer.Add(OnnxTensors.Int64(Claim(name), data, shape));
        return name;
    }

    /// <summary>Adds an int32 constant; returns its name.</summary>
    public string AddInitializer(string name, int[] data, params long[] shape)
    {
        _graph.Initializer.Add(OnnxTensors.Int32(Claim(name), data, shape));
        return name;
    }

    /// <summary>
    /// Adds a node of the default ONNX domain. Every output name must be new; an empty input name
    /// stands for an omitted optional input. Returns the first output's name.
    /// </summary>
    public string AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, outputs, name: null, attributes);

    public string AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string? name, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        if (outputs.Count == 0)
        {
            throw new ArgumentException($"{opType} node without outputs.", nameof(outputs));
        }

        foreach (var input in inputs)
        {
            if (input.Length > 0 && !_names.Contains(input))
            {
                throw new InvalidOperationException($"{opType} node reads '{input}', which nothing defines yet.");
            }
        }

        var node = new NodeProto { OpType = opType, Name = name ?? UniqueNodeName(opType, outputs[0]) };
        node.Input.AddRange(inputs);
        foreach (var output in outputs)
        {
            node.Output.Add(Claim(output));
        }

        foreach (var attribute in attributes)
        {
            node.Attribute.Add(attribute.Proto.Clone());
        }

        _graph.Node.Add(node);
        return outputs[0];
    }

    /// <summary>The model as its protobuf message (a copy).</summary>
    public ModelProto Build()
    {
        var model = new ModelProto
        {
            IrVersion = IrVersionFor(Opset),
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            Graph = _graph.Clone(),
        };
        if (DocString is not null)
        {
            model.DocString = DocString;
        }

        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in _metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    public byte[] ToBytes() => Build().ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/> (through a temporary file, then a rename).</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var partial = full + ".partial";
        File.WriteAllBytes(partial, ToBytes());
        File.Move(partial, full, overwrite: true);
    }

    private static long IrVersionFor(int opset) => opset switch
    {
        <= 8 => 4,
        <= 10 => 5,
        <= 11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    private string Claim(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"The name '{name}' is already used in graph '{_graph.Name}'.");
        }

        return name;
    }

    private string UniqueNodeName(string opType, string firstOutput) => $"{opType}:{firstOutput}";

    private static ValueInfoProto ValueInfo(string name, OnnxElementType type, long[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var dim in shape)
        {
            tensorShape.Dim.Add(dim >= 0
                ? new TensorShapeProto.Types.Dimension { DimValue = dim }
                : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }
}
