using FacePipeline.ModelImport.Tflite;
using FacePipeline.Onnx;

namespace FacePipeline.ModelImport.Conversion;

/// <summary>
/// MediaPipe's custom TFLite operators (mediapipe/util/tflite/operations, used by
/// face_landmark_with_attention.tflite) as subgraphs of plain opset-13 ONNX operators. Each
/// computes what MediaPipe's CPU kernel computes, in the same order where it matters; the
/// operators' batch is 1, as MediaPipe's kernels assume.
/// </summary>
public static partial class TfliteToOnnx
{
    private sealed partial class Session
    {
        private void Custom()
        {
            switch (_op.CustomCode)
            {
                case CustomOptionsReader.Landmarks2TransformMatrix: Landmarks2TransformMatrix(); break;
                case CustomOptionsReader.TransformTensorBilinear: TransformTensorBilinear(); break;
                case CustomOptionsReader.TransformLandmarks: TransformLandmarks(); break;
                default: throw Unsupported("");
            }
        }

        /// <summary>
        /// Landmarks2TransformMatrix v2: landmarks [1, N, 3] in, a 4x4 matrix [1, 4, 4] out that maps
        /// a point (u, v) of an output_width x output_height crop to the landmarks' space.
        /// <list type="bullet">
        /// <item>rotation r = target - atan2(dy, dx) of the line left→right landmark; cos r and sin r
        /// come straight from (dx, dy) / |(dx, dy)| and the constant target (ONNX has no atan2);</item>
        /// <item>the subset's points rotated by r give an axis-aligned box: its size and its
        /// centre, rotated back by -r;</item>
        /// <item>matrix = shift(centre) · rotate(-r) · scale(scale_x · width / output_width,
        /// scale_y · height / output_height) · shift(-output_width / 2, -output_height / 2).</item>
        /// </list>
        /// </summary>
        private void Landmarks2TransformMatrix()
        {
            RequireVersion(2);
            var o = Options<Landmarks2TransformMatrixOptions>();
            var l = In(0);
            var shape = graph.Tensors[l].Shape;
            if (shape.Length != 3 || shape[0] != 1 || shape[2] < 2)
            {
                throw Unsupported($"landmarks of shape [{string.Join(",", shape)}] (expected [1, N, 2 or 3])");
            }

            var n = shape[1];
            if (o.SubsetIdxs.Length == 0 || o.SubsetIdxs.Append(o.LeftRotationIdx).Append(o.RightRotationIdx).Any(i => i < 0 || i >= n))
            {
                throw Unsupported($"landmark indices outside [0, {n}) or an empty subset");
            }

            if (o.OutputWidth <= 0 || o.OutputHeight <= 0 || !(o.ScaleX > 0) || !(o.ScaleY > 0))
            {
                throw Unsupported($"output {o.OutputWidth}x{o.OutputHeight}, scale {o.ScaleX}x{o.ScaleY}");
            }

            var xy = SliceAxis(Input(l, false), 2, 0, 2, "xy"); // [1, N, 2]

            // Rotation from the line between the two rotation landmarks.
            var ends = Node("Gather", "rotation_points", [xy, Longs1("rotation_idx", o.LeftRotationIdx, o.RightRotationIdx)], OnnxAttribute.Int("axis", 1));
            var d = Node("Sub", "d", SliceAxis(ends, 1, 1, 2, "right"), SliceAxis(ends, 1, 0, 1, "left")); // [1, 1, 2]
            var dx = SliceAxis(d, 2, 0, 1, "dx");
            var dy = SliceAxis(d, 2, 1, 2, "dy");
            var length = Node("Sqrt", "length", Node("Add", "length2", Node("Mul", "dx2", dx, dx), Node("Mul", "dy2", dy, dy)));

            // atan2(0, 0) = 0: a zero-length line counts as (1, 0).
            var degenerate = Node("Cast", "degenerate", [Node("Equal", "is_zero", length, Scalar(0))], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
            var denominator = Node("Add", "denominator", length, degenerate);
            var cosTheta = Node("Div", "cos_theta", Node("Add", "dx_or_1", dx, degenerate), denominator);
            var sinTheta = Node("Div", "sin_theta", dy, denominator);

            // r = target - theta.
            var (cosTarget, sinTarget) = ((float)Math.Cos(o.TargetRotationRadians), (float)Math.Sin(o.TargetRotationRadians));
            var c = Node("Add", "cos_r", Node("Mul", "cos_a", cosTheta, Scalar(cosTarget)), Node("Mul", "cos_b", sinTheta, Scalar(sinTarget)));
            var s = Node("Sub", "sin_r", Node("Mul", "sin_a", cosTheta, Scalar(sinTarget)), Node("Mul", "sin_b", sinTheta, Scalar(cosTarget)));

            // The subset rotated by r: its box.
            var points = Node("Gather", "subset", [xy, Longs1("subset_idx", o.SubsetIdxs.Select(i => (long)i).ToArray())], OnnxAttribute.Int("axis", 1));
            var px = SliceAxis(points, 2, 0, 1, "px");
            var py = SliceAxis(points, 2, 1, 2, "py");
            var rx = Node("Sub", "rx", Node("Mul", "c_px", c, px), Node("Mul", "s_py", s, py));
            var ry = Node("Add", "ry", Node("Mul", "s_px", s, px), Node("Mul", "c_py", c, py));
            var keep = new[] { OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 1) };
            var minX = Node("ReduceMin", "min_x", [rx], keep);
            var maxX = Node("ReduceMax", "max_x", [rx], keep);
            var minY = Node("ReduceMin", "min_y", [ry], keep);
            var maxY = Node("ReduceMax", "max_y", [ry], keep);
            var width = Node("Sub", "box_width", maxX, minX);
            var height = Node("Sub", "box_height", maxY, minY);
            var midX = Node("Div", "mid_x", Node("Add", "sum_x", minX, maxX), Scalar(2));
            var midY = Node("Div", "mid_y", Node("Add", "sum_y", minY, maxY), Scalar(2));

            // The box centre rotated back by -r: [[c, s], [-s, c]].
            var cx = Node("Add", "centre_x", Node("Mul", "c_mx", c, midX), Node("Mul", "s_my", s, midY));
            var cy = Node("Sub", "centre_y", Node("Mul", "c_my", c, midY), Node("Mul", "s_mx", s, midX));

            var sx = Node("Div", "scale_x", Node("Mul", "scaled_width", width, Scalar(o.ScaleX)), Scalar(o.OutputWidth));
            var sy = Node("Div", "scale_y", Node("Mul", "scaled_height", height, Scalar(o.ScaleY)), Scalar(o.OutputHeight));

            // shift(centre) · rotate(-r) · scale: the 2x2 part and the translation after shift(-size / 2).
            var a00 = Node("Mul", "m00", c, sx);
            var a01 = Node("Mul", "m01", s, sy);
            var a10 = Node("Neg", "m10", Node("Mul", "s_sx", s, sx));
            var a11 = Node("Mul", "m11", c, sy);
            var (shiftX, shiftY) = (Scalar(-(o.OutputWidth / 2f)), Scalar(-(o.OutputHeight / 2f)));
            var t0 = Node("Add", "m03", Node("Add", "m03_linear", Node("Mul", "m00_shift", a00, shiftX), Node("Mul", "m01_shift", a01, shiftY)), cx);
            var t1 = Node("Add", "m13", Node("Add", "m13_linear", Node("Mul", "m10_shift", a10, shiftX), Node("Mul", "m11_shift", a11, shiftY)), cy);

            var zero = _b.AddInitializer(Tmp("zero"), [0f], 1, 1, 1);
            var one = _b.AddInitializer(Tmp("one"), [1f], 1, 1, 1);
            var flat = Node("Concat", "flat", [a00, a01, zero, t0, a10, a11, zero, t1, zero, zero, one, zero, zero, zero, zero, one], OnnxAttribute.Int("axis", 2));
            Emit("Reshape", [flat, LongsN("shape", [1, 4, 4], 3)], false, TfliteActivation.None);
        }

