namespace FacePipeline.Face.Tests;

[Trait("Lane", "Fast")]
public class WeightedNonMaxSuppressionTests
{
    private static NormalizedDetection Box(float x, float y, float w, float h, float score, float kx = 0f, float ky = 0f) =>
        new(x, y, w, h, [new NormalizedPoint(kx, ky)], score);

    [Fact]
    public void IouOfIdenticalDisjointAndHalfOverlappingBoxes()
    {
        var a = Box(0f, 0f, 2f, 1f, 1f);
        Assert.Equal(1f, WeightedNonMaxSuppression.IntersectionOverUnion(a, a));
        Assert.Equal(0f, WeightedNonMaxSuppression.IntersectionOverUnion(a, Box(3f, 0f, 1f, 1f, 1f)));
        Assert.Equal(0f, WeightedNonMaxSuppression.IntersectionOverUnion(a, Box(2f, 0f, 1f, 1f, 1f))); // touching
        Assert.Equal(1f / 3f, WeightedNonMaxSuppression.IntersectionOverUnion(a, Box(1f, 0f, 2f, 1f, 1f)), 6);
    }

    [Fact]
    public void TwoOverlappingBoxesMergeIntoTheScoreWeightedAverage()
    {
        var a = Box(0.10f, 0.10f, 0.40f, 0.40f, 0.9f, kx: 0.20f, ky: 0.20f);
        var b = Box(0.12f, 0.10f, 0.40f, 0.40f, 0.6f, kx: 0.30f, ky: 0.20f);
        // IoU = (0.38 * 0.40) / (0.16 + 0.16 - 0.152) = 0.905 > 0.3

        var result = new WeightedNonMaxSuppression(0.3f).Apply([b, a]);

        var merged = Assert.Single(result);
        Assert.Equal(0.9f, merged.Score); // the best one's score
        Assert.Equal((0.10f * 0.9f + 0.12f * 0.6f) / 1.5f, merged.XMin, 5); // 0.108
        Assert.Equal(0.10f, merged.YMin, 5);
        Assert.Equal(((0.50f * 0.9f + 0.52f * 0.6f) / 1.5f) - 0.108f, merged.Width, 5); // 0.4
        Assert.Equal(0.40f, merged.Height, 5);
        Assert.Equal(0.24f, merged.Keypoints[0].X, 5); // (0.2 * 0.9 + 0.3 * 0.6) / 1.5
        Assert.Equal(0.20f, merged.Keypoints[0].Y, 5);
    }

    [Fact]
    public void DistantBoxIsKeptAndResultsAreOrderedByScore()
    {
        var a = Box(0.10f, 0.10f, 0.40f, 0.40f, 0.9f);
        var b = Box(0.12f, 0.10f, 0.40f, 0.40f, 0.6f);
        var far = Box(0.70f, 0.70f, 0.20f, 0.20f, 0.95f, kx: 0.8f, ky: 0.8f);

        var result = new WeightedNonMaxSuppression().Apply([a, b, far]);

        Assert.Equal(2, result.Count);
        Assert.Same(far, result[0]); // alone in its cluster: unchanged
        Assert.Equal(0.9f, result[1].Score);
        Assert.Equal(0.108f, result[1].XMin, 5);
    }

    [Fact]
    public void OverlapAtOrBelowTheThresholdIsNotMerged()
    {
        // IoU = 1/3 with threshold 0.4: both stay.
        var a = Box(0f, 0f, 0.2f, 0.1f, 0.8f);
        var b = Box(0.1f, 0f, 0.2f, 0.1f, 0.7f);
        var result = new WeightedNonMaxSuppression(0.4f).Apply([a, b]);
        Assert.Equal([a, b], result);
    }

    [Fact]
    public void ClustersAreFormedAroundTheBestRemainingBox()
    {
        // c overlaps b but not a: a absorbs b first, c stays on its own.
        var a = Box(0.00f, 0f, 0.30f, 0.30f, 0.9f);
        var b = Box(0.05f, 0f, 0.30f, 0.30f, 0.8f);
        var c = Box(0.30f, 0f, 0.30f, 0.30f, 0.7f);
        var result = new WeightedNonMaxSuppression(0.3f).Apply([c, b, a]);
        Assert.Equal(2, result.Count);
        Assert.Equal(0.9f, result[0].Score);
        Assert.Same(c, result[1]);
    }

    [Fact]
    public void MaxDetectionsLimitsTheOutputAndEmptyInputGivesNothing()
    {
        var a = Box(0.0f, 0f, 0.1f, 0.1f, 0.9f);
        var b = Box(0.5f, 0f, 0.1f, 0.1f, 0.8f);
        Assert.Equal([a], new WeightedNonMaxSuppression(0.3f, maxDetections: 1).Apply([b, a]));
        Assert.Empty(new WeightedNonMaxSuppression().Apply([]));
    }
}
