namespace FacePipeline.Face;

/// <summary>
/// Maps a full RGB24 frame into the detector's square input the way MediaPipe's
/// <c>ImageToTensorCalculator</c> does with <c>keep_aspect_ratio: true</c> and
/// <c>BORDER_ZERO</c>: the frame is scaled to fit, centred, the rest is padding (value -1 after
/// normalisation), every output pixel is one bilinear sample at its centre (edge pixels
/// clamped, no area averaging), and values go from [0, 255] to [-1, 1]. The inverse
/// (<see cref="ToImage(NormalizedDetection)"/>) is MediaPipe's
/// <c>DetectionLetterboxRemovalCalculator</c> followed by scaling to pixels.
/// </summary>
/// <remarks>
/// An instance is built for one frame size and precomputes its sampling tables, so
/// <see cref="Apply"/> allocates nothing. Instances are immutable and may be shared between threads.
/// </remarks>
public sealed class LetterboxTransform
{
    /// <summary>The value of padding pixels in the output tensor.</summary>
    public const float PaddingValue = -1f;

    private const float ValueScale = 2f / 255f;

    // Per output column/row: offsets of the two source samples, the weight of the second, and
    // whether the sample lies inside the frame at all.
    private readonly int[] _x0;
    private readonly int[] _x1;
    private readonly float[] _fx;
    private readonly bool[] _xInside;
    private readonly int[] _y0;
    private readonly int[] _y1;
    private readonly float[] _fy;
    private readonly bool[] _yInside;

