using FacePipeline.Retarget;

namespace FacePipeline.Retarget.Tests;

public sealed class MouthInteriorTests
{
    private const int Width = 320;
    private const int Height = 320;
    private static readonly (byte R, byte G, byte B) Lips = (190, 90, 95);

    [Fact]
    public void A_mouth_opened_within_the_stretch_limit_of_its_source_is_left_to_the_warp()
    {
        var closed = Mesh(jawCm: 0);
        var open = Mesh(jawCm: 1.5);
        var frame = LipsFrame(open);
        var untouched = frame.ToArray();

        Assert.Equal(0, MouthInterior.Paint(frame, Width, Height, open, open)); // the source opens as wide: nothing stretched
        Assert.Equal(0, MouthInterior.Paint(frame, Width, Height, closed, closed)); // a closed mouth: nothing to paint
        Assert.Equal(untouched, frame);
    }

    [Fact]
    public void A_mouth_opened_from_a_closed_one_gets_a_dark_cavity_inside_the_lips_and_nothing_outside_them()
    {
        var closed = Mesh(jawCm: 0);
        var open = Mesh(jawCm: 1.5);
        Assert.True(MouthInterior.Opening(open) > 2.5 * MouthInterior.Opening(closed));
        var frame = LipsFrame(open); // what the warp leaves: lip colour stretched over the whole opening
        var before = frame.ToArray();

        var painted = MouthInterior.Paint(frame, Width, Height, open, closed);

        Assert.True(painted > 50, $"{painted} pixels painted");
        var centre = Mid(open[13], open[14]);
        var (r, g, b) = At(frame, centre);
        Assert.True(r < Lips.R * 0.4 && g < Lips.G * 0.4 && b < Lips.B * 0.4, $"the cavity's centre is dark: ({r}, {g}, {b})");
        Assert.True(r > g && r > b, "and reddish, from the lips' own colour");

        // Darker in the middle of the opening than near the upper lip (the inside's shading).
        var nearLip = new Point2(centre.X + (0.15 * (open[13].X - centre.X) * 2), open[13].Y + 2);
        Assert.True(At(frame, nearLip).R > r, $"near the lip {At(frame, nearLip).R}, middle {r}");

        // Outside the inner lip contour nothing changed: the lips, the skin.
        foreach (var outside in new[] { new Point2(open[13].X, open[13].Y - 4), new Point2(open[14].X, open[14].Y + 4), new Point2(open[61].X - 6, open[61].Y), new Point2(20, 20) })
        {
            Assert.Equal(At(before, outside), At(frame, outside));
        }
    }

    [Fact]
    public void The_sources_own_gap_hangs_from_the_upper_lip_at_its_real_height_instead_of_stretched()
    {
        var source = Mesh(jawCm: 0.2); // a narrow gap showing the upper teeth
        var open = Mesh(jawCm: 1.5);
        var stretch = MouthInterior.Opening(open) / MouthInterior.Opening(source);
        Assert.True(stretch > 2, $"stretch {stretch:F2}");

        // What the warp left: the teeth (white) stretched over the whole opening below the upper lip.
        var frame = LipsFrame(open);
        var top = open[13].Y;
        var gap = open[14].Y - top;
        FillRows(frame, open[13].X - 3, open[13].X + 3, (int)Math.Ceiling(top), (int)Math.Floor(open[14].Y), (245, 245, 240));

        MouthInterior.Paint(frame, Width, Height, open, source);

        var teethHeight = gap / stretch; // the source's own gap in the destination's scale
        Assert.True(At(frame, new Point2(open[13].X, top + (0.4 * teethHeight))).G > 200, "teeth at their real height below the upper lip");
        Assert.True(At(frame, new Point2(open[13].X, top + (0.6 * gap))).G < 80, "below them, the cavity: the teeth are not stretched down");
    }

    [Fact]
    public void The_same_call_paints_the_same_pixels_and_a_rolled_head_is_painted_inside_its_own_lips()
    {
        var closed = Rotate(Mesh(jawCm: 0), 25);
        var open = Rotate(Mesh(jawCm: 1.5), 25);
        var first = LipsFrame(open);
        var second = LipsFrame(open);
        Assert.True(MouthInterior.Paint(first, Width, Height, open, closed) > 0);
        MouthInterior.Paint(second, Width, Height, open, closed);
        Assert.Equal(first, second);
        Assert.True(At(first, Mid(open[13], open[14])).G < Lips.G * 0.4, "the rolled mouth's centre is dark");
    }

    [Fact]
    public void The_warp_renderer_paints_the_inside_only_when_asked_to()
    {
        var closed = Mesh(jawCm: 0);
        var open = Mesh(jawCm: 1.5);
        var frame = LipsFrame(closed);
        var painted = new byte[frame.Length];
        var plain = new byte[frame.Length];
        new WarpRenderer(TestMesh.Canonical).Render(frame, Width, Height, closed, open, [], painted);
        new WarpRenderer(TestMesh.Canonical, new WarpRendererOptions { PaintMouthInterior = false }).Render(frame, Width, Height, closed, open, [], plain);

        var centre = Mid(open[13], open[14]);
        Assert.True(At(painted, centre).G < Lips.G * 0.4, $"painted: {At(painted, centre)}");
        Assert.True(At(plain, centre).G > Lips.G * 0.8, $"the warp alone stretches the lips: {At(plain, centre)}");
    }

    /// <summary>The canonical face, frontal, 14 px per cm, with the jaw dropped by <paramref name="jawCm"/>.</summary>
    private static Point2[] Mesh(double jawCm) => FaceImages.Project(FaceImages.JawDrop(TestMesh.Neutral, jawCm), 14, Width / 2.0, Height / 2.0);

    /// <summary>Skin with the whole outer lip contour in lip colour (the inside too: what stretching leaves).</summary>
    private static byte[] LipsFrame(Point2[] mesh)
    {
        var frame = FaceImages.Filled(Width, Height, FaceImages.Skin);
        FaceImages.Paint(frame, Width, Height, [.. FaceRegions.OuterLipLoop.Select(k => mesh[k])], Lips);
        return frame;
    }

    private static void FillRows(byte[] frame, double x0, double x1, int y0, int y1, (byte R, byte G, byte B) colour)
    {
        for (var y = y0; y <= y1; y++)
        {
            for (var x = (int)Math.Floor(x0); x <= (int)Math.Ceiling(x1); x++)
            {
                var k = ((y * Width) + x) * 3;
                (frame[k], frame[k + 1], frame[k + 2]) = colour;
            }
        }
    }

    private static Point2[] Rotate(Point2[] mesh, double degrees)
    {
        var (c, s) = (Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180));
        var (cx, cy) = (Width / 2.0, Height / 2.0);
        return [.. mesh.Select(p => new Point2(cx + ((p.X - cx) * c) - ((p.Y - cy) * s), cy + ((p.X - cx) * s) + ((p.Y - cy) * c)))];
    }

    private static Point2 Mid(Point2 a, Point2 b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);

    private static (byte R, byte G, byte B) At(byte[] frame, Point2 p)
    {
        var k = ((((int)Math.Round(p.Y)) * Width) + (int)Math.Round(p.X)) * 3;
        return (frame[k], frame[k + 1], frame[k + 2]);
    }
}
