namespace FacePipeline.Face.Tests;

[Trait("Lane", "Fast")]
public class SsdAnchorsTests
{
    private static readonly IReadOnlyList<Anchor> Anchors = SsdAnchors.FaceDetectionShortRange;

    [Fact]
    public void ShortRangeHas896Anchors()
    {
        Assert.Equal(896, Anchors.Count);
        Assert.Equal([512, 384], SsdAnchors.FeatureMapSizes(SsdAnchorOptions.FaceDetectionShortRange));
    }

    [Fact]
    public void FirstAnchorIsTheCentreOfTheFirstCellOfThe16x16Map()
    {
        // Two anchors (scale and interpolated scale) per cell of the stride-8 map.
        Assert.Equal(new Anchor(0.5f / 16, 0.5f / 16, 1f, 1f), Anchors[0]);
        Assert.Equal(0.03125f, Anchors[0].XCenter);
        Assert.Equal(Anchors[0], Anchors[1]);
        Assert.Equal(new Anchor(1.5f / 16, 0.5f / 16, 1f, 1f), Anchors[2]);
        Assert.Equal(new Anchor(0.5f / 16, 1.5f / 16, 1f, 1f), Anchors[32]);
        Assert.Equal(new Anchor(15.5f / 16, 15.5f / 16, 1f, 1f), Anchors[511]);
    }

    [Fact]
    public void FirstAnchorOfThe8x8MapFollowsThe512OfThe16x16Map()
    {
        // The three stride-16 layers share one 8x8 map: six anchors per cell.
        Assert.Equal(new Anchor(0.0625f, 0.0625f, 1f, 1f), Anchors[512]);
        for (var i = 513; i < 518; i++)
        {
            Assert.Equal(Anchors[512], Anchors[i]);
        }

        Assert.Equal(new Anchor(1.5f / 8, 0.5f / 8, 1f, 1f), Anchors[518]);
        Assert.Equal(new Anchor(7.5f / 8, 7.5f / 8, 1f, 1f), Anchors[895]);
    }

    [Fact]
    public void EveryAnchorMatchesTheClosedForm()
    {
        for (var i = 0; i < Anchors.Count; i++)
        {
            var (grid, perCell, j) = i < 512 ? (16, 2, i) : (8, 6, i - 512);
            var cell = j / perCell;
            var expected = new Anchor(((cell % grid) + 0.5f) / grid, ((cell / grid) + 0.5f) / grid, 1f, 1f);
            Assert.Equal(expected, Anchors[i]);
        }
    }

    [Fact]
    public void ScalesAreLinearBetweenMinAndMax()
    {
        Assert.Equal(0.1484375f, SsdAnchors.CalculateScale(0.1484375f, 0.75f, 0, 4));
        Assert.Equal(0.1484375f + ((0.75f - 0.1484375f) / 3f), SsdAnchors.CalculateScale(0.1484375f, 0.75f, 1, 4), 6);
        Assert.Equal(0.75f, SsdAnchors.CalculateScale(0.1484375f, 0.75f, 3, 4));
        Assert.Equal(0.5f, SsdAnchors.CalculateScale(0.25f, 0.75f, 0, 1));
    }

    [Fact]
    public void WithoutFixedSizeAnchorsCarryTheirScales()
    {
        var anchors = SsdAnchors.Generate(SsdAnchorOptions.FaceDetectionShortRange with { FixedAnchorSize = false });
        var scale0 = 0.1484375f;
        var scale1 = 0.1484375f + ((0.75f - 0.1484375f) / 3f);
        Assert.Equal(scale0, anchors[0].Width, 6);
        Assert.Equal(MathF.Sqrt(scale0 * scale1), anchors[1].Width, 6);
        // Last layer: the interpolated scale uses 1.0 as the next scale.
        Assert.Equal(MathF.Sqrt(0.75f), anchors[895].Height, 6);
    }
}
