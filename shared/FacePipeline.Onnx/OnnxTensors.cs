using System.Runtime.InteropServices;
using FacePipeline.Onnx.Proto;
using Google.Protobuf;

namespace FacePipeline.Onnx;

/// <summary>TensorProto construction (little-endian raw_data, as ONNX specifies).</summary>
internal static class OnnxTensors
{
    public static TensorProto Float(string name, ReadOnlySpan<float> data, long[] shape) =>
        Raw(name, OnnxElementType.Float, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static TensorProto Int64(string name, ReadOnlySpan<long> data, long[] shape) =>
        Raw(name, OnnxElementType.Int64, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static TensorProto Int32(string name, ReadOnlySpan<int> data, long[] shape) =>
        Raw(name, OnnxElementType.Int32, MemoryMarshal.AsBytes(data), data.Length, shape);

    private static TensorProto Raw(string name, OnnxElementType type, ReadOnlySpan<byte> bytes, int count, long[] shape)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported.");
        }

        var elements = 1L;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Tensor '{name}': negative dimension in shape [{string.Join(",", shape)}].", nameof(shape));
            }

            elements *= dim;
        }

        if (elements != count)
        {
            throw new ArgumentException($"Tensor '{name}': {count} values do not fill shape [{string.Join(",", shape)}] ({elements}).", nameof(shape));
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(shape);
        return tensor;
    }
}
