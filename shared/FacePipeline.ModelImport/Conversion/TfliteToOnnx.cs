using System.Runtime.InteropServices;
using FacePipeline.ModelImport.Tflite;
using FacePipeline.Onnx;

namespace FacePipeline.ModelImport.Conversion;

/// <summary>
/// Translates a float TFLite graph into an ONNX graph (opset 13).
/// <para>
/// Layout: the ONNX model keeps the TFLite interface (NHWC inputs and outputs, same names and
/// shapes). Inside, 4-D activations travel in NCHW, ONNX's native convolution layout: a tensor
/// is transposed only when an operator needs the other layout (once after the input, before a
/// RESHAPE, or at an output), and each transposed form is made once and reused. Constants are
/// laid out for their consumer at conversion time (conv kernels OHWI→OIHW, depthwise
/// 1HWC→C1HW, per-channel vectors broadcast against NCHW).
/// </para>
/// <para>
/// Constants: float16 (and quantized int8/uint8) buffers feeding DEQUANTIZE are folded into
/// float32 initializers; the DEQUANTIZE operator disappears. TFLite's SAME padding puts the
/// odd extra pixel at the end: it becomes explicit ONNX pads (never auto_pad). Fused
/// activations (RELU, RELU6, RELU_N1_TO_1, TANH) become their own nodes.
/// </para>
/// <para>
/// MediaPipe's custom operators (Landmarks2TransformMatrix, TransformTensorBilinear,
/// TransformLandmarks) become subgraphs of plain ONNX operators: see TfliteToOnnx.MediaPipe.cs.
/// </para>
/// </summary>
public static partial class TfliteToOnnx
{
    public const int Opset = 13;

    /// <summary>The TFLite operators the converter translates.</summary>
    public static IReadOnlySet<string> SupportedOperators { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ADD", "SUB", "MUL", "DIV", "CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D",
        "RELU", "RELU6", "RELU_N1_TO_1", "PRELU", "LEAKY_RELU", "LOGISTIC", "TANH", "PAD", "PADV2",
        "RESHAPE", "CONCATENATION", "DEQUANTIZE", "FULLY_CONNECTED", "SOFTMAX", "STRIDED_SLICE",
    };

    /// <summary>The custom operators the converter translates (MediaPipe's), by custom code.</summary>
    public static IReadOnlySet<string> SupportedCustomOperators { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        CustomOptionsReader.Landmarks2TransformMatrix, CustomOptionsReader.TransformTensorBilinear, CustomOptionsReader.TransformLandmarks,
    };

    /// <summary>Whether an operator's display name (ADD, CUSTOM(TransformLandmarks)…) is one the converter translates.</summary>
    public static bool IsSupported(string displayName) =>
        displayName.StartsWith("CUSTOM(", StringComparison.Ordinal) && displayName.EndsWith(')')
            ? SupportedCustomOperators.Contains(displayName["CUSTOM(".Length..^1])
            : SupportedOperators.Contains(displayName);

    /// <summary>Throws <see cref="UnsupportedOperatorException"/> for the first operator the converter does not know.</summary>
    public static void CheckSupported(TfliteGraph graph)
    {
        for (var i = 0; i < graph.Operators.Count; i++)
        {
            var op = graph.Operators[i];
            var supported = op.CustomCode is { } custom ? SupportedCustomOperators.Contains(custom) : SupportedOperators.Contains(op.OpName);
            if (!supported)
            {
                var output = op.Outputs.Length > 0 && op.Outputs[0] >= 0 ? graph.Tensors[op.Outputs[0]].Name : "";
                throw new UnsupportedOperatorException(op.DisplayName, i, output.Length > 0 ? $"output '{output}'" : "");
            }
        }
    }

    /// <summary>Converts <paramref name="graph"/>; the result can be saved or inspected.</summary>
    public static OnnxModelBuilder Convert(TfliteGraph graph, string? graphName = null)
    {
        CheckSupported(graph);
        return new Session(graph, graphName ?? graph.Name).Run();
    }

