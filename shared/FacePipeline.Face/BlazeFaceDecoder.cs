namespace FacePipeline.Face;

/// <summary>
/// Decodes BlazeFace's raw outputs into detections, as MediaPipe's
/// <c>TensorsToDetectionsCalculator</c> does for face_detection_short_range: 16 regressor values
/// per anchor (box centre x, y, width, height, then six keypoints x, y; "reverse output order"),
/// offsets divided by the scales (128) and added to the anchor centre, scores through a sigmoid
/// after clipping the logit to +-<see cref="ScoreClippingThreshold"/>, kept from
/// <see cref="MinScore"/> up. Coordinates stay normalised to the model input (the letterboxed
/// tensor).
/// </summary>
public sealed class BlazeFaceDecoder
{
    /// <summary>Values per anchor in the regressor output.</summary>
    public const int CoordsPerAnchor = 16;

    /// <summary>Where the keypoints start within an anchor's regressor values.</summary>
    public const int KeypointOffset = 4;

    public const int KeypointCount = 6;

    private readonly Anchor[] _anchors;

    public BlazeFaceDecoder(
        IReadOnlyList<Anchor> anchors,
        float minScore = 0.5f,
        float scoreClippingThreshold = 100f,
        float xScale = 128f,
        float yScale = 128f,
        float wScale = 128f,
        float hScale = 128f)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        _anchors = [.. anchors];
        MinScore = minScore;
        ScoreClippingThreshold = scoreClippingThreshold;
        XScale = xScale;
        YScale = yScale;
        WScale = wScale;
        HScale = hScale;
    }

    public IReadOnlyList<Anchor> Anchors => _anchors;

    public float MinScore { get; }

    public float ScoreClippingThreshold { get; }

    public float XScale { get; }

    public float YScale { get; }

    public float WScale { get; }

    public float HScale { get; }

    /// <summary>Decodes the outputs of all anchors at once.</summary>
    /// <param name="regressors">anchors x 16 values.</param>
    /// <param name="scores">one logit per anchor.</param>
    public List<NormalizedDetection> Decode(ReadOnlySpan<float> regressors, ReadOnlySpan<float> scores)
    {
        var output = new List<NormalizedDetection>();
        Decode(regressors, scores, 0, output);
        return output;
    }

    /// <summary>
    /// Decodes one block of consecutive anchors (the model splits its outputs into a 512-anchor and
    /// a 384-anchor block) and appends the detections that pass <see cref="MinScore"/>.
    /// </summary>
    /// <param name="regressors">count x 16 values for the anchors from <paramref name="firstAnchor"/> on.</param>
    /// <param name="scores">count logits.</param>
    /// <param name="firstAnchor">Index of the block's first anchor in <see cref="Anchors"/>.</param>
    /// <param name="output">Receives the detections.</param>
    public void Decode(ReadOnlySpan<float> regressors, ReadOnlySpan<float> scores, int firstAnchor, List<NormalizedDetection> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var count = scores.Length;
        if (regressors.Length != count * CoordsPerAnchor)
        {
            throw new ArgumentException($"Expected {count * CoordsPerAnchor} regressor values for {count} scores, got {regressors.Length}.", nameof(regressors));
        }

        if (firstAnchor < 0 || firstAnchor + count > _anchors.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(firstAnchor), $"Anchors {firstAnchor}..{firstAnchor + count} exceed the {_anchors.Length} anchors.");
        }

        for (var i = 0; i < count; i++)
        {
            var score = Score(scores[i]);
            if (score < MinScore)
            {
                continue;
            }

            var detection = DecodeOne(regressors.Slice(i * CoordsPerAnchor, CoordsPerAnchor), _anchors[firstAnchor + i], score);
            if (detection is not null)
            {
                output.Add(detection);
            }
        }
    }

    /// <summary>The score of one logit: clipped to +-threshold, then sigmoid.</summary>
    public float Score(float logit)
    {
        var clipped = Math.Clamp(logit, -ScoreClippingThreshold, ScoreClippingThreshold);
        return 1f / (1f + MathF.Exp(-clipped));
    }

    private NormalizedDetection? DecodeOne(ReadOnlySpan<float> raw, Anchor anchor, float score)
    {
        var xCenter = (raw[0] / XScale * anchor.Width) + anchor.XCenter;
        var yCenter = (raw[1] / YScale * anchor.Height) + anchor.YCenter;
        var w = raw[2] / WScale * anchor.Width;
        var h = raw[3] / HScale * anchor.Height;

        // Boxes of negative size are model noise; MediaPipe drops them as well.
        if (w < 0f || h < 0f)
        {
            return null;
        }

        var keypoints = new NormalizedPoint[KeypointCount];
        for (var k = 0; k < KeypointCount; k++)
        {
            var o = KeypointOffset + (2 * k);
            keypoints[k] = new NormalizedPoint(
                (raw[o] / XScale * anchor.Width) + anchor.XCenter,
                (raw[o + 1] / YScale * anchor.Height) + anchor.YCenter);
        }

        return new NormalizedDetection(xCenter - (w / 2f), yCenter - (h / 2f), w, h, keypoints, score);
    }
}
