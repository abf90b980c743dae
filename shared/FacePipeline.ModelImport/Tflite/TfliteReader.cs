namespace FacePipeline.ModelImport.Tflite;

/// <summary>
/// Reads a TFLite model (FlatBuffer, schema tflite.Model, file identifier TFL3) into the
/// converter's graph representation. Field numbers follow TensorFlow's public schema.fbs.
/// </summary>
public static class TfliteReader
{
    public static TfliteModel Read(string path) => Read(File.ReadAllBytes(path));

    public static TfliteModel Read(byte[] bytes)
    {
        if (bytes.Length < 8)
        {
            throw new InvalidDataException("Not a TFLite model: the file is too short.");
        }

        if (bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3')
        {
            throw new InvalidDataException("Not a TFLite model: file identifier TFL3 missing.");
        }

        var file = new ReadOnlyMemory<byte>(bytes);
        var model = FlatBufferTable.Root(file);

        var opNames = model.Tables(ModelField.OperatorCodes).Select(ReadOperatorCode).ToArray();
        var buffers = model.Tables(ModelField.Buffers).Select(b => ReadBuffer(b, file)).ToArray();
        var subgraphs = model.Tables(ModelField.Subgraphs).Select(g => ReadSubgraph(g, opNames, buffers)).ToArray();
        return new TfliteModel(model.UInt32(ModelField.Version), model.String(ModelField.Description), subgraphs);
    }

    /// <summary>The schema name of a builtin operator code (BUILTIN_n past the known table).</summary>
    public static string BuiltinName(int code) =>
        code >= 0 && code < BuiltinNames.Length ? BuiltinNames[code] : $"BUILTIN_{code}";

    private static (string Name, string? Custom, int Version) ReadOperatorCode(FlatBufferTable code)
    {
        // Codes below 127 sit in the old int8 field; newer files also fill the int32 field.
        // The larger of the two is the operator (the schema's documented rule).
        int builtin = Math.Max(code.Int8(0), code.Int32(3));
        var name = BuiltinName(builtin);
        return (name, name == "CUSTOM" ? code.String(1) ?? "" : null, code.Int32(2, 1));
    }

    private static ReadOnlyMemory<byte> ReadBuffer(FlatBufferTable buffer, ReadOnlyMemory<byte> file)
    {
        var data = buffer.Bytes(0);
        if (!data.IsEmpty)
        {
            return data;
        }

        // Models over 2 GB keep buffers after the FlatBuffer: offset and size from the file start.
        var offset = buffer.UInt64(1);
        var size = buffer.UInt64(2);
        if (offset > 1 && size > 0)
        {
            if (offset + size > (ulong)file.Length)
            {
                throw new InvalidDataException($"TFLite buffer [{offset}, {offset + size}) runs past the end of the file.");
            }

            return file.Slice((int)offset, (int)size);
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    private static TfliteGraph ReadSubgraph(FlatBufferTable graph, (string Name, string? Custom, int Version)[] opNames, ReadOnlyMemory<byte>[] buffers)
    {
        var tensors = graph.Tables(0).Select((t, i) => ReadTensor(t, i, buffers)).ToArray();
        var operators = graph.Tables(3).Select(op =>
        {
            var index = (int)op.UInt32(0);
            if (index >= opNames.Length)
            {
                throw new InvalidDataException($"Operator refers to operator code {index}; the model has {opNames.Length}.");
            }

            var (name, custom, version) = opNames[index];
            var inputs = op.Int32s(1);
            var outputs = op.Int32s(2);
            foreach (var t in inputs.Concat(outputs))
            {
                if (t < -1 || t >= tensors.Length)
                {
                    throw new InvalidDataException($"{name}: tensor index {t} out of range ({tensors.Length} tensors).");
                }
            }

            var customOptions = custom is null ? ReadOnlyMemory<byte>.Empty : op.Bytes(OperatorField.CustomOptions);
            var options = custom is null ? ReadOptions(name, op.Table(OperatorField.BuiltinOptions)) : CustomOptionsReader.Read(custom, version, customOptions);
            return new TfliteOperator(name, inputs, outputs, options)
            {
                CustomCode = custom,
                Version = version,
                CustomOptions = customOptions,
            };
        }).ToArray();
        return new TfliteGraph(graph.String(4) ?? "main", tensors, operators, graph.Int32s(1), graph.Int32s(2));
    }

    private static TfliteTensor ReadTensor(FlatBufferTable tensor, int index, ReadOnlyMemory<byte>[] buffers)
    {
        var bufferIndex = tensor.UInt32(2);
        var data = bufferIndex < buffers.Length ? buffers[bufferIndex] : ReadOnlyMemory<byte>.Empty;
        TfliteQuantization? quantization = null;
        if (tensor.Table(4) is { } q)
        {
            var scale = q.Float32s(2);
            if (scale.Length > 0)
            {
                quantization = new TfliteQuantization(scale, q.Int64s(3), q.Int32(6));
            }
        }

        return new TfliteTensor(tensor.String(3) ?? $"tensor_{index}", tensor.Int32s(0), (TfliteTensorType)tensor.Int8(1))
        {
            Data = data,
            Quantization = quantization,
        };
    }

    private static TfliteOptions? ReadOptions(string op, FlatBufferTable? table)
    {
        if (table is not { } o)
        {
            return op switch
            {
                "ADD" or "SUB" or "MUL" or "DIV" => new ActivationOptions(TfliteActivation.None),
                "STRIDED_SLICE" => new StridedSliceOptions(0, 0, 0, 0, 0, false),
                _ => null,
            };
        }

        return op switch
        {
            "CONV_2D" => new Conv2DOptions((TflitePadding)o.Int8(0), o.Int32(1), o.Int32(2), (TfliteActivation)o.Int8(3), o.Int32(4, 1), o.Int32(5, 1)),
            "DEPTHWISE_CONV_2D" => new DepthwiseConv2DOptions((TflitePadding)o.Int8(0), o.Int32(1), o.Int32(2), o.Int32(3), (TfliteActivation)o.Int8(4), o.Int32(5, 1), o.Int32(6, 1)),
            "MAX_POOL_2D" or "AVERAGE_POOL_2D" or "L2_POOL_2D" =>
                new Pool2DOptions((TflitePadding)o.Int8(0), o.Int32(1), o.Int32(2), o.Int32(3), o.Int32(4), (TfliteActivation)o.Int8(5)),
            "ADD" or "SUB" or "MUL" or "DIV" => new ActivationOptions((TfliteActivation)o.Int8(0)),
            "FULLY_CONNECTED" => new FullyConnectedOptions((TfliteActivation)o.Int8(0), o.Bool(2)),
            "CONCATENATION" => new ConcatenationOptions(o.Int32(0), (TfliteActivation)o.Int8(1)),
            "RESHAPE" => new ReshapeOptions(o.Int32s(0)),
            "SOFTMAX" => new SoftmaxOptions(o.Float32(0)),
            "RESIZE_BILINEAR" => new ResizeOptions(o.Bool(2), o.Bool(3)),
            "RESIZE_NEAREST_NEIGHBOR" => new ResizeOptions(o.Bool(0), o.Bool(1)),
            "LEAKY_RELU" => new LeakyReluOptions(o.Float32(0)),
            "STRIDED_SLICE" => new StridedSliceOptions(o.Int32(0), o.Int32(1), o.Int32(2), o.Int32(3), o.Int32(4), o.Bool(5)),
            _ => null,
        };
    }

    private static class OperatorField
    {
        public const int BuiltinOptions = 4;
        public const int CustomOptions = 5;
    }

    private static class ModelField
    {
        public const int Version = 0;
        public const int OperatorCodes = 1;
        public const int Subgraphs = 2;
        public const int Description = 3;
        public const int Buffers = 4;
    }

    // tflite.BuiltinOperator, by value.
    private static readonly string[] BuiltinNames =
    [
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
        "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
        "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
        "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
        "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
        "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN",
        "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN",
        "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU",
        "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL",
        "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
        "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
        "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",
        "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
        "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE",
        "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE",
        "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
        "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
        "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
        "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT",
        "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
        "BROADCAST_ARGS",
    ];
}