    private static readonly long[] ToNchw = [0, 3, 1, 2];
    private static readonly long[] ToNhwc = [0, 2, 3, 1];

    private sealed partial class Session(TfliteGraph graph, string graphName)
    {
        private readonly OnnxModelBuilder _b = new(string.IsNullOrEmpty(graphName) ? "main" : graphName, Opset);
        private readonly Dictionary<int, Value> _values = [];
        private readonly Dictionary<int, float[]> _folded = [];
        private readonly Dictionary<(int Tensor, bool Nchw), string> _layouts = [];
        private readonly Dictionary<float, string> _scalars = [];
        private readonly HashSet<int> _graphOutputs = [.. graph.Outputs];
        private TfliteOperator _op = null!;
        private int _opIndex;

        private readonly record struct Value(string Name, bool Nchw);

        public OnnxModelBuilder Run()
        {
            _b.DocString = "Converted from TFLite by FacePipeline.ModelImport (NHWC interface, NCHW inside).";
            foreach (var input in graph.Inputs)
            {
                var t = graph.Tensors[input];
                if (t.Type != TfliteTensorType.Float32)
                {
                    throw new NotSupportedException($"Graph input '{t.Name}' is {t.Type}; only float32 inputs are supported.");
                }

                _b.AddInput(t.Name, OnnxElementType.Float, Longs(t.Shape));
                _values[input] = new Value(t.Name, false);
            }

            for (_opIndex = 0; _opIndex < graph.Operators.Count; _opIndex++)
            {
                _op = graph.Operators[_opIndex];
                ConvertOperator();
            }

            foreach (var output in graph.Outputs)
            {
                var t = graph.Tensors[output];
                if (!_values.TryGetValue(output, out var v))
                {
                    throw new NotSupportedException($"Graph output '{t.Name}' is not computed by any operator.");
                }

                if (v.Nchw)
                {
                    _b.AddNode("Transpose", [v.Name], [t.Name], OnnxAttribute.Ints("perm", ToNhwc));
                }
                else if (v.Name != t.Name)
                {
                    _b.AddNode("Identity", [v.Name], [t.Name]);
                }

                _b.AddOutput(t.Name, OnnxElementType.Float, Longs(t.Shape));
            }

            return _b;
        }

        private void ConvertOperator()
        {
            switch (_op.OpName)
            {
                case "DEQUANTIZE": Dequantize(); break;
                case "CONV_2D": Conv2D(); break;
                case "DEPTHWISE_CONV_2D": DepthwiseConv2D(); break;
                case "MAX_POOL_2D": Pool("MaxPool"); break;
                case "AVERAGE_POOL_2D": Pool("AveragePool"); break;
                case "ADD": Elementwise("Add", Options<ActivationOptions>().Activation); break;
                case "SUB": Elementwise("Sub", Options<ActivationOptions>().Activation); break;
                case "MUL": Elementwise("Mul", Options<ActivationOptions>().Activation); break;
                case "DIV": Elementwise("Div", Options<ActivationOptions>().Activation); break;
                case "PRELU": Elementwise("PRelu", TfliteActivation.None); break;
                case "RELU": Unary(TfliteActivation.Relu); break;
                case "RELU6": Unary(TfliteActivation.Relu6); break;
                case "RELU_N1_TO_1": Unary(TfliteActivation.ReluN1To1); break;
                case "TANH": Unary(TfliteActivation.Tanh); break;
                case "LOGISTIC": UnaryOp("Sigmoid"); break;
                case "LEAKY_RELU": UnaryOp("LeakyRelu", OnnxAttribute.Float("alpha", Options<LeakyReluOptions>().Alpha)); break;
                case "PAD": case "PADV2": Pad(); break;
                case "RESHAPE": Reshape(); break;
                case "CONCATENATION": Concatenation(); break;
                case "FULLY_CONNECTED": FullyConnected(); break;
                case "SOFTMAX": Softmax(); break;
                case "STRIDED_SLICE": StridedSlice(); break;
                case "CUSTOM": Custom(); break;
                default: throw Unsupported("");
            }
        }

