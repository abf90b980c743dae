namespace FacePipeline.Face.Tests;

/// <summary>
/// The QC overlay drawn on 4:2:0 planes against the same drawing on RGB24 (the second implementation: the same
/// Bresenham lines, plain pixels) and BT.709's published limited-range values (the closed form).
/// </summary>
[Trait("Lane", "Fast")]
public class MeshOverlayTests
{
    [Theory]
    [InlineData(255, 255, 255, 235, 128, 128)] // white
    [InlineData(0, 0, 0, 16, 128, 128)] // black
    [InlineData(255, 0, 0, 63, 102, 240)] // BT.709 red
    [InlineData(0, 255, 0, 173, 42, 26)] // BT.709 green
    [InlineData(0, 0, 255, 32, 240, 118)] // BT.709 blue
    public void Colours_become_BT709_limited_range_YCbCr(byte r, byte g, byte b, byte y, byte cb, byte cr) =>
        Assert.Equal((y, cb, cr), MeshOverlay.ToYCbCr(new Rgb(r, g, b)));

    [Theory]
    [InlineData(101, 77)] // odd: the last chroma column and row cover one pixel
    [InlineData(64, 48)]
    public void A_mesh_on_4_2_0_planes_marks_the_pixels_it_marks_on_RGB24_and_their_chroma_blocks(int width, int height)
    {
        // Triangles inside, across the edges and outside the frame.
        Landmark[] points = [new(5, 5, 0), new(60, 20, 0), new(30, 70, 0), new(-20, 40, 0), new(width + 15, height - 3, 0), new(width - 1, height - 1, 0), new(-5, -5, 0), new(-30, -2, 0)];
        int[] triangles = [0, 1, 2, 1, 4, 5, 2, 3, 0, 6, 7, 3];
        var color = MeshOverlay.MeshColor;
        var rgb = new byte[width * height * 3];
        MeshOverlay.Draw(rgb, width, height, points, triangles, color);
        var (cw, ch) = ((width + 1) / 2, (height + 1) / 2);
        var planes = new byte[(width * height) + (2 * cw * ch)];
        planes.AsSpan(0, width * height).Fill(16);
        planes.AsSpan(width * height).Fill(128);

        MeshOverlay.DrawYuv420(planes, width, height, points, triangles, color);

        var (y, cb, cr) = MeshOverlay.ToYCbCr(color);
        var marked = new bool[cw * ch];
        var count = 0;
        for (var py = 0; py < height; py++)
        {
            for (var px = 0; px < width; px++)
            {
                var onRgb = rgb[((py * width) + px) * 3] != 0 || rgb[(((py * width) + px) * 3) + 1] != 0;
                Assert.Equal(onRgb ? y : 16, planes[(py * width) + px]);
                if (onRgb)
                {
                    marked[((py / 2) * cw) + (px / 2)] = true;
                    count++;
                }
            }
        }

        Assert.InRange(count, 100, width * height / 2); // the mesh was drawn, and not everywhere
        for (var c = 0; c < cw * ch; c++)
        {
            Assert.Equal(marked[c] ? cb : 128, planes[(width * height) + c]);
            Assert.Equal(marked[c] ? cr : 128, planes[(width * height) + (cw * ch) + c]);
        }
    }

    [Fact]
    public void A_buffer_smaller_than_the_frames_planes_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => MeshOverlay.LineYuv420(new byte[64 * 48], 64, 48, 0, 0, 10, 10, MeshOverlay.MeshColor));
        Assert.Contains("4608 bytes", error.Message, StringComparison.Ordinal);
    }
}