        /// <summary>
        /// TransformTensorBilinear: out[v, u, c] = bilinear sample of the NHWC input at the first two
        /// rows of the matrix applied to (u, v, 0, 1), zero where that point lies outside
        /// [0, W-1] x [0, H-1]. Version 2 first applies MediaPipe's align-corners correction
        /// T → S · (T · A) (A shifts by +0.5, S by -0.5: pixel centres). The sampling is a Gather
        /// of the four neighbours from the [C, H·W] view of the NCHW value and their weights.
        /// </summary>
        private void TransformTensorBilinear()
        {
            if (_op.Version is not (1 or 2))
            {
                throw Unsupported($"version {_op.Version}");
            }

            var o = Options<TransformTensorBilinearOptions>();
            var (x, m) = (In(0), In(1));
            var xs = Shape4(x);
            var (h, w, channels) = (xs[1], xs[2], xs[3]);
            var (oh, ow) = (o.OutputHeight, o.OutputWidth);
            if (xs[0] != 1 || graph.Tensors[m].ElementCount != 16 || oh <= 0 || ow <= 0)
            {
                throw Unsupported($"input [{string.Join(",", xs)}], matrix of {graph.Tensors[m].ElementCount} values, output {oh}x{ow} (expected batch 1 and a 4x4 matrix)");
            }

            if (graph.Tensors[Out()].Shape is var outShape && !outShape.SequenceEqual([1, oh, ow, channels]))
            {
                throw Unsupported($"output shape [{string.Join(",", outShape)}] is not [1,{oh},{ow},{channels}]");
            }

            // Output pixel coordinates (u, v, 0, 1), row by row.
            var count = oh * ow;
            var coords = new float[count * 4];
            for (var v = 0; v < oh; v++)
            {
                for (var u = 0; u < ow; u++)
                {
                    var k = ((v * ow) + u) * 4;
                    (coords[k], coords[k + 1], coords[k + 2], coords[k + 3]) = (u, v, 0, 1);
                }
            }

            var matrix = Node("Reshape", "matrix", Input(m, false), LongsN("matrix_shape", [4, 4], 2));
            var rows = SliceAxis(matrix, 0, 0, 2, "rows"); // [2, 4]
            if (o.AlignCorners)
            {
                var a = _b.AddInitializer(Tmp("align_a"), [1, 0, 0, 0.5f, 0, 1, 0, 0.5f, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4);
                var sub = _b.AddInitializer(Tmp("align_s"), [0, 0, 0, 0.5f, 0, 0, 0, 0.5f], 2, 4);
                rows = Node("Sub", "rows_aligned", Node("MatMul", "rows_a", rows, a), sub);
            }

            var grid = _b.AddInitializer(Tmp("grid"), coords, count, 4);
            var source = Node("Gemm", "source", [grid, rows], OnnxAttribute.Int("transB", 1)); // [P, 2]
            var flatShape = LongsN("points", [count], 1);
            var tx = Node("Reshape", "tx", SliceAxis(source, 1, 0, 1, "tx_col"), flatShape);
            var ty = Node("Reshape", "ty", SliceAxis(source, 1, 1, 2, "ty_col"), flatShape);

            var inside = Node("And", "inside",
                Node("And", "inside_x", Node("GreaterOrEqual", "x_ge0", tx, Scalar(0)), Node("LessOrEqual", "x_le", tx, Scalar(w - 1))),
                Node("And", "inside_y", Node("GreaterOrEqual", "y_ge0", ty, Scalar(0)), Node("LessOrEqual", "y_le", ty, Scalar(h - 1))));
            var valid = Node("Cast", "valid", [inside], OnnxAttribute.Int("to", (long)OnnxElementType.Float));

            var x0 = Node("Floor", "x0", tx);
            var y0 = Node("Floor", "y0", ty);
            var right = Node("Sub", "right", tx, x0);  // weight of the right column
            var lower = Node("Sub", "lower", ty, y0);  // weight of the lower row
            var left = Node("Sub", "left", Scalar(1), right);
            var upper = Node("Sub", "upper", Scalar(1), lower);

            // Neighbours clamped into the tensor: inside, only a neighbour of weight 0 is ever
            // clamped; outside, the valid mask zeroes the result.
            var x0c = Node("Clip", "x0c", x0, Scalar(0), Scalar(w - 1));
            var x1c = Node("Clip", "x1c", Node("Add", "x1", x0, Scalar(1)), Scalar(0), Scalar(w - 1));
            var y0c = Node("Clip", "y0c", y0, Scalar(0), Scalar(h - 1));
            var y1c = Node("Clip", "y1c", Node("Add", "y1", y0, Scalar(1)), Scalar(0), Scalar(h - 1));
            var row0 = Node("Mul", "row0", y0c, Scalar(w));
            var row1 = Node("Mul", "row1", y1c, Scalar(w));

            var data = Node("Reshape", "data", Input(x, true), LongsN("data_shape", [channels, h * w], 2)); // [C, H*W]
            string Sample(string rowOffset, string column, string label)
            {
                var index = Node("Cast", label + "_index", [Node("Add", label + "_flat", rowOffset, column)], OnnxAttribute.Int("to", (long)OnnxElementType.Int64));
                return Node("Gather", label, [data, index], OnnxAttribute.Int("axis", 1)); // [C, P]
            }

            var q11 = Sample(row0, x0c, "q11");
            var q21 = Sample(row0, x1c, "q21");
            var q12 = Sample(row1, x0c, "q12");
            var q22 = Sample(row1, x1c, "q22");
            var top = Node("Add", "top", Node("Mul", "q11_w", left, q11), Node("Mul", "q21_w", right, q21));
            var bottom = Node("Add", "bottom", Node("Mul", "q12_w", left, q12), Node("Mul", "q22_w", right, q22));
            var blended = Node("Add", "blended", Node("Mul", "bottom_w", lower, bottom), Node("Mul", "top_w", upper, top));
            var masked = Node("Mul", "masked", blended, valid);
            Emit("Reshape", [masked, LongsN("out_shape", [1, channels, oh, ow], 4)], true, TfliteActivation.None);
        }

        /// <summary>
        /// TransformLandmarks v2: landmarks [1, N, D] (D = 2 or 3) through the first two rows of a
        /// 4x4 matrix: (x, y) → (m00 x + m01 y + m03, m10 x + m11 y + m13); z passes unchanged.
        /// A MatMul with the 2x2 part (gathered transposed) plus the translation.
        /// </summary>
        private void TransformLandmarks()
        {
            RequireVersion(2);
            var (l, m) = (In(0), In(1));
            var shape = graph.Tensors[l].Shape;
            if (shape.Length != 3 || shape[0] != 1 || shape[2] is not (2 or 3) || graph.Tensors[m].ElementCount != 16)
            {
                throw Unsupported($"landmarks of shape [{string.Join(",", shape)}] and a matrix of {graph.Tensors[m].ElementCount} values (expected [1, N, 2 or 3] and 4x4)");
            }

            // Row-major 4x4: [[m00, m10], [m01, m11]] (the 2x2 part transposed) and [m03, m13].
            var matrix = Node("Reshape", "matrix", Input(m, false), LongsN("matrix_shape", [16], 1));
            var linearT = Node("Reshape", "linear_t",
                Node("Gather", "linear", [matrix, Longs1("linear_idx", 0, 4, 1, 5)], OnnxAttribute.Int("axis", 0)),
                LongsN("linear_shape", [2, 2], 2));
            var shift = Node("Gather", "shift", [matrix, Longs1("shift_idx", 3, 7)], OnnxAttribute.Int("axis", 0));
            var landmarks = Input(l, false);
            var xy = shape[2] == 2 ? landmarks : SliceAxis(landmarks, 2, 0, 2, "xy");
            if (shape[2] == 2)
            {
                Emit("Add", [Node("MatMul", "linear_xy", xy, linearT), shift], false, TfliteActivation.None);
                return;
            }

            var moved = Node("Add", "moved", Node("MatMul", "linear_xy", xy, linearT), shift);
            Emit("Concat", [moved, SliceAxis(landmarks, 2, 2, 3, "z")], false, TfliteActivation.None, OnnxAttribute.Int("axis", 2));
        }

        private void RequireVersion(int version)
        {
            if (_op.Version != version)
            {
                throw Unsupported($"version {_op.Version} (the converter knows version {version})");
            }
        }

        // ---- small builders for the subgraphs ---------------------------------------------

        private string Tmp(string suffix) => _b.UniqueName($"{Name(Out())}/{suffix}");

        private string Node(string op, string suffix, params string[] inputs) => _b.AddNode(op, inputs, [Tmp(suffix)]);

        private string Node(string op, string suffix, string[] inputs, params OnnxAttribute[] attributes) =>
            _b.AddNode(op, inputs, [Tmp(suffix)], attributes);

        private string Longs1(string suffix, params long[] values) => _b.AddInitializer(Tmp(suffix), values, values.Length);

        private string LongsN(string suffix, long[] values, int length) => _b.AddInitializer(Tmp(suffix), values, length);

        /// <summary>Elements [start, end) of one axis.</summary>
        private string SliceAxis(string input, int axis, long start, long end, string suffix) =>
            Node("Slice", suffix, input, Longs1(suffix + "_start", start), Longs1(suffix + "_end", end), Longs1(suffix + "_axis", axis));
    }
}
