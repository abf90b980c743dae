using FacePipeline.ModelImport.Conversion;
using FacePipeline.ModelImport.Tflite;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FacePipeline.ModelImport.Tests;

/// <summary>Builds small TFLite-like graphs in memory (no FlatBuffers), converts and runs them.</summary>
internal sealed class TestGraph
{
    private readonly List<TfliteTensor> _tensors = [];
    private readonly List<TfliteOperator> _operators = [];
    private readonly List<int> _inputs = [];
    private readonly List<int> _outputs = [];

    public int Input(string name, params int[] shape)
    {
        _tensors.Add(new TfliteTensor(name, shape, TfliteTensorType.Float32));
        _inputs.Add(_tensors.Count - 1);
        return _tensors.Count - 1;
    }

    public int Const(string name, float[] values, params int[] shape) => Add(TfliteTensor.Constant(name, values, shape));

    public int Const(string name, int[] values, params int[] shape) => Add(TfliteTensor.Constant(name, values, shape));

    /// <summary>A float16 constant behind a DEQUANTIZE, as MediaPipe's models store weights.</summary>
    public int HalfConst(string name, float[] values, params int[] shape)
    {
        var half = Add(TfliteTensor.ConstantHalf(name + "_fp16", values, shape));
        return Op("DEQUANTIZE", null, name, shape, half);
    }

    /// <summary>Adds an operator with one float32 output of <paramref name="outShape"/>; returns the output tensor.</summary>
    public int Op(string op, TfliteOptions? options, string outName, int[] outShape, params int[] inputs)
    {
        var output = Add(new TfliteTensor(outName, outShape, TfliteTensorType.Float32));
        _operators.Add(new TfliteOperator(op, inputs, [output], options));
        return output;
    }

    public void Custom(string code, string outName, int input)
    {
        var output = Add(new TfliteTensor(outName, [1], TfliteTensorType.Float32));
        _operators.Add(new TfliteOperator("CUSTOM", [input], [output]) { CustomCode = code });
    }

    /// <summary>Adds a custom operator (typed options as the reader makes them) with one float32 output; returns the output tensor.</summary>
    public int Custom(string code, int version, TfliteOptions? options, string outName, int[] outShape, params int[] inputs)
    {
        var output = Add(new TfliteTensor(outName, outShape, TfliteTensorType.Float32));
        _operators.Add(new TfliteOperator("CUSTOM", inputs, [output], options) { CustomCode = code, Version = version });
        return output;
    }

    public void Output(int tensor) => _outputs.Add(tensor);

    public TfliteGraph Build() => new("test", _tensors.ToArray(), _operators.ToArray(), [.. _inputs], [.. _outputs]);

    /// <summary>Converts, runs in ONNX Runtime with the given inputs (by input order), returns every output by name.</summary>
    public Dictionary<string, (float[] Values, int[] Shape)> Run(params float[][] inputs)
    {
        var graph = Build();
        var model = TfliteToOnnx.Convert(graph).ToBytes();
        return OnnxRun.Run(model, graph.Inputs.Select((t, k) => (graph.Tensors[t].Name, inputs[k], graph.Tensors[t].Shape)).ToArray());
    }

    private int Add(TfliteTensor tensor)
    {
        _tensors.Add(tensor);
        return _tensors.Count - 1;
    }
}

internal static class OnnxRun
{
    public static Dictionary<string, (float[] Values, int[] Shape)> Run(byte[] model, params (string Name, float[] Data, int[] Shape)[] inputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        return Run(session, inputs);
    }

    public static Dictionary<string, (float[] Values, int[] Shape)> Run(InferenceSession session, params (string Name, float[] Data, int[] Shape)[] inputs)
    {
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, i.Shape))).ToList();
        using var results = session.Run(feeds);
        return results.ToDictionary(
            r => r.Name,
            r =>
            {
                var tensor = r.AsTensor<float>();
                return (tensor.ToArray(), tensor.Dimensions.ToArray());
            });
    }
}
