namespace FacePipeline.Face.Tests;

[Trait("Lane", "Fast")]
public class BlazeFaceDecoderTests
{
    private static readonly BlazeFaceDecoder Decoder = new(SsdAnchors.FaceDetectionShortRange);

    [Fact]
    public void ScoreIsASigmoidOfTheClippedLogit()
    {
        Assert.Equal(0.5f, Decoder.Score(0f));
        Assert.Equal(1f / (1f + MathF.Exp(-2f)), Decoder.Score(2f));
        Assert.Equal(1f, Decoder.Score(1e6f));
        Assert.Equal(0f, Decoder.Score(-1e6f));
        Assert.Equal(Decoder.Score(100f), Decoder.Score(float.PositiveInfinity));
    }

    [Fact]
    public void DecodesOffsetsRelativeToTheAnchorScaledBy128()
    {
        var regressors = new float[896 * 16];
        var scores = Enumerable.Repeat(-10f, 896).ToArray();
        const int anchor = 518; // centre (1.5/8, 0.5/8)
        scores[anchor] = 2f;
        var raw = regressors.AsSpan(anchor * 16, 16);
        raw[0] = 12.8f;  // x centre +0.1
        raw[1] = -6.4f;  // y centre -0.05
        raw[2] = 25.6f;  // width 0.2
        raw[3] = 38.4f;  // height 0.3
        raw[4] = 1.28f;  // keypoint 0 x +0.01
        raw[15] = 128f;  // keypoint 5 y +1

        var detection = Assert.Single(Decoder.Decode(regressors, scores));

        Assert.Equal(0.1875f + 0.1f - 0.1f, detection.XMin, 5);
        Assert.Equal(0.0625f - 0.05f - 0.15f, detection.YMin, 5);
        Assert.Equal(0.2f, detection.Width, 5);
        Assert.Equal(0.3f, detection.Height, 5);
        Assert.Equal(6, detection.Keypoints.Count);
        Assert.Equal(0.1975f, detection.Keypoints[0].X, 5);
        Assert.Equal(0.0625f, detection.Keypoints[0].Y, 5);
        Assert.Equal(1.0625f, detection.Keypoints[5].Y, 5);
        Assert.Equal(1f / (1f + MathF.Exp(-2f)), detection.Score);
    }

    [Fact]
    public void KeepsScoresFromTheThresholdUpAndDropsNegativeSizes()
    {
        var regressors = new float[896 * 16];
        var scores = Enumerable.Repeat(-10f, 896).ToArray();
        scores[0] = 0f;       // exactly 0.5: kept
        scores[1] = -0.01f;   // just below: dropped
        scores[2] = 5f;
        regressors[(2 * 16) + 2] = -1f; // negative width: dropped
        var detections = Decoder.Decode(regressors, scores);
        var kept = Assert.Single(detections);
        Assert.Equal(0.5f, kept.Score);
    }

    [Fact]
    public void DecodesABlockStartingAtAnAnchorOffset()
    {
        var regressors = new float[384 * 16];
        var scores = new float[384];
        Array.Fill(scores, -10f);
        scores[6] = 3f; // anchor 512 + 6 = 518
        var output = new List<NormalizedDetection>();
        Decoder.Decode(regressors, scores, 512, output);
        var detection = Assert.Single(output);
        Assert.Equal(0.1875f, detection.XMin, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Decoder.Decode(regressors, scores, 600, output));
    }
}
