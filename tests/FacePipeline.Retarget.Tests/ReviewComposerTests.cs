using static FacePipeline.Retarget.Tests.FaceImages;

namespace FacePipeline.Retarget.Tests;

[Trait("Lane", "Fast")]
public class ReviewComposerTests
{
    [Fact]
    public void Output_size_is_the_sum_of_even_panel_widths_by_panel_height_plus_the_label_strip()
    {
        var review = new ReviewComposer(new FrameSize(1920, 1080), new FrameSize(1280, 720), new FrameSize(101, 75));

        // 1920×1080 and 1280×720 → 640 at 360 px; 101×75 → 484.8 → 484 (even).
        Assert.Equal(new PixelRect(0, 0, 640, 360), review.SourcePanel);
        Assert.Equal(new PixelRect(640, 0, 640, 360), review.TargetPanel);
        Assert.Equal(new PixelRect(1280, 0, 484, 360), review.ResultPanel);
        Assert.Equal(640 + 640 + 484, review.Width);
        Assert.Equal(360 + ReviewComposer.LabelStripHeight, review.Height);
        Assert.Equal(review.Width * review.Height * 3, review.FrameSizeBytes);

        // Portrait and tiny frames, another panel height.
        Assert.Equal(202, ReviewComposer.PanelWidth(new FrameSize(1080, 1920), 360));
        Assert.Equal(2, ReviewComposer.PanelWidth(new FrameSize(1, 1000), 360));
        Assert.Equal(128, new ReviewComposer(new FrameSize(64, 48), new FrameSize(64, 48), new FrameSize(64, 48), 96).SourcePanel.Width);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReviewComposer(new FrameSize(64, 48), new FrameSize(64, 48), new FrameSize(64, 48), 361));
    }

    [Fact]
    public void Each_frame_lands_in_its_panel()
    {
        // Red source downscaled by 3 (area average), green target upscaled (bilinear), blue result at 1:1.
        FrameSize source = new(1920, 1080), target = new(320, 180), result = new(640, 360);
        var review = new ReviewComposer(source, target, result);
        var output = new byte[review.FrameSizeBytes];
        review.Compose(
            Filled(source.Width, source.Height, (255, 0, 0)), 12,
            Filled(target.Width, target.Height, (0, 255, 0)), 34,
            Filled(result.Width, result.Height, (0, 0, 255)), 56,
            output);

        foreach (var (panel, colour) in new[] { (review.SourcePanel, ((byte)255, (byte)0, (byte)0)), (review.TargetPanel, ((byte)0, (byte)255, (byte)0)), (review.ResultPanel, ((byte)0, (byte)0, (byte)255)) })
        {
            Assert.Equal(colour, Pixel(output, review.Width, panel.X + (panel.Width / 2), panel.Height / 2));
            Assert.Equal(colour, Pixel(output, review.Width, panel.X, 0));
            Assert.Equal(colour, Pixel(output, review.Width, panel.X + panel.Width - 1, panel.Height - 1));
        }
    }

    [Fact]
    public void Labels_and_frame_numbers_are_drawn_in_the_strip()
    {
        FrameSize size = new(640, 360);
        var review = new ReviewComposer(size, size, size);
        var black = new byte[size.Width * size.Height * 3];
        var first = new byte[review.FrameSizeBytes];
        var second = new byte[review.FrameSizeBytes];
        review.Compose(black, 12, black, 34, black, 56, first);
        review.Compose(black, 12, black, 34, black, 57, second);

        // Text pixels in each panel's strip, none above it.
        foreach (var panel in new[] { review.SourcePanel, review.TargetPanel, review.ResultPanel })
        {
            var text = 0;
            for (var y = review.PanelHeight; y < review.Height; y++)
            {
                for (var x = panel.X; x < panel.X + panel.Width; x++)
                {
                    var p = Pixel(first, review.Width, x, y);
                    text += p == (235, 235, 235) ? 1 : 0;
                    Assert.True(p == (235, 235, 235) || p == (24, 24, 24), $"({x}, {y}) is {p}");
                }
            }

            // "SOURCE 12" etc.: 9 characters of about 17 lit cells each, every cell 2×2 pixels.
            Assert.InRange(text, 9 * 10 * 4, 9 * 25 * 4);
        }

        Assert.All(first.AsSpan(0, review.PanelHeight * review.Width * 3).ToArray(), b => Assert.Equal(0, b));

        // Only the result's number changed (56 → 57): the difference lies in the result panel's strip.
        var differing = 0;
        for (var i = 0; i < first.Length; i += 3)
        {
            if (first[i] != second[i])
            {
                int x = i / 3 % review.Width, y = i / 3 / review.Width;
                Assert.True(y >= review.PanelHeight && x >= review.ResultPanel.X, $"({x}, {y}) changed");
                differing++;
            }
        }

        Assert.True(differing > 8, $"{differing} pixels differ");
    }

    [Fact]
    public void Large_downscales_average_instead_of_aliasing()
    {
        // A one-pixel checkerboard downscaled by 4: every output pixel averages 8 black and 8 white pixels.
        FrameSize size = new(1440, 1440);
        var checker = new byte[size.Width * size.Height * 3];
        for (var y = 0; y < size.Height; y++)
        {
            for (var x = 0; x < size.Width; x++)
            {
                var v = (byte)(((x + y) & 1) * 255);
                var k = ((y * size.Width) + x) * 3;
                (checker[k], checker[k + 1], checker[k + 2]) = (v, v, v);
            }
        }

        var review = new ReviewComposer(size, size, size);
        var output = new byte[review.FrameSizeBytes];
        review.Compose(checker, 0, checker, 0, checker, 0, output);

        Assert.Equal(360, review.SourcePanel.Width);
        for (var y = 0; y < review.PanelHeight; y += 7)
        {
            for (var x = 0; x < review.Width; x += 5)
            {
                Assert.Equal((128, 128, 128), Pixel(output, review.Width, x, y));
            }
        }
    }
}