    public LetterboxTransform(int imageWidth, int imageHeight, int tensorWidth = 128, int tensorHeight = 128)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tensorWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tensorHeight);
        ImageWidth = imageWidth;
        ImageHeight = imageHeight;
        TensorWidth = tensorWidth;
        TensorHeight = tensorHeight;

        // MediaPipe's PadRoi: grow the full-frame ROI to the tensor's aspect ratio.
        var tensorAspect = (float)tensorHeight / tensorWidth;
        var imageAspect = (float)imageHeight / imageWidth;
        float horizontal = 0f, vertical = 0f;
        if (tensorAspect > imageAspect)
        {
            RoiWidth = imageWidth;
            RoiHeight = imageWidth * tensorAspect;
            vertical = (1f - (imageAspect / tensorAspect)) / 2f;
        }
        else
        {
            RoiWidth = imageHeight / tensorAspect;
            RoiHeight = imageHeight;
            horizontal = (1f - (tensorAspect / imageAspect)) / 2f;
        }

        PaddingLeft = PaddingRight = horizontal;
        PaddingTop = PaddingBottom = vertical;

        (_x0, _x1, _fx, _xInside) = BuildAxis(tensorWidth, imageWidth, RoiWidth, 3);
        (_y0, _y1, _fy, _yInside) = BuildAxis(tensorHeight, imageHeight, RoiHeight, imageWidth * 3);
    }

    public int ImageWidth { get; }

    public int ImageHeight { get; }

    public int TensorWidth { get; }

    public int TensorHeight { get; }

    /// <summary>Width of the region of the frame (in pixels, padding included) that the tensor covers.</summary>
    public float RoiWidth { get; }

    /// <summary>Height of the region of the frame (in pixels, padding included) that the tensor covers.</summary>
    public float RoiHeight { get; }

    /// <summary>Padding as fractions of the tensor width/height (MediaPipe's LETTERBOX_PADDING).</summary>
    public float PaddingLeft { get; }

    public float PaddingTop { get; }

    public float PaddingRight { get; }

    public float PaddingBottom { get; }

    /// <summary>Number of floats of one NHWC tensor (height x width x 3).</summary>
    public int TensorLength => TensorWidth * TensorHeight * 3;

    /// <summary>True for a transform of the given frame and tensor size.</summary>
    public bool Matches(int imageWidth, int imageHeight, int tensorWidth, int tensorHeight) =>
        imageWidth == ImageWidth && imageHeight == ImageHeight && tensorWidth == TensorWidth && tensorHeight == TensorHeight;

    /// <summary>Fills <paramref name="tensor"/> (NHWC, [-1, 1]) from a packed RGB24 frame (stride = width x 3).</summary>
    public void Apply(ReadOnlySpan<byte> rgb24, Span<float> tensor)
    {
        var frameBytes = ImageWidth * ImageHeight * 3;
        if (rgb24.Length < frameBytes)
        {
            throw new ArgumentException($"Expected {frameBytes} bytes for a {ImageWidth}x{ImageHeight} RGB24 frame, got {rgb24.Length}.", nameof(rgb24));
        }

        if (tensor.Length < TensorLength)
        {
            throw new ArgumentException($"The tensor needs {TensorLength} floats, got {tensor.Length}.", nameof(tensor));
        }

        var xs0 = _x0.AsSpan();
        var xs1 = _x1.AsSpan(0, xs0.Length);
        var fxs = _fx.AsSpan(0, xs0.Length);
        var inside = _xInside.AsSpan(0, xs0.Length);
        var rowLength = TensorWidth * 3;
        for (var y = 0; y < TensorHeight; y++)
        {
            var outRow = tensor.Slice(y * rowLength, rowLength);
            if (!_yInside[y])
            {
                outRow.Fill(PaddingValue);
                continue;
            }

            var rowA = rgb24.Slice(_y0[y], ImageWidth * 3);
            var rowB = rgb24.Slice(_y1[y], ImageWidth * 3);
            var fy = _fy[y];
            for (var x = 0; x < xs0.Length; x++)
            {
                var o = x * 3;
                if (!inside[x])
                {
                    outRow[o] = PaddingValue;
                    outRow[o + 1] = PaddingValue;
                    outRow[o + 2] = PaddingValue;
                    continue;
                }

                var a = xs0[x];
                var b = xs1[x];
                var fx = fxs[x];
                float r00 = rowA[a], g00 = rowA[a + 1], b00 = rowA[a + 2];
                float r01 = rowA[b], g01 = rowA[b + 1], b01 = rowA[b + 2];
                float r10 = rowB[a], g10 = rowB[a + 1], b10 = rowB[a + 2];
                float r11 = rowB[b], g11 = rowB[b + 1], b11 = rowB[b + 2];
                var rTop = r00 + ((r01 - r00) * fx);
                var gTop = g00 + ((g01 - g00) * fx);
                var bTop = b00 + ((b01 - b00) * fx);
                var rBottom = r10 + ((r11 - r10) * fx);
                var gBottom = g10 + ((g11 - g10) * fx);
                var bBottom = b10 + ((b11 - b10) * fx);
                outRow[o] = ((rTop + ((rBottom - rTop) * fy)) * ValueScale) - 1f;
                outRow[o + 1] = ((gTop + ((gBottom - gTop) * fy)) * ValueScale) - 1f;
                outRow[o + 2] = ((bTop + ((bBottom - bTop) * fy)) * ValueScale) - 1f;
            }
        }
    }

    /// <summary>A point normalised to the tensor ([0, 1] across it) to image pixels.</summary>
    public PixelPoint ToImage(float tensorX, float tensorY) =>
        new(
            (tensorX - PaddingLeft) / (1f - PaddingLeft - PaddingRight) * ImageWidth,
            (tensorY - PaddingTop) / (1f - PaddingTop - PaddingBottom) * ImageHeight);

    /// <summary>A point in image pixels to coordinates normalised to the tensor.</summary>
    public NormalizedPoint ToTensor(PixelPoint point) =>
        new(
            (point.X / ImageWidth * (1f - PaddingLeft - PaddingRight)) + PaddingLeft,
            (point.Y / ImageHeight * (1f - PaddingTop - PaddingBottom)) + PaddingTop);

    /// <summary>A detection normalised to the tensor to a detection in image pixels.</summary>
    public FaceDetection ToImage(NormalizedDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var topLeft = ToImage(detection.XMin, detection.YMin);
        var bottomRight = ToImage(detection.XMax, detection.YMax);
        var keypoints = new PixelPoint[detection.Keypoints.Count];
        for (var i = 0; i < keypoints.Length; i++)
        {
            keypoints[i] = ToImage(detection.Keypoints[i].X, detection.Keypoints[i].Y);
        }

        return new FaceDetection(
            new PixelBox(topLeft.X, topLeft.Y, bottomRight.X - topLeft.X, bottomRight.Y - topLeft.Y),
            keypoints,
            detection.Score);
    }

    private static (int[] First, int[] Second, float[] Weight, bool[] Inside) BuildAxis(int outputSize, int imageSize, float roiSize, int step)
    {
        var first = new int[outputSize];
        var second = new int[outputSize];
        var weight = new float[outputSize];
        var inside = new bool[outputSize];
        var centre = imageSize / 2f;
        for (var i = 0; i < outputSize; i++)
        {
            // Texture-style sampling: the output pixel centre, mapped into the frame, where frame
            // pixel k covers [k, k + 1) and has its centre at k + 0.5.
            var u = (i + 0.5f) / outputSize;
            var position = centre + ((u - 0.5f) * roiSize);
            inside[i] = position >= 0f && position <= imageSize;
            var sample = position - 0.5f;
            var floor = MathF.Floor(sample);
            weight[i] = sample - floor;
            var k = (int)floor;
            first[i] = Math.Clamp(k, 0, imageSize - 1) * step;
            second[i] = Math.Clamp(k + 1, 0, imageSize - 1) * step;
        }

        return (first, second, weight, inside);
    }
}
