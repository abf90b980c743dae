using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

[Trait("Lane", "Fast")]
public class PiecewiseAffineWarpTests
{
    private const int W = 64;
    private const int H = 48;

    // A square of two triangles.
    private static readonly Triangle[] Square = [new(0, 1, 2), new(0, 2, 3)];

    private static byte[] Pattern()
    {
        var image = new byte[W * H * 3];
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                var k = ((y * W) + x) * 3;
                image[k] = (byte)(x * 3);
                image[k + 1] = (byte)(y * 5);
                image[k + 2] = (byte)((x * 7) + (y * 13));
            }
        }

        return image;
    }

    private static byte[] Filled(byte value) => Enumerable.Repeat(value, W * H * 3).ToArray();

    private static byte[] Pixel(byte[] image, int x, int y) => image.AsSpan(((y * W) + x) * 3, 3).ToArray();

    [Fact]
    public void Translating_the_mesh_moves_the_pattern_exactly_and_leaves_the_rest_untouched()
    {
        var source = Pattern();
        Point2[] from = [new(10, 10), new(30, 10), new(30, 25), new(10, 25)];
        var to = from.Select(p => new Point2(p.X + 3, p.Y + 5)).ToArray();
        var dest = Filled(17);
        var written = PiecewiseAffineWarp.Warp(source, W, H, dest, W, H, from, to, Square);
        Assert.Equal((21 * 16) + 6, written); // 21×16 pixels; the 6 lattice points of the diagonal (gcd(20, 15) + 1) written twice

        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                var inside = x >= 13 && x <= 33 && y >= 15 && y <= 30;
                Assert.Equal(inside ? Pixel(source, x - 3, y - 5) : [17, 17, 17], Pixel(dest, x, y));
            }
        }
    }

    [Fact]
    public void Scale_two_affine_maps_known_pixels()
    {
        var source = Pattern();
        Point2[] from = [new(4, 4), new(20, 4), new(4, 20)];
        var to = from.Select(p => new Point2(p.X * 2, p.Y * 2)).ToArray(); // dest (x, y) ← source (x/2, y/2)
        var dest = Filled(0);
        PiecewiseAffineWarp.Warp(source, W, H, dest, W, H, from, to, [new Triangle(0, 1, 2)]);

        Assert.Equal(Pixel(source, 5, 6), Pixel(dest, 10, 12)); // even: exactly a source pixel
        Assert.Equal(Pixel(source, 4, 4), Pixel(dest, 8, 8));
        // Odd x: halfway between two source pixels (the pattern is linear in x there, 3 per pixel).
        var half = Pixel(dest, 11, 12);
        Assert.Equal((byte)Math.Round((Pixel(source, 5, 6)[0] + Pixel(source, 6, 6)[0]) / 2.0), half[0]);
        Assert.Equal(Pixel(source, 5, 6)[1], half[1]);
        // Outside the triangle (beyond the hypotenuse x + y = 48) and outside its box: untouched.
        Assert.Equal([0, 0, 0], Pixel(dest, 30, 30));
        Assert.Equal([0, 0, 0], Pixel(dest, 5, 5));
        Assert.Equal([0, 0, 0], Pixel(dest, 41, 8));
    }

    [Fact]
    public void Feather_mask_falls_off_linearly_to_the_border()
    {
        Point2[] square = [new(10, 10), new(40, 10), new(40, 40), new(10, 40)];
        var mask = PiecewiseAffineWarp.FeatherMask(W, H, square, Square, 8);
        float At(int x, int y) => mask[(y * W) + x];
        Assert.Equal(0f, At(5, 5));
        Assert.Equal(0f, At(10, 20)); // on the border
        Assert.Equal(0.5f, At(14, 25), 6); // 4 px in
        Assert.Equal(1f, At(25, 25)); // centre: 15 px in, the shared diagonal does not count as border
        Assert.Equal(0.25f, At(25, 38), 6);

        var hard = PiecewiseAffineWarp.FeatherMask(W, H, square, Square, 0);
        Assert.Equal(31 * 31, hard.Count(v => v == 1));
        Assert.Equal(W * H - (31 * 31), hard.Count(v => v == 0));
    }

    [Fact]
    public void Composite_blends_by_the_mask()
    {
        var dest = Filled(100);
        var overlay = Filled(200);
        var mask = new float[W * H];
        mask[0] = 1;
        mask[1] = 0.25f;
        PiecewiseAffineWarp.Composite(dest, overlay, mask);
        Assert.Equal([200, 200, 200], Pixel(dest, 0, 0));
        Assert.Equal([125, 125, 125], Pixel(dest, 1, 0));
        Assert.Equal([100, 100, 100], Pixel(dest, 2, 0));
    }
}
