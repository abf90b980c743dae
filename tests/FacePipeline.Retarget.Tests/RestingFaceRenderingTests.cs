using FacePipeline.Geometry;
using static FacePipeline.Retarget.Tests.FaceImages;

namespace FacePipeline.Retarget.Tests;

/// <summary>Issue 13: the result carries the performer's expression on the actor's resting face, at full strength.</summary>
public sealed class RestingFaceRenderingTests
{
    private const int W = 400;
    private const int H = 400;
    private const double Scale = 12; // px per cm: a face about 190 px wide

    private static readonly Lazy<WarpRenderer> Renderer = new(() => new WarpRenderer(TestMesh.Canonical));

    private static Point2[] Neutral => Project(TestMesh.Neutral, Scale, 200, 190);

    [Fact]
    public void The_face_inside_the_oval_comes_from_the_resting_frame_and_the_frame_outside_the_ring_is_untouched()
    {
        var frame = Textured(W, H);
        var resting = (byte[])frame.Clone();
        var nose = Neutral[1];
        var mark = new[] { new Point2(nose.X - 12, nose.Y - 12), new Point2(nose.X + 12, nose.Y - 12), new Point2(nose.X + 12, nose.Y + 12), new Point2(nose.X - 12, nose.Y + 12) };
        Paint(resting, W, H, mark, (200, 30, 30)); // something on the resting frame's face the target frame does not have

        var output = new byte[frame.Length];
        Renderer.Value.Render(frame, W, H, Neutral, Neutral, [], output, new FaceBase(resting, Neutral));
        AssertClose((200, 30, 30), Pixel(output, W, (int)nose.X, (int)nose.Y), 3);

        var ring = Ring(Neutral);
        var changedOutside = 0;
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                if (!Inside(ring, x, y) && Pixel(output, W, x, y) != Pixel(frame, W, x, y))
                {
                    changedOutside++;
                }
            }
        }

        Assert.Equal(0, changedOutside);

        // With the target frame itself as the resting frame, nothing changes.
        Renderer.Value.Render(frame, W, H, Neutral, Neutral, [], output, new FaceBase(frame, Neutral));
        Assert.InRange(Enumerable.Range(0, frame.Length).Max(i => Math.Abs(frame[i] - output[i])), 0, 1);
    }

    [Fact]
    public void The_resting_frame_nearest_in_head_pose_is_chosen_and_the_mismatch_ignores_a_similarity()
    {
        var front = Neutral;
        var turned = Project(Yawed(TestMesh.Neutral, 30), Scale, 200, 190);
        var movedFront = Similar(front, 0.3, 1.4, 35, -20);
        Assert.InRange(FaceBaseChooser.Mismatch(front, movedFront), 0, 1e-9);
        Assert.True(FaceBaseChooser.Mismatch(front, turned) > 0.01);

        var tracked = new Point2[]?[] { front, turned, null, Similar(turned, -0.2, 0.8, 5, 5), movedFront };
        var chooser = new FaceBaseChooser(tracked, [0, 1, 2]);
        Assert.Equal(1, chooser.Choose(3));
        Assert.Equal(0, chooser.Choose(4));
        Assert.Throws<ArgumentException>(() => new FaceBaseChooser(tracked, [2]));
    }

    [Fact]
    public void The_closed_loop_adds_what_the_tracker_missed_to_the_lips_only_and_ignores_a_rigid_offset()
    {
        var neutral = Neutral;
        var wanted = Project(TestMesh.MouthOpen(TestMesh.Neutral, 0.6), Scale, 200, 190);
        var half = neutral.Zip(wanted, (n, d) => new Point2(n.X + (0.5 * (d.X - n.X)), n.Y + (0.5 * (d.Y - n.Y)))).ToArray();
        var seen = Similar(half, 0.05, 1.03, 4, -3); // the tracker sees half the opening, and the face a little off

        var corrected = ClosedLoopCorrection.Correct(wanted, seen);
        var expression = ClosedLoopCorrection.ExpressionPoints.ToHashSet();
        var limit = ClosedLoopCorrection.MaxShare * ClosedLoopCorrection.InterOcular(wanted);
        for (var k = 0; k < wanted.Length; k++)
        {
            var moved = Distance(corrected[k], wanted[k]);
            if (!expression.Contains(k))
            {
                Assert.Equal(0, moved, 9);
                continue;
            }

            Assert.True(moved <= limit + 1e-9, $"point {k} moved {moved:F2} px, more than {limit:F2}");
            var missed = new Point2(wanted[k].X - half[k].X, wanted[k].Y - half[k].Y);
            var push = new Point2(corrected[k].X - wanted[k].X, corrected[k].Y - wanted[k].Y);
            if (Math.Sqrt((missed.X * missed.X) + (missed.Y * missed.Y)) < limit)
            {
                Assert.InRange(Distance(push, missed), 0, 0.05); // the residual itself, once the offset is taken out
            }
        }

        Assert.Contains(13, expression);
        Assert.Contains(17, expression);
        Assert.DoesNotContain(1, expression);
        var lowerLip = wanted[17].Y - half[17].Y;
        Assert.True(lowerLip > 0.5, $"the test's mouth opens ({lowerLip:F2} px missed at the lower lip)");
        Assert.Equal(lowerLip, corrected[17].Y - wanted[17].Y, 1); // pushed further down by what was missed
    }

    [Fact]
    public void A_second_round_adds_what_is_still_missing_and_the_total_push_stays_bounded()
    {
        var neutral = Neutral;
        var wanted = Project(TestMesh.MouthOpen(TestMesh.Neutral, 0.6), Scale, 200, 190);
        var half = neutral.Zip(wanted, (n, d) => new Point2(n.X + (0.5 * (d.X - n.X)), n.Y + (0.5 * (d.Y - n.Y)))).ToArray();

        var first = ClosedLoopCorrection.Correct(wanted, half);
        // The tracker now sees three quarters of the wanted opening: the second round adds the missing quarter.
        var threeQuarters = neutral.Zip(wanted, (n, d) => new Point2(n.X + (0.75 * (d.X - n.X)), n.Y + (0.75 * (d.Y - n.Y)))).ToArray();
        var second = ClosedLoopCorrection.Correct(wanted, first, threeQuarters);
        var missed = 0.25 * (wanted[17].Y - neutral[17].Y);
        Assert.Equal(missed, second[17].Y - first[17].Y, 6);
        Assert.Equal(first[1], second[1]); // the nose tip is not an expression point

        // However often the tracker falls short, no point is pushed further than MaxShare·IOD from the wanted mesh.
        var limit = ClosedLoopCorrection.MaxShare * ClosedLoopCorrection.InterOcular(wanted);
        var current = wanted;
        for (var round = 0; round < 10; round++)
        {
            current = ClosedLoopCorrection.Correct(wanted, current, neutral);
        }

        Assert.All(ClosedLoopCorrection.ExpressionPoints, k => Assert.True(Distance(current[k], wanted[k]) <= limit + 1e-9));
    }

    [Fact]
    public void Rendering_a_closed_loop_correction_again_gives_the_full_render_of_the_corrected_mesh()
    {
        var frame = Textured(W, H);
        var resting = Filled(W, H, Skin);
        Paint(resting, W, H, Polygon(Neutral, FaceRegions.OuterLipLoop), (150, 60, 70));
        var donorFrame = Filled(W, H, Scaled(Skin, 0.9));
        var open = Project(TestMesh.MouthOpen(TestMesh.Neutral, 1.2), Scale, 200, 190);
        Paint(donorFrame, W, H, Polygon(open, FaceRegions.InnerLipLoop), (30, 10, 10));
        var donors = new[] { new FeatureDonor(FaceFeature.Mouth, donorFrame, open) };
        var tracked = Translate(Neutral, 3, -2);
        var destination = Project(TestMesh.MouthOpen(TestMesh.Neutral, 0.8), Scale, 200, 190);
        var seen = Project(TestMesh.MouthOpen(TestMesh.Neutral, 0.5), Scale, 200, 190);
        var corrected = ClosedLoopCorrection.Correct(destination, seen);
        var faceBase = new FaceBase(resting, Neutral);

        var renderer = new WarpRenderer(TestMesh.Canonical);
        var twice = new byte[frame.Length];
        renderer.Render(frame, W, H, tracked, destination, donors, twice, faceBase);
        var again = renderer.RenderCorrected(frame, W, H, tracked, corrected, donors, twice, faceBase);
        Assert.Equal(0, again.WarpedPixels); // the partial path was taken

        var once = new byte[frame.Length];
        new WarpRenderer(TestMesh.Canonical).Render(frame, W, H, tracked, corrected, donors, once, faceBase);
        var worst = Enumerable.Range(0, frame.Length).Max(i => Math.Abs(once[i] - twice[i]));
        Assert.InRange(worst, 0, 1);
        Assert.True(Enumerable.Range(0, frame.Length).Count(i => once[i] != frame[i]) > 1000, "the render changed the frame");
    }

    private static Vec3[] Yawed(Vec3[] face, double degrees)
    {
        var (c, s) = (Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180));
        return [.. face.Select(p => new Vec3((c * p.X) + (s * p.Z), p.Y, (-s * p.X) + (c * p.Z)))];
    }

    private static Point2[] Similar(Point2[] mesh, double radians, double scale, double dx, double dy)
    {
        var (c, s) = (Math.Cos(radians) * scale, Math.Sin(radians) * scale);
        return [.. mesh.Select(p => new Point2((c * p.X) - (s * p.Y) + dx, (s * p.X) + (c * p.Y) + dy))];
    }

    private static double Distance(Point2 a, Point2 b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));

    private static Point2[] Ring(Point2[] tracked)
    {
        var points = new Point2[WarpMesh.PointCount];
        Renderer.Value.Mesh.Extend(tracked, tracked, points);
        return points[WarpMesh.RingStart..(WarpMesh.RingStart + WarpMesh.RingCount)];
    }
}
