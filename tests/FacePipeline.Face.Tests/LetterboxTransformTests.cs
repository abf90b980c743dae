using FacePipeline.Face.Tests.Support;

namespace FacePipeline.Face.Tests;

[Trait("Lane", "Fast")]
public class LetterboxTransformTests
{
    [Fact]
    public void LandscapeFramesArePaddedTopAndBottom()
    {
        var t = new LetterboxTransform(1280, 720);
        Assert.Equal(0f, t.PaddingLeft);
        Assert.Equal(0f, t.PaddingRight);
        Assert.Equal((1f - (720f / 1280f)) / 2f, t.PaddingTop, 6); // 0.21875
        Assert.Equal(t.PaddingTop, t.PaddingBottom);
        Assert.Equal(1280f, t.RoiWidth);
        Assert.Equal(1280f, t.RoiHeight);
    }

    [Fact]
    public void PortraitFramesArePaddedLeftAndRight()
    {
        var t = new LetterboxTransform(720, 1280);
        Assert.Equal(0.21875f, t.PaddingLeft, 6);
        Assert.Equal(0f, t.PaddingTop);
    }

    [Theory]
    [InlineData(1280, 720, 300f, 200f)]
    [InlineData(720, 1280, 13f, 1100f)]
    [InlineData(360, 288, 359f, 0f)]
    public void PointsMapThroughTheTransformAndBack(int width, int height, float x, float y)
    {
        var t = new LetterboxTransform(width, height);
        var back = t.ToImage(t.ToTensor(new PixelPoint(x, y)).X, t.ToTensor(new PixelPoint(x, y)).Y);
        Assert.Equal(x, back.X, 2);
        Assert.Equal(y, back.Y, 2);
    }

    [Fact]
    public void TensorCoordinatesMapToThePixelsTheyCover()
    {
        var t = new LetterboxTransform(1280, 720);
        // Centre to centre; the top of the picture is at the end of the padding.
        Assert.Equal(new NormalizedPoint(0.5f, 0.5f), t.ToTensor(new PixelPoint(640f, 360f)));
        Assert.Equal(new PixelPoint(0f, 0f), t.ToImage(0f, 0.21875f));
        Assert.Equal(new PixelPoint(1280f, 720f), t.ToImage(1f, 0.78125f));
        Assert.Equal(-280f, t.ToImage(0f, 0f).Y, 3); // inside the top padding

        var d = t.ToImage(new NormalizedDetection(0.25f, 0.5f, 0.5f, 0.25f, [new NormalizedPoint(0.5f, 0.5f)], 0.7f));
        Assert.Equal(new PixelBox(320f, 360f, 640f, 320f), d.BoundingBox);
        Assert.Equal(new PixelPoint(640f, 360f), d.Keypoints[0]);
        Assert.Equal(0.7f, d.Score);
    }

    [Fact]
    public void PaddingPixelsAreMinusOneAndThePictureIsNot()
    {
        var image = RgbImage.Solid(1280, 720, 255, 255, 255);
        var t = new LetterboxTransform(image.Width, image.Height);
        var tensor = new float[t.TensorLength];
        t.Apply(image.Pixels, tensor);

        // 720/1280 of 128 rows = 72 rows of picture, 28 rows of padding on each side.
        for (var y = 0; y < 128; y++)
        {
            var expected = y is >= 28 and < 100 ? 1f : -1f;
            for (var i = 0; i < 128 * 3; i++)
            {
                Assert.Equal(expected, tensor[(y * 128 * 3) + i], 5);
            }
        }
    }

    [Fact]
    public void ConstantColourGivesItsNormalisedValue()
    {
        var image = RgbImage.Solid(300, 200, 255, 0, 128);
        var t = new LetterboxTransform(image.Width, image.Height);
        var tensor = new float[t.TensorLength];
        t.Apply(image.Pixels, tensor);

        var centre = ((64 * 128) + 64) * 3;
        Assert.Equal(1f, tensor[centre], 5);
        Assert.Equal(-1f, tensor[centre + 1], 5);
        Assert.Equal((128f / 255f * 2f) - 1f, tensor[centre + 2], 5); // 0.00392
        Assert.Equal(-1f, tensor[0]); // padding: the first row is above the picture
    }

    [Fact]
    public void SamplesBilinearlyAtOutputPixelCentres()
    {
        // 256x256 with R = column: output column i covers columns 2i and 2i+1, its centre is at
        // x = 2i + 1 in continuous coordinates, i.e. halfway between the pixel centres 2i + 0.5
        // and 2i + 1.5: the value is 2i + 0.5.
        var image = RgbImage.Solid(256, 256, 0, 0, 0);
        for (var y = 0; y < 256; y++)
        {
            for (var x = 0; x < 256; x++)
            {
                image.Pixels[((y * 256) + x) * 3] = (byte)x;
            }
        }

        var t = new LetterboxTransform(256, 256);
        var tensor = new float[t.TensorLength];
        t.Apply(image.Pixels, tensor);
        foreach (var i in new[] { 0, 1, 63, 127 })
        {
            Assert.Equal(((2 * i) + 0.5f) * 2f / 255f - 1f, tensor[((10 * 128) + i) * 3], 5);
        }
    }

    [Fact]
    public void ApplyAllocatesNothing()
    {
        var image = RgbImage.Solid(1280, 720, 10, 20, 30);
        var t = new LetterboxTransform(image.Width, image.Height);
        var tensor = new float[t.TensorLength];
        t.Apply(image.Pixels, tensor);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            t.Apply(image.Pixels, tensor);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void RejectsAFrameThatIsTooSmall()
    {
        var t = new LetterboxTransform(100, 100);
        Assert.Throws<ArgumentException>(() => t.Apply(new byte[(100 * 100 * 3) - 1], new float[t.TensorLength]));
    }
}
