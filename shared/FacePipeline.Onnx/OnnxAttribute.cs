using FacePipeline.Onnx.Proto;
using Google.Protobuf;

namespace FacePipeline.Onnx;

/// <summary>One node attribute (int, ints, float, floats, string, tensor).</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(AttributeProto proto) => Proto = proto;

    public string Name => Proto.Name;

    internal AttributeProto Proto { get; }

    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public static OnnxAttribute Ints(string name, params long[] values)
    {
        var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        proto.Ints.AddRange(values);
        return new(proto);
    }

    public static OnnxAttribute Float(string name, float value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    public static OnnxAttribute Floats(string name, params float[] values)
    {
        var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        proto.Floats.AddRange(values);
        return new(proto);
    }

    public static OnnxAttribute String(string name, string value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    /// <summary>A tensor-valued attribute (for example the value of a Constant node).</summary>
    public static OnnxAttribute Tensor(string name, float[] data, params long[] shape) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensors.Float(name, data, shape) });
}