        // ---- operators ---------------------------------------------------------------------

        private void Dequantize()
        {
            var input = In(0);
            var t = graph.Tensors[input];
            if (!t.IsConstant)
            {
                if (t.Type != TfliteTensorType.Float16)
                {
                    throw Unsupported($"run-time dequantization of {t.Type}");
                }

                _b.AddNode("Cast", [Input(input, Layout(input))], [Define(Out(), Layout(input))], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
                return;
            }

            _folded[Out()] = t.Type switch
            {
                TfliteTensorType.Float16 => MemoryMarshal.Cast<byte, Half>(t.Data.Span).ToArray().Select(h => (float)h).ToArray(),
                TfliteTensorType.Float32 => MemoryMarshal.Cast<byte, float>(t.Data.Span).ToArray(),
                TfliteTensorType.Int8 => Dequantized(t, MemoryMarshal.Cast<byte, sbyte>(t.Data.Span).ToArray().Select(v => (int)v).ToArray()),
                TfliteTensorType.UInt8 => Dequantized(t, t.Data.ToArray().Select(v => (int)v).ToArray()),
                _ => throw Unsupported($"dequantization of {t.Type} constants"),
            };
        }

        private float[] Dequantized(TfliteTensor t, int[] q)
        {
            var quant = t.Quantization ?? throw Unsupported($"{t.Type} constant '{t.Name}' without quantization parameters");
            var result = new float[q.Length];
            if (quant.Scale.Length == 1)
            {
                var zero = quant.ZeroPoint.Length > 0 ? quant.ZeroPoint[0] : 0;
                for (var i = 0; i < q.Length; i++)
                {
                    result[i] = quant.Scale[0] * (q[i] - zero);
                }

                return result;
            }

            // Per-axis: the channel of element i along QuantizedDimension.
            var inner = 1;
            for (var d = quant.QuantizedDimension + 1; d < t.Shape.Length; d++)
            {
                inner *= t.Shape[d];
            }

            var channels = t.Shape[quant.QuantizedDimension];
            for (var i = 0; i < q.Length; i++)
            {
                var c = i / inner % channels;
                result[i] = quant.Scale[c] * (q[i] - (quant.ZeroPoint.Length > c ? quant.ZeroPoint[c] : 0));
            }

            return result;
        }

        private void Conv2D()
        {
            var o = Options<Conv2DOptions>();
            var (x, w) = (In(0), In(1));
            var xs = Shape4(x);
            var ws = graph.Tensors[w].Shape; // [O, KH, KW, I]
            if (ws.Length != 4)
            {
                throw Unsupported($"kernel of rank {ws.Length}");
            }

            var (outC, kh, kw, inC) = (ws[0], ws[1], ws[2], ws[3]);
            var kernel = Floats(w);
            var oihw = LastAxisToSecond(kernel, outC, kh, kw, inC);

            var inputs = new List<string> { Input(x, true), _b.AddInitializer(ConstName(w, "oihw"), oihw, outC, inC, kh, kw) };
            AddBias(inputs, outC);
            Emit("Conv", inputs, true, o.Activation,
                OnnxAttribute.Ints("kernel_shape", kh, kw),
                OnnxAttribute.Ints("strides", o.StrideH, o.StrideW),
                OnnxAttribute.Ints("dilations", o.DilationH, o.DilationW),
                OnnxAttribute.Ints("pads", Pads(o.Padding, xs, kh, kw, o.StrideH, o.StrideW, o.DilationH, o.DilationW)),
                OnnxAttribute.Int("group", xs[3] / inC));
        }

        private void DepthwiseConv2D()
        {
            var o = Options<DepthwiseConv2DOptions>();
            var (x, w) = (In(0), In(1));
            var xs = Shape4(x);
            var ws = graph.Tensors[w].Shape; // [1, KH, KW, C * M]
            if (ws.Length != 4 || ws[0] != 1)
            {
                throw Unsupported($"depthwise kernel of shape [{string.Join(",", ws)}]");
            }

            var (kh, kw, outC) = (ws[1], ws[2], ws[3]);
            var kernel = Floats(w);
            var c1hw = new float[kernel.Length];
            for (var y = 0; y < kh; y++)
            {
                for (var xx = 0; xx < kw; xx++)
                {
                    for (var oc = 0; oc < outC; oc++)
                    {
                        c1hw[((oc * kh) + y) * kw + xx] = kernel[((y * kw) + xx) * outC + oc];
                    }
                }
            }

            var inputs = new List<string> { Input(x, true), _b.AddInitializer(ConstName(w, "c1hw"), c1hw, outC, 1, kh, kw) };
            AddBias(inputs, outC);
            Emit("Conv", inputs, true, o.Activation,
                OnnxAttribute.Ints("kernel_shape", kh, kw),
                OnnxAttribute.Ints("strides", o.StrideH, o.StrideW),
                OnnxAttribute.Ints("dilations", o.DilationH, o.DilationW),
                OnnxAttribute.Ints("pads", Pads(o.Padding, xs, kh, kw, o.StrideH, o.StrideW, o.DilationH, o.DilationW)),
                OnnxAttribute.Int("group", xs[3]));
        }

        private void AddBias(List<string> inputs, int outC)
        {
            if (_op.Inputs.Length > 2 && _op.Inputs[2] >= 0)
            {
                var bias = Floats(_op.Inputs[2]);
                if (bias.Length != outC)
                {
                    throw Unsupported($"bias of {bias.Length} values for {outC} channels");
                }

                inputs.Add(_b.AddInitializer(ConstName(_op.Inputs[2], "bias"), bias, outC));
            }
        }

        private void Pool(string onnxOp)
        {
            var o = Options<Pool2DOptions>();
            var x = In(0);
            var xs = Shape4(x);
            var attributes = new List<OnnxAttribute>
            {
                OnnxAttribute.Ints("kernel_shape", o.FilterHeight, o.FilterWidth),
                OnnxAttribute.Ints("strides", o.StrideH, o.StrideW),
                OnnxAttribute.Ints("pads", Pads(o.Padding, xs, o.FilterHeight, o.FilterWidth, o.StrideH, o.StrideW, 1, 1)),
            };
            if (onnxOp == "AveragePool")
            {
                // TFLite averages over the valid pixels only.
                attributes.Add(OnnxAttribute.Int("count_include_pad", 0));
            }

            Emit(onnxOp, [Input(x, true)], true, o.Activation, [.. attributes]);
        }

        private void Elementwise(string onnxOp, TfliteActivation activation)
        {
            var operands = _op.Inputs;
            var runtime = operands.Where(i => !IsConstant(i)).ToArray();
            if (runtime.Length == 0)
            {
                throw Unsupported("all operands constant");
            }

            // NCHW when every run-time operand is 4-D and one already is NCHW; constants follow.
            var nchw = runtime.All(i => graph.Tensors[i].Shape.Length == 4)
                && runtime.Any(i => Layout(i))
                && operands.All(i => graph.Tensors[i].Shape.Length <= 4);
            Emit(onnxOp, operands.Select(i => Input(i, nchw)).ToArray(), nchw, activation);
        }

        private void Unary(TfliteActivation activation)
        {
            var x = In(0);
            var nchw = Layout(x);
            var input = Input(x, nchw);
            Activation(activation, input, Define(Out(), nchw));
        }

        private void UnaryOp(string onnxOp, params OnnxAttribute[] attributes)
        {
            var x = In(0);
            var nchw = Layout(x);
            Emit(onnxOp, [Input(x, nchw)], nchw, TfliteActivation.None, attributes);
        }

        private void Pad()
        {
            var x = In(0);
            var rank = graph.Tensors[x].Shape.Length;
            var paddings = Ints(In(1));
            if (paddings.Length != rank * 2)
            {
                throw Unsupported($"{paddings.Length} padding values for a rank-{rank} tensor");
            }

            var nchw = rank == 4 && Layout(x);
            var pads = new long[rank * 2];
            for (var d = 0; d < rank; d++)
            {
                var source = nchw ? (int)ToNchw[d] : d;
                pads[d] = paddings[source * 2];
                pads[rank + d] = paddings[(source * 2) + 1];
            }

            var inputs = new List<string> { Input(x, nchw), _b.AddInitializer(_b.UniqueName(Name(Out()) + "_pads"), pads, pads.Length) };
            if (_op.OpName == "PADV2" && _op.Inputs.Length > 2 && _op.Inputs[2] >= 0)
            {
                inputs.Add(Scalar(Floats(_op.Inputs[2])[0]));
            }

            Emit("Pad", inputs, nchw, TfliteActivation.None, OnnxAttribute.String("mode", "constant"));
        }

        private void Reshape()
        {
            var x = In(0);
            var shape = Longs(graph.Tensors[Out()].Shape);
            var target = _b.AddInitializer(_b.UniqueName(Name(Out()) + "_shape"), shape, shape.Length);
            Emit("Reshape", [Input(x, false), target], false, TfliteActivation.None);
        }

        private void Concatenation()
        {
            var o = Options<ConcatenationOptions>();
            var rank = graph.Tensors[Out()].Shape.Length;
            var axis = o.Axis < 0 ? o.Axis + rank : o.Axis;
            var runtime = _op.Inputs.Where(i => !IsConstant(i)).ToArray();
            var nchw = rank == 4 && runtime.Any(Layout);
            var onnxAxis = nchw ? Array.IndexOf(ToNchw, (long)axis) : axis;
            Emit("Concat", _op.Inputs.Select(i => Input(i, nchw)).ToArray(), nchw, o.Activation, OnnxAttribute.Int("axis", onnxAxis));
        }

        private void FullyConnected()
        {
            var o = Options<FullyConnectedOptions>();
            var (x, w) = (In(0), In(1));
            var ws = graph.Tensors[w].Shape; // [O, K]
            if (ws.Length != 2)
            {
                throw Unsupported($"weights of rank {ws.Length}");
            }

            var input = Input(x, false);
            if (graph.Tensors[x].Shape.Length != 2)
            {
                var flat = _b.AddInitializer(_b.UniqueName(Name(Out()) + "_in_shape"), new long[] { -1, ws[1] }, 2);
                input = _b.AddNode("Reshape", [input, flat], [_b.UniqueName(Name(Out()) + "_in")]);
            }

            var inputs = new List<string> { input, _b.AddInitializer(ConstName(w, "weights"), Floats(w), ws[0], ws[1]) };
            AddBias(inputs, ws[0]);
            var outShape = graph.Tensors[Out()].Shape;
            if (outShape.Length == 2)
            {
                Emit("Gemm", inputs, false, o.Activation, OnnxAttribute.Int("transB", 1));
                return;
            }

            var gemm = _b.AddNode("Gemm", inputs, [_b.UniqueName(Name(Out()) + "_gemm")], OnnxAttribute.Int("transB", 1));
            var shape = _b.AddInitializer(_b.UniqueName(Name(Out()) + "_shape"), Longs(outShape), outShape.Length);
            Emit("Reshape", [gemm, shape], false, o.Activation);
        }

        private void Softmax()
        {
            var beta = Options<SoftmaxOptions>().Beta;
            var x = Input(In(0), false);
            if (beta != 1f)
            {
                x = _b.AddNode("Mul", [x, Scalar(beta)], [_b.UniqueName(Name(Out()) + "_scaled")]);
            }

            Emit("Softmax", [x], false, TfliteActivation.None, OnnxAttribute.Int("axis", -1));
        }

        /// <summary>
        /// TFLite STRIDED_SLICE as an ONNX Slice (then Squeeze for shrink_axis_mask). begin_mask and
        /// end_mask become open ends; a 4-D value in NCHW is sliced in place along the mapped axes
        /// unless its NHWC form exists already.
        /// </summary>
        private void StridedSlice()
        {
            var o = Options<StridedSliceOptions>();
            if (o.EllipsisMask != 0 || o.NewAxisMask != 0)
            {
                throw Unsupported("ellipsis_mask or new_axis_mask");
            }

            var x = In(0);
            var rank = graph.Tensors[x].Shape.Length;
            var begin = Ints(In(1));
            var end = Ints(In(2));
            var strides = _op.Inputs.Length > 3 && _op.Inputs[3] >= 0 ? Ints(_op.Inputs[3]) : Enumerable.Repeat(1, rank).ToArray();
            if (begin.Length != rank || end.Length != rank || strides.Length != rank)
            {
                throw Unsupported($"begin/end/strides of {begin.Length}/{end.Length}/{strides.Length} values for a rank-{rank} tensor");
            }

            var nchw = rank == 4 && Layout(x) && o.ShrinkAxisMask == 0 && !_layouts.ContainsKey((x, false));
            var (starts, ends, steps, axes, squeeze) = (new long[rank], new long[rank], new long[rank], new long[rank], new List<long>());
            for (var d = 0; d < rank; d++)
            {
                var stride = strides[d];
                if (stride == 0)
                {
                    throw Unsupported($"stride 0 on axis {d}");
                }

                var b = (long)begin[d];
                var e = o.Offset ? b + end[d] : end[d];
                axes[d] = nchw ? Array.IndexOf(ToNchw, (long)d) : d;
                if ((o.ShrinkAxisMask >> d & 1) != 0)
                {
                    if ((o.BeginMask >> d & 1) != 0)
                    {
                        throw Unsupported($"begin_mask with shrink_axis_mask on axis {d}");
                    }

                    // One element at begin (begin -1 is the last).
                    (starts[d], ends[d], steps[d]) = (b, b == -1 ? long.MaxValue : b + 1, 1);
                    squeeze.Add(d);
                    continue;
                }

                starts[d] = (o.BeginMask >> d & 1) != 0 ? (stride > 0 ? 0 : long.MaxValue) : b;
                ends[d] = (o.EndMask >> d & 1) != 0 ? (stride > 0 ? long.MaxValue : long.MinValue) : e;
                steps[d] = stride;
            }

            var prefix = Name(Out());
            var inputs = new[]
            {
                Input(x, nchw),
                _b.AddInitializer(_b.UniqueName(prefix + "_starts"), starts, rank),
                _b.AddInitializer(_b.UniqueName(prefix + "_ends"), ends, rank),
                _b.AddInitializer(_b.UniqueName(prefix + "_axes"), axes, rank),
                _b.AddInitializer(_b.UniqueName(prefix + "_steps"), steps, rank),
            };
            if (squeeze.Count == 0)
            {
                Emit("Slice", inputs, nchw, TfliteActivation.None);
                return;
            }

            var sliced = _b.AddNode("Slice", inputs, [_b.UniqueName(prefix + "_slice")]);
            var squeezeAxes = _b.AddInitializer(_b.UniqueName(prefix + "_squeeze_axes"), squeeze.ToArray(), squeeze.Count);
            Emit("Squeeze", [sliced, squeezeAxes], false, TfliteActivation.None);
        }

        // ---- values and layouts -------------------------------------------------------------

        private int In(int k) => k < _op.Inputs.Length && _op.Inputs[k] >= 0 ? _op.Inputs[k] : throw Unsupported($"input {k} missing");

        private int Out() => _op.Outputs.Length == 1 ? _op.Outputs[0] : throw Unsupported($"{_op.Outputs.Length} outputs");

        private string Name(int tensor) => graph.Tensors[tensor].Name;

        private bool IsConstant(int tensor) => _folded.ContainsKey(tensor) || graph.Tensors[tensor].IsConstant;

        /// <summary>Whether a run-time value currently lives in NCHW.</summary>
        private bool Layout(int tensor) => _values.TryGetValue(tensor, out var v) && v.Nchw;

        private int[] Shape4(int tensor) =>
            graph.Tensors[tensor].Shape is { Length: 4 } s ? s : throw Unsupported($"input '{Name(tensor)}' is not 4-D (NHWC)");

        /// <summary>The name of a value in the requested layout, transposing (once) or materialising a constant.</summary>
        private string Input(int tensor, bool nchw)
        {
            if (_layouts.TryGetValue((tensor, nchw), out var cached))
            {
                return cached;
            }

            string name;
            if (IsConstant(tensor))
            {
                name = ConstantInitializer(tensor, nchw);
            }
            else
            {
                var v = _values.TryGetValue(tensor, out var value)
                    ? value
                    : throw new InvalidOperationException($"Operator #{_opIndex} {_op.OpName} reads '{Name(tensor)}' before it is computed.");
                if (v.Nchw == nchw)
                {
                    return v.Name;
                }

                if (graph.Tensors[tensor].Shape.Length != 4)
                {
                    throw Unsupported($"layout change of the rank-{graph.Tensors[tensor].Shape.Length} tensor '{Name(tensor)}'");
                }

                name = _b.AddNode("Transpose", [v.Name], [_b.UniqueName(Name(tensor) + (nchw ? "_nchw" : "_nhwc"))],
                    OnnxAttribute.Ints("perm", nchw ? ToNchw : ToNhwc));
            }

            _layouts[(tensor, nchw)] = name;
            return name;
        }

        private string ConstantInitializer(int tensor, bool nchw)
        {
            var t = graph.Tensors[tensor];
            if (!_folded.ContainsKey(tensor) && t.Type is TfliteTensorType.Int32 or TfliteTensorType.Int64)
            {
                if (nchw)
                {
                    throw Unsupported($"integer constant '{t.Name}' against an NCHW value");
                }

                return _b.AddInitializer(ConstName(tensor, ""), Ints(tensor).Select(v => (long)v).ToArray(), Longs(t.Shape));
            }

            var data = Floats(tensor);
            if (!nchw)
            {
                return _b.AddInitializer(ConstName(tensor, ""), data, Longs(t.Shape));
            }

            // Broadcast shape against NHWC, padded to rank 4 ([1,1,C] → [1,1,1,C]), then permuted to NCHW.
            var s = new int[4];
            Array.Fill(s, 1);
            t.Shape.CopyTo(s, 4 - t.Shape.Length);
            var (n, h, w, c) = (s[0], s[1], s[2], s[3]);
            var permuted = LastAxisToSecond(data, n, h, w, c);

            return _b.AddInitializer(ConstName(tensor, "nchw"), permuted, n, c, h, w);
        }

        private string ConstName(int tensor, string suffix) =>
            _b.UniqueName(suffix.Length == 0 ? Name(tensor) : $"{Name(tensor)}_{suffix}");

        private float[] Floats(int tensor)
        {
            if (_folded.TryGetValue(tensor, out var folded))
            {
                return folded;
            }

            var t = graph.Tensors[tensor];
            return t.Type switch
            {
                _ when !t.IsConstant => throw Unsupported($"'{t.Name}' must be a constant"),
                TfliteTensorType.Float32 => MemoryMarshal.Cast<byte, float>(t.Data.Span).ToArray(),
                TfliteTensorType.Float16 => MemoryMarshal.Cast<byte, Half>(t.Data.Span).ToArray().Select(h => (float)h).ToArray(),
                _ => throw Unsupported($"constant '{t.Name}' of type {t.Type} where float32 is expected"),
            };
        }

        private int[] Ints(int tensor)
        {
            var t = graph.Tensors[tensor];
            return t.Type switch
            {
                _ when !t.IsConstant => throw Unsupported($"'{t.Name}' must be a constant"),
                TfliteTensorType.Int32 => MemoryMarshal.Cast<byte, int>(t.Data.Span).ToArray(),
                TfliteTensorType.Int64 => MemoryMarshal.Cast<byte, long>(t.Data.Span).ToArray().Select(v => checked((int)v)).ToArray(),
                _ => throw Unsupported($"constant '{t.Name}' of type {t.Type} where int32 is expected"),
            };
        }

        private string Scalar(float value)
        {
            if (!_scalars.TryGetValue(value, out var name))
            {
                name = _b.AddInitializer(_b.UniqueName($"const_{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), [value]);
                _scalars[value] = name;
            }

            return name;
        }

        /// <summary>The ONNX name for an operator's output: the TFLite name, or name_nchw for a graph output kept NCHW.</summary>
        private string Define(int tensor, bool nchw)
        {
            var name = _b.UniqueName(nchw && _graphOutputs.Contains(tensor) ? Name(tensor) + "_nchw" : Name(tensor));
            _values[tensor] = new Value(name, nchw);
            return name;
        }

        private void Emit(string onnxOp, IReadOnlyList<string> inputs, bool nchw, TfliteActivation activation, params OnnxAttribute[] attributes)
        {
            var output = Define(Out(), nchw);
            if (activation == TfliteActivation.None)
            {
                _b.AddNode(onnxOp, inputs, [output], attributes);
                return;
            }

            var pre = _b.AddNode(onnxOp, inputs, [_b.UniqueName(output + "_preact")], attributes);
            Activation(activation, pre, output);
        }

        private void Activation(TfliteActivation activation, string input, string output)
        {
            switch (activation)
            {
                case TfliteActivation.None: _b.AddNode("Identity", [input], [output]); break;
                case TfliteActivation.Relu: _b.AddNode("Relu", [input], [output]); break;
                case TfliteActivation.Relu6: _b.AddNode("Clip", [input, Scalar(0), Scalar(6)], [output]); break;
                case TfliteActivation.ReluN1To1: _b.AddNode("Clip", [input, Scalar(-1), Scalar(1)], [output]); break;
                case TfliteActivation.Tanh: _b.AddNode("Tanh", [input], [output]); break;
                default: throw Unsupported($"fused activation {activation}");
            }
        }

        private T Options<T>()
            where T : TfliteOptions =>
            _op.Options as T ?? throw Unsupported($"missing {typeof(T).Name}");

        private static long[] Pads(TflitePadding padding, int[] nhwc, int kh, int kw, int sh, int sw, int dh, int dw)
        {
            if (padding == TflitePadding.Valid)
            {
                return [0, 0, 0, 0];
            }

            var (top, bottom) = SamePadding(nhwc[1], kh, sh, dh);
            var (left, right) = SamePadding(nhwc[2], kw, sw, dw);
            return [top, left, bottom, right];
        }

        private UnsupportedOperatorException Unsupported(string detail) => new(_op.DisplayName, _opIndex, detail);
    }

    /// <summary>
    /// TFLite/TensorFlow SAME padding along one axis: output = ceil(input / stride); the total
    /// padding is split with the odd pixel at the end.
    /// </summary>
    public static (int Begin, int End) SamePadding(int input, int kernel, int stride, int dilation = 1)
    {
        var effective = ((kernel - 1) * dilation) + 1;
        var output = (input + stride - 1) / stride;
        var total = Math.Max(((output - 1) * stride) + effective - input, 0);
        return (total / 2, total - (total / 2));
    }

    private static long[] Longs(int[] values) => values.Select(v => (long)v).ToArray();

    /// <summary>[A, B, C, D] → [A, D, B, C]: NHWC to NCHW, and OHWI kernels to OIHW.</summary>
    internal static float[] LastAxisToSecond(float[] data, int a, int b, int c, int d)
    {
        var result = new float[data.Length];
        for (var i = 0; i < a; i++)
        {
            for (var y = 0; y < b; y++)
            {
                for (var x = 0; x < c; x++)
                {
                    for (var k = 0; k < d; k++)
                    {
                        result[(((i * d) + k) * b + y) * c + x] = data[(((i * b) + y) * c + x) * d + k];
                    }
                }
            }
        }

        return result;
    }
}
