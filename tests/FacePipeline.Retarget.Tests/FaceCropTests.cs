using static FacePipeline.Retarget.Tests.FaceImages;

namespace FacePipeline.Retarget.Tests;

public class FaceCropTests
{
    private const int W = 400;
    private const int H = 400;

    private static Point2[] Upright => Project(TestMesh.Neutral, 12, 200, 190);

    /// <summary>The mesh turned by <paramref name="degrees"/> about (cx, cy), scaled and moved: a similarity of the frame.</summary>
    private static Point2[] Similar(Point2[] mesh, double degrees, double scale, double dx, double dy, double cx = 200, double cy = 190)
    {
        var (c, s) = (Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180));
        return [.. mesh.Select(p => new Point2(
            cx + dx + (scale * ((c * (p.X - cx)) - (s * (p.Y - cy)))),
            cy + dy + (scale * ((s * (p.X - cx)) + (c * (p.Y - cy))))))];
    }

    private static Point2 Mean(Point2[] mesh, int[] indices) =>
        new(indices.Average(i => mesh[i].X), indices.Average(i => mesh[i].Y));

    /// <summary>A smooth image: R = x / 2, G = y / 2, B = 100 (bilinear sampling of it is exact).</summary>
    private static byte[] Ramp(int width, int height)
    {
        var image = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var k = ((y * width) + x) * 3;
                (image[k], image[k + 1], image[k + 2]) = ((byte)(x / 2), (byte)(y / 2), 100);
            }
        }

        return image;
    }

    [Fact]
    public void An_upright_face_gives_a_level_crop_with_the_eyes_where_the_definition_puts_them()
    {
        var mesh = Upright;
        var crop = FaceCrop.Of(mesh, 256);

        Assert.Equal(0, crop.Angle, 6);
        var right = crop.ToCrop(Mean(mesh, FaceCrop.RightEyeCorners));
        var left = crop.ToCrop(Mean(mesh, FaceCrop.LeftEyeCorners));
        var eyeDistance = 256 / FaceCrop.SpanInEyeDistances;
        Assert.Equal(eyeDistance, left.X - right.X, 6);
        Assert.Equal(127.5, (left.X + right.X) / 2, 6);
        Assert.Equal(127.5 - (FaceCrop.CentreBelowEyes * eyeDistance), (left.Y + right.Y) / 2, 6);
        Assert.True(crop.ToCrop(mesh[152]).Y is > 127.5 and < 255, "the chin is in the lower half of the crop");
        Assert.True(crop.ToCrop(mesh[10]).Y is > 0 and < 127.5, "the top of the forehead is in the upper half");
    }

    [Theory]
    [InlineData(30, 2.0, 40, -25)]
    [InlineData(-75, 0.4, -60, 80)]
    [InlineData(180, 1.0, 0, 0)]
    public void A_turned_scaled_and_moved_face_lands_on_the_same_crop_points(double degrees, double scale, double dx, double dy)
    {
        var upright = Upright;
        var moved = Similar(upright, degrees, scale, dx, dy);

        var a = FaceCrop.Of(upright, 128);
        var b = FaceCrop.Of(moved, 128);

        Assert.Equal(a.Scale * scale, b.Scale, 9);
        for (var i = 0; i < upright.Length; i++)
        {
            var (p, q) = (a.ToCrop(upright[i]), b.ToCrop(moved[i]));
            Assert.Equal(p.X, q.X, 6);
            Assert.Equal(p.Y, q.Y, 6);
        }
    }

    [Fact]
    public void To_frame_and_to_crop_are_inverse()
    {
        var crop = FaceCrop.Of(Similar(Upright, 23, 1.7, 5, 9), 64);
        foreach (var p in new[] { new Point2(0, 0), new Point2(63, 0), new Point2(31.5, 31.5), new Point2(12.25, 50.75) })
        {
            var back = crop.ToCrop(crop.ToFrame(p));
            Assert.Equal(p.X, back.X, 9);
            Assert.Equal(p.Y, back.Y, 9);
        }
    }

    [Fact]
    public void Resampling_a_ramp_gives_the_ramp_at_each_pixels_frame_position()
    {
        var frame = Ramp(W, H);
        var crop = FaceCrop.Of(Similar(Upright, 20, 1, 0, 0), 64);
        var pixels = new byte[64 * 64 * 3];

        crop.Resample(frame, W, H, pixels);

        for (var y = 0; y < 64; y += 7)
        {
            for (var x = 0; x < 64; x += 5)
            {
                var p = crop.ToFrame(new Point2(x, y));
                var k = ((y * 64) + x) * 3;
                Assert.InRange(pixels[k], (p.X / 2) - 1.01, (p.X / 2) + 1.01);
                Assert.InRange(pixels[k + 1], (p.Y / 2) - 1.01, (p.Y / 2) + 1.01);
                Assert.Equal(100, pixels[k + 2]);
            }
        }
    }

    [Fact]
    public void A_crop_put_back_where_it_came_from_changes_the_frame_by_rounding_only_and_nothing_outside()
    {
        var frame = Ramp(W, H);
        var crop = FaceCrop.Of(Similar(Upright, -15, 0.8, 10, 20), 96);
        var pixels = new byte[96 * 96 * 3];
        crop.Resample(frame, W, H, pixels);
        var mask = Enumerable.Repeat(1f, 96 * 96).ToArray();

        var output = (byte[])frame.Clone();
        var changed = crop.CompositeInto(pixels, mask, output, W, H);

        Assert.True(changed > 90 * 90 * crop.Scale * crop.Scale * 0.9, $"{changed} pixels composited");
        var worst = 0;
        for (var i = 0; i < frame.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(frame[i] - output[i]));
        }

        Assert.InRange(worst, 0, 2);
        var outside = crop.ToFrame(new Point2(-3, -3));
        var o = (((int)outside.Y * W) + (int)outside.X) * 3;
        Assert.Equal(frame[o], output[o]);

        var untouched = (byte[])frame.Clone();
        Assert.Equal(0, crop.CompositeInto(Filled(96, 96, (0, 0, 0)), new float[96 * 96], untouched, W, H));
        Assert.Equal(frame, untouched);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => FaceCrop.Of(Upright[..100], 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceCrop.Of(Upright, 4));
        Assert.Throws<ArgumentException>(() => FaceCrop.Of(new Point2[468], 64)); // every point at the origin: no eye distance
        var crop = FaceCrop.Of(Upright, 32);
        Assert.Throws<ArgumentException>(() => crop.Resample(new byte[10], W, H, new byte[32 * 32 * 3]));
        Assert.Throws<ArgumentException>(() => crop.CompositeInto(new byte[32 * 32 * 3], new float[10], new byte[W * H * 3], W, H));
    }
}
