using static FacePipeline.Retarget.Tests.FaceImages;

namespace FacePipeline.Retarget.Tests;

public class WarpRendererTests
{
    private const int W = 400;
    private const int H = 400;
    private const double Scale = 12; // px per cm: a face about 190 px wide

    private static readonly Lazy<WarpRenderer> Shared = new(() => new WarpRenderer(TestMesh.Canonical));

    private static Point2[] Neutral => Project(TestMesh.Neutral, Scale, 200, 190);

    private static Point2[] MouthOpen => Project(JawDrop(TestMesh.Neutral, 1.2), Scale, 200, 190);

    private static (byte[] Output, WarpRenderResult Result) Render(
        byte[] frame, Point2[] tracked, Point2[] destination, IReadOnlyList<FeatureDonor>? donors = null, WarpRenderer? renderer = null, int width = W, int height = H)
    {
        var output = new byte[frame.Length];
        var result = (renderer ?? Shared.Value).Render(frame, width, height, tracked, destination, donors ?? [], output);
        return (output, result);
    }

    private static Point2[] Ring(Point2[] tracked)
    {
        var points = new Point2[WarpMesh.PointCount];
        Shared.Value.Mesh.Extend(tracked, tracked, points);
        return points[WarpMesh.RingStart..(WarpMesh.RingStart + WarpMesh.RingCount)];
    }

    [Fact]
    public void Identity_leaves_the_frame_unchanged()
    {
        var frame = Textured(W, H);
        var (output, result) = Render(frame, Neutral, Neutral);

        var worst = 0;
        for (var i = 0; i < frame.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(frame[i] - output[i]));
        }

