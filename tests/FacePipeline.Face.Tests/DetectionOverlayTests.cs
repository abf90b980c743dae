using FacePipeline.Face.Tests.Support;

namespace FacePipeline.Face.Tests;

[Trait("Lane", "Fast")]
public class DetectionOverlayTests
{
    private static readonly Rgb Black = new(0, 0, 0);

    private static Rgb At(RgbImage image, int x, int y)
    {
        var i = ((y * image.Width) + x) * 3;
        return new Rgb(image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
    }

    private static FaceDetection Face(float x, float y, float w, float h, params PixelPoint[] keypoints) =>
        new(new PixelBox(x, y, w, h), keypoints, 0.9f);

    [Fact]
    public void DrawsTheBoxOutlineAndLeavesTheRestAlone()
    {
        var image = RgbImage.Solid(640, 480, 0, 0, 0);
        DetectionOverlay.Draw(image.Pixels, 640, 480, [Face(100, 100, 200, 150)]);

        Assert.Equal(2, DetectionOverlay.LineThickness(640, 480));
        var green = DetectionOverlay.BoxColor;
        Assert.Equal(green, At(image, 100, 100)); // top-left corner
        Assert.Equal(green, At(image, 200, 101)); // top edge, 2 px thick
        Assert.Equal(green, At(image, 101, 175)); // left edge
        Assert.Equal(green, At(image, 299, 175)); // right edge (last column of the box)
        Assert.Equal(green, At(image, 200, 249)); // bottom edge
        Assert.Equal(Black, At(image, 200, 102)); // just inside the top edge
        Assert.Equal(Black, At(image, 200, 175)); // box centre
        Assert.Equal(Black, At(image, 300, 175)); // just outside the right edge
        Assert.Equal(Black, At(image, 600, 400)); // far away
        Assert.Equal(Black, At(image, 99, 99));
    }

    [Fact]
    public void DrawsKeypointsAsSquaresEyesInTheirOwnColour()
    {
        var image = RgbImage.Solid(640, 480, 0, 0, 0);
        DetectionOverlay.Draw(image.Pixels, 640, 480, [Face(100, 100, 200, 150,
            new(150, 130), new(250, 130), new(200, 170), new(200, 210), new(110, 150), new(290, 150))]);

        Assert.Equal(DetectionOverlay.EyeColor, At(image, 150, 130));
        Assert.Equal(DetectionOverlay.EyeColor, At(image, 252, 128)); // 5x5 square
        Assert.Equal(DetectionOverlay.KeypointColor, At(image, 200, 170));
        Assert.Equal(DetectionOverlay.KeypointColor, At(image, 200, 210));
        Assert.Equal(Black, At(image, 200, 174));
        Assert.NotEqual(DetectionOverlay.EyeColor, DetectionOverlay.KeypointColor);
    }

    [Fact]
    public void ThicknessGrowsWithTheImage()
    {
        Assert.Equal(2, DetectionOverlay.LineThickness(320, 240));
        Assert.Equal(3, DetectionOverlay.LineThickness(1280, 720));
        Assert.Equal(4, DetectionOverlay.LineThickness(1920, 1080));
        Assert.Equal(9, DetectionOverlay.LineThickness(3840, 2160));
    }

    [Fact]
    public void DrawingAcrossOrBeyondTheBorderIsClipped()
    {
        var image = RgbImage.Solid(200, 100, 0, 0, 0);
        var faces = new[]
        {
            Face(-50, -50, 100, 100, new(-10, 700), new(199, 99), new(0, 0), new(float.NaN, 5), new(1e9f, -1e9f), new(100, -2)),
            Face(500, 500, 50, 50),
            Face(150, 60, 1000, 1000),
            Face(float.NaN, 0, 10, 10),
        };

        DetectionOverlay.Draw(image.Pixels, 200, 100, faces);

        Assert.Equal(DetectionOverlay.BoxColor, At(image, 49, 10)); // right edge of the first box
        Assert.Equal(DetectionOverlay.BoxColor, At(image, 10, 49)); // its bottom edge
        Assert.Equal(DetectionOverlay.EyeColor, At(image, 199, 99)); // a keypoint in the corner
        Assert.Equal(DetectionOverlay.BoxColor, At(image, 150, 99)); // third box, clipped at the bottom
        Assert.Equal(Black, At(image, 100, 50));
    }
}
