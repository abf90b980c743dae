namespace FacePipeline.Face;

/// <summary>An SSD anchor: centre and size in normalised coordinates of the model input.</summary>
public readonly record struct Anchor(float XCenter, float YCenter, float Width, float Height);

/// <summary>The options of MediaPipe's <c>SsdAnchorsCalculator</c> that BlazeFace uses.</summary>
public sealed record SsdAnchorOptions
{
    public int InputWidth { get; init; } = 128;

    public int InputHeight { get; init; } = 128;

    public float MinScale { get; init; } = 0.1484375f;

    public float MaxScale { get; init; } = 0.75f;

    public float AnchorOffsetX { get; init; } = 0.5f;

    public float AnchorOffsetY { get; init; } = 0.5f;

    public IReadOnlyList<int> Strides { get; init; } = [8, 16, 16, 16];

    public IReadOnlyList<float> AspectRatios { get; init; } = [1.0f];

    /// <summary>Adds one anchor per layer of scale sqrt(scale * next scale) with this aspect ratio; 0 = none.</summary>
    public float InterpolatedScaleAspectRatio { get; init; } = 1.0f;

    public bool FixedAnchorSize { get; init; } = true;

    /// <summary>MediaPipe's face_detection_short_range settings (num_layers 4, 896 anchors).</summary>
    public static SsdAnchorOptions FaceDetectionShortRange { get; } = new();
}

/// <summary>
/// Generates SSD anchors the way MediaPipe's <c>SsdAnchorsCalculator</c> does: layers sharing a
/// stride are merged into one feature map, cells are visited row by row, and each cell holds one
/// anchor per (aspect ratio, scale) pair of its layers.
/// </summary>
public static class SsdAnchors
{
    private static readonly Lazy<Anchor[]> ShortRange = new(() => Generate(SsdAnchorOptions.FaceDetectionShortRange));

    /// <summary>The 896 anchors of face_detection_short_range (cached, shared).</summary>
    public static IReadOnlyList<Anchor> FaceDetectionShortRange => ShortRange.Value;

    public static Anchor[] Generate(SsdAnchorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var strides = options.Strides;
        if (strides.Count == 0)
        {
            throw new ArgumentException("At least one stride is needed.", nameof(options));
        }

        var anchors = new List<Anchor>();
        var layerId = 0;
        while (layerId < strides.Count)
        {
            var scales = new List<float>();
            var ratios = new List<float>();

            // All consecutive layers with the same stride share one feature map.
            var last = layerId;
            while (last < strides.Count && strides[last] == strides[layerId])
            {
                var scale = CalculateScale(options.MinScale, options.MaxScale, last, strides.Count);
                foreach (var ratio in options.AspectRatios)
                {
                    ratios.Add(ratio);
                    scales.Add(scale);
                }

                if (options.InterpolatedScaleAspectRatio > 0f)
                {
                    var next = last == strides.Count - 1
                        ? 1.0f
                        : CalculateScale(options.MinScale, options.MaxScale, last + 1, strides.Count);
                    scales.Add(MathF.Sqrt(scale * next));
                    ratios.Add(options.InterpolatedScaleAspectRatio);
                }

                last++;
            }

            var stride = strides[layerId];
            var mapHeight = (int)Math.Ceiling((double)options.InputHeight / stride);
            var mapWidth = (int)Math.Ceiling((double)options.InputWidth / stride);
            for (var y = 0; y < mapHeight; y++)
            {
                for (var x = 0; x < mapWidth; x++)
                {
                    for (var i = 0; i < scales.Count; i++)
                    {
                        var xCenter = (x + options.AnchorOffsetX) / mapWidth;
                        var yCenter = (y + options.AnchorOffsetY) / mapHeight;
                        if (options.FixedAnchorSize)
                        {
                            anchors.Add(new Anchor(xCenter, yCenter, 1f, 1f));
                        }
                        else
                        {
                            var ratioSqrt = MathF.Sqrt(ratios[i]);
                            anchors.Add(new Anchor(xCenter, yCenter, scales[i] * ratioSqrt, scales[i] / ratioSqrt));
                        }
                    }
                }
            }

            layerId = last;
        }

        return [.. anchors];
    }

    /// <summary>
    /// Anchor counts of the feature maps in output order (layers sharing a stride form one map):
    /// [512, 384] for face_detection_short_range. Models may emit one output block per map.
    /// </summary>
    public static int[] FeatureMapSizes(SsdAnchorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sizes = new List<int>();
        var strides = options.Strides;
        var layerId = 0;
        while (layerId < strides.Count)
        {
            var perCell = 0;
            var last = layerId;
            while (last < strides.Count && strides[last] == strides[layerId])
            {
                perCell += options.AspectRatios.Count + (options.InterpolatedScaleAspectRatio > 0f ? 1 : 0);
                last++;
            }

            var stride = strides[layerId];
            var cells = (int)Math.Ceiling((double)options.InputHeight / stride) * (int)Math.Ceiling((double)options.InputWidth / stride);
            sizes.Add(cells * perCell);
            layerId = last;
        }

        return [.. sizes];
    }

    /// <summary>MediaPipe's linear scale between min and max over the stride layers.</summary>
    public static float CalculateScale(float minScale, float maxScale, int strideIndex, int numStrides) =>
        numStrides == 1
            ? (minScale + maxScale) * 0.5f
            : minScale + ((maxScale - minScale) * strideIndex / (numStrides - 1f));
}