        Assert.InRange(worst, 0, 1);
        Assert.True(result.WarpedPixels > 30000, $"{result.WarpedPixels} pixels warped");
        Assert.Equal(0, result.DonorPixels);
    }

    [Fact]
    public void Pixels_outside_the_crop_and_outside_the_ring_are_untouched()
    {
        var frame = Textured(W, H);
        var tracked = Neutral;
        var (output, result) = Render(frame, tracked, Translate(MouthOpen, 2, 1));
        var ring = Ring(tracked);

        var changedInside = 0;
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                if (!result.Crop.Contains(x, y) || !Inside(ring, x, y))
                {
                    Assert.Equal(Pixel(frame, W, x, y), Pixel(output, W, x, y));
                }
                else if (Pixel(frame, W, x, y) != Pixel(output, W, x, y))
                {
                    changedInside++;
                }
            }
        }

        Assert.True(changedInside > 10000, $"only {changedInside} pixels changed inside the ring");
        Assert.True(result.Crop.Area < W * H, $"crop {result.Crop} is the whole frame");
    }

    [Fact]
    public void The_matte_is_0_where_the_frame_is_its_own_255_inside_the_face_and_feathered_between()
    {
        var frame = Textured(W, H);
        var renderer = new WarpRenderer(TestMesh.Canonical);
        var (output, result) = Render(frame, Neutral, Translate(MouthOpen, 2, 1), renderer: renderer);
        var matte = new byte[W * H];

        renderer.Matte.WriteTo(matte, W, H);

        Assert.Equal(result.Crop, renderer.Matte.Crop);
        var (opaque, feathered) = (0, 0);
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                var value = matte[(y * W) + x];
                if (value == 0)
                {
                    Assert.Equal(Pixel(frame, W, x, y), Pixel(output, W, x, y)); // outside the matte: the plate's own pixels
                }

                opaque += value == 255 ? 1 : 0;
                feathered += value is > 0 and < 255 ? 1 : 0;
            }
        }

        Assert.Equal(255, matte[(190 * W) + 200]); // the face's centre
        Assert.True(opaque > 20000, $"only {opaque} pixels fully inside");
        Assert.True(feathered > 500 && feathered < opaque / 4, $"{feathered} feathered pixels for {opaque} inside: a feathered edge");

        // A frame with no face changed (an empty crop) has an all-0 matte.
        renderer.Matte.Clear();
        renderer.Matte.WriteTo(matte, W, H);
        Assert.All(matte, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Translating_the_mesh_moves_the_face_by_the_offset_and_keeps_the_ring()
    {
        const int Dx = 3, Dy = -2;
        var frame = Textured(W, H);
        var tracked = Neutral;
        var destination = Translate(tracked, Dx, Dy);
        var (output, _) = Render(frame, tracked, destination);

        // Inside the destination silhouette every triangle is moved by (Dx, Dy): output(x, y) = input(x − Dx, y − Dy).
        var oval = Polygon(destination, FaceRegions.FaceOval);
        var checkedPixels = 0;
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                if (Inside(oval, x, y))
                {
                    Assert.Equal(Pixel(frame, W, x - Dx, y - Dy), Pixel(output, W, x, y));
                    checkedPixels++;
                }
            }
        }

        Assert.True(checkedPixels > 25000, $"{checkedPixels} pixels checked");

        // The ring is the tracked one in both extended meshes, so the image there and outside is the input's.
        var points = new Point2[WarpMesh.PointCount];
        Shared.Value.Mesh.Extend(destination, tracked, points);
        Assert.Equal(Ring(tracked), points[WarpMesh.RingStart..(WarpMesh.RingStart + WarpMesh.RingCount)]);
        foreach (var p in Ring(tracked))
        {
            int x = (int)Math.Round(p.X), y = (int)Math.Round(p.Y);
            Assert.Equal(Pixel(frame, W, x, y), Pixel(output, W, x, y));
        }
    }

    [Fact]
    public void A_small_face_on_a_4K_plate_is_processed_in_a_small_crop()
    {
        const int Width = 3840, Height = 2160;
        var frame = Textured(Width, Height);
        var tracked = Project(TestMesh.Neutral, 3, 3000, 600);
        var destination = Project(TestMesh.MouthOpen(TestMesh.Neutral), 3, 3000, 600);
        var (output, result) = Render(frame, tracked, destination, width: Width, height: Height);

        // The crop is the bounding box of both extended meshes plus the 4 px margin.
        var ext = new Point2[2 * WarpMesh.PointCount];
        Shared.Value.Mesh.Extend(tracked, tracked, ext);
        Shared.Value.Mesh.Extend(destination, tracked, ext.AsSpan(WarpMesh.PointCount));
        var x0 = (int)Math.Floor(ext.Min(p => p.X)) - 4;
        var y0 = (int)Math.Floor(ext.Min(p => p.Y)) - 4;
        var x1 = (int)Math.Ceiling(ext.Max(p => p.X)) + 4;
        var y1 = (int)Math.Ceiling(ext.Max(p => p.Y)) + 4;
        Assert.Equal(new PixelRect(x0, y0, x1 - x0 + 1, y1 - y0 + 1), result.Crop);
        Assert.InRange(result.Crop.Width, 50, 80);
        Assert.InRange(result.Crop.Height, 60, 90);

        var changed = 0;
        for (var y = 0; y < Height; y++)
        {
            var row = new Range(y * Width * 3, (y + 1) * Width * 3);
            if (!frame.AsSpan(row).SequenceEqual(output.AsSpan(row)))
            {
                Assert.InRange(y, result.Crop.Y, result.Crop.Y + result.Crop.Height - 1);
                changed++;
            }
        }

        Assert.True(changed > 20, $"{changed} rows changed");
    }

    [Fact]
    public void Fans_carry_the_mouth_interior_and_the_eyes_with_the_lips_and_lids()
    {
        var frame = Filled(W, H, Skin);
        var tracked = Neutral;
        (byte, byte, byte) mouth = (20, 10, 10), eye = (30, 60, 220);
        Paint(frame, W, H, Polygon(tracked, FaceRegions.InnerLipLoop), mouth);
        Paint(frame, W, H, Polygon(tracked, FaceRegions.LeftEyeLoop), eye);
        Paint(frame, W, H, Polygon(tracked, FaceRegions.RightEyeLoop), eye);
        var destination = Translate(MouthOpen, 4, 6);
        var (output, _) = Render(frame, tracked, destination);

        // The destination centres lie where the input shows skin (below the tracked mouth and eyes), yet the
        // output shows the mouth interior and the eyes there.
        foreach (var (loop, colour) in new[] { (FaceRegions.InnerLipLoop, mouth), (FaceRegions.LeftEyeLoop, eye), (FaceRegions.RightEyeLoop, eye) })
        {
            var c = Mean(Polygon(destination, loop));
            int x = (int)Math.Round(c.X), y = (int)Math.Round(c.Y);
            Assert.Equal(Skin, Pixel(frame, W, x, y));
            AssertClose(colour, Pixel(output, W, x, y), 2);
        }
    }

    [Fact]
    public void A_mouth_donor_puts_its_interior_into_the_destination_mouth_with_matched_colour()
    {
        var frame = Filled(W, H, Skin);
        var destination = MouthOpen;

        // The donor frame is darker (0.8 × the lighting), its open mouth a distinct red.
        var donorFrame = Filled(W, H, Scaled(Skin, 0.8));
        (byte R, byte G, byte B) interior = (200, 30, 40);
        Paint(donorFrame, W, H, Polygon(destination, FaceRegions.InnerLipLoop), Scaled(interior, 0.8));
        FeatureDonor[] donors = [new(FaceFeature.Mouth, donorFrame, destination)];

        var (output, result) = Render(frame, Neutral, destination, donors);

        // Gain 180/144 = 1.25 on every channel brings the interior back to its true colour.
        var mouth = Polygon(destination, FaceRegions.InnerLipLoop);
        var centre = Mean(mouth);
        var matched = 0;
        for (var y = (int)centre.Y - 4; y <= (int)centre.Y + 4; y++)
        {
            for (var x = (int)centre.X - 15; x <= (int)centre.X + 15; x++)
            {
                AssertClose(interior, Pixel(output, W, x, y), 3);
                matched++;
            }
        }

        Assert.Equal(31 * 9, matched);
        Assert.True(result.DonorPixels > 500, $"{result.DonorPixels} donor pixels");

        // Without colour matching the donor's darker red shows, and the skin around the lips stays the target's.
        var plain = new WarpRenderer(TestMesh.Canonical, new WarpRendererOptions { ColourBandPixels = 0 });
        var (unmatched, _) = Render(frame, Neutral, destination, donors, plain);
        AssertClose(Scaled(interior, 0.8), Pixel(unmatched, W, (int)Math.Round(centre.X), (int)Math.Round(centre.Y)), 1);
        var below = destination[17]; // the lower lip's outer midpoint
        Assert.Equal(Skin, Pixel(unmatched, W, (int)Math.Round(below.X), (int)Math.Round(below.Y) + 3));

        // With matching, the donor's lower lip (darker skin) blends in as the target's skin.
        var lip = new Point2((destination[17].X + destination[14].X) / 2, (destination[17].Y + destination[14].Y) / 2);
        AssertClose(Skin, Pixel(output, W, (int)Math.Round(lip.X), (int)Math.Round(lip.Y)), 2);
    }

    [Fact]
    public void An_eye_donor_replaces_only_its_own_eye()
    {
        var frame = Filled(W, H, Skin);
        var tracked = Neutral;
        (byte, byte, byte) open = (235, 235, 235), lid = (150, 100, 90);
        Paint(frame, W, H, Polygon(tracked, FaceRegions.LeftEyeLoop), open);
        Paint(frame, W, H, Polygon(tracked, FaceRegions.RightEyeLoop), open);
        var donorFrame = Filled(W, H, Skin);
        Paint(donorFrame, W, H, Polygon(tracked, FaceRegions.RightEyeLoop), lid);

        var (output, result) = Render(frame, tracked, tracked, [new FeatureDonor(FaceFeature.RightEye, donorFrame, tracked)]);

        var right = Mean(Polygon(tracked, FaceRegions.RightEyeLoop));
        var left = Mean(Polygon(tracked, FaceRegions.LeftEyeLoop));
        AssertClose(lid, Pixel(output, W, (int)Math.Round(right.X), (int)Math.Round(right.Y)), 1);
        Assert.Equal(open, Pixel(output, W, (int)Math.Round(left.X), (int)Math.Round(left.Y)));
        Assert.True(right.X < left.X, "the subject's right eye is on the image's left");
        Assert.True(result.DonorPixels > 100, $"{result.DonorPixels} donor pixels");
    }

    [Fact]
    public void Rendering_in_place_matches_rendering_into_a_separate_buffer()
    {
        var frame = Textured(W, H);
        var destination = Translate(MouthOpen, 1.5, -0.5);
        var (expected, _) = Render(frame, Neutral, destination);

        var inPlace = frame.ToArray();
        Shared.Value.Render(inPlace, W, H, Neutral, destination, [], inPlace);

        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        var frame = Textured(W, H);
        var output = new byte[frame.Length];
        var renderer = Shared.Value;

        Assert.Throws<ArgumentException>(() => renderer.Render(frame, W, H - 1, Neutral, Neutral, [], output));
        Assert.Throws<ArgumentException>(() => renderer.Render(frame, W, H, Neutral[..467], Neutral, [], output));
        var nan = Neutral;
        nan[5] = new Point2(double.NaN, 0);
        Assert.Throws<ArgumentException>(() => renderer.Render(frame, W, H, Neutral, nan, [], output));
        Assert.Throws<ArgumentException>(() => renderer.Render(frame, W, H, Neutral, Neutral, [new FeatureDonor(FaceFeature.Mouth, new byte[10], Neutral)], output));
    }
}
