namespace FacePipeline.ModelImport.Conversion;

/// <summary>The TFLite graph uses an operator (or a form of one) that the converter does not translate.</summary>
public sealed class UnsupportedOperatorException : NotSupportedException
{
    public UnsupportedOperatorException(string opName, int operatorIndex, string detail)
        : base($"TFLite operator {opName} (operator #{operatorIndex}{(detail.Length > 0 ? ", " + detail : "")}) is not supported by the ONNX converter.")
    {
        OpName = opName;
        OperatorIndex = operatorIndex;
    }

    /// <summary>The operator's schema name (CONV_2D…), or CUSTOM(name) for a custom operator.</summary>
    public string OpName { get; }

    public int OperatorIndex { get; }
}
