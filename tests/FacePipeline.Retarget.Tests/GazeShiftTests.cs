using FacePipeline.Retarget;

namespace FacePipeline.Retarget.Tests;

public sealed class GazeShiftTests
{
    private const int Width = 320;
    private const int Height = 320;

    [Fact]
    public void An_eyes_gaze_is_its_iris_centre_from_the_middle_of_the_corners_over_the_eyes_width()
    {
        var mesh = Mesh();
        var refined = WithIrises(mesh, rightShift: (3, 1), leftShift: (-2, 0));
        var (a, b, _) = GazeShift.Points(Eye.Right);
        var width = Math.Sqrt(Math.Pow(mesh[b].X - mesh[a].X, 2) + Math.Pow(mesh[b].Y - mesh[a].Y, 2));

        var right = EyeGaze.Of(refined, Eye.Right)!.Value;
        Assert.Equal(3 / width, right.Across, 2);
        Assert.Equal(1 / width, right.Down, 2);
        Assert.True(EyeGaze.Of(refined, Eye.Left)!.Value.Across < 0, "the left iris looks towards the image's left");
        Assert.Null(EyeGaze.Of(mesh, Eye.Right)); // 468 points: no irises
    }

    [Fact]
    public void The_iris_moves_by_the_asked_share_of_the_eyes_width_and_nothing_outside_the_lids_changes()
    {
        var mesh = Mesh();
        var frame = EyeFrame(mesh, Eye.Right, irisOffset: 0);
        var before = frame.ToArray();
        var (a, b, _) = GazeShift.Points(Eye.Right);
        var eyeWidth = mesh[b].X - mesh[a].X;

        var painted = GazeShift.Paint(frame, Width, Height, mesh, Eye.Right, across: 0.15, down: 0);

        Assert.True(painted > 20, $"{painted} pixels");
        var moved = DarkCentroidX(frame, mesh, Eye.Right) - DarkCentroidX(before, mesh, Eye.Right);
        Assert.InRange(moved, (0.15 * eyeWidth) - 1, (0.15 * eyeWidth) + 1);
        for (var i = 0; i < frame.Length; i += 3)
        {
            var (x, y) = ((i / 3) % Width, (i / 3) / Width);
            if (x < mesh[a].X - 2 || x > mesh[b].X + 2 || Math.Abs(y - ((mesh[a].Y + mesh[b].Y) / 2)) > eyeWidth)
            {
                Assert.Equal(before[i], frame[i]); // far from the eye: untouched
            }
        }

        // The other eye is not touched either.
        var left = EyeFrame(mesh, Eye.Left, irisOffset: 0);
        Assert.Equal(0, GazeShift.Paint(left, Width, Height, mesh, Eye.Right, across: 0, down: 0));
    }

    [Fact]
    public void A_shift_is_bounded_by_the_eye_so_an_iris_cannot_leave_it()
    {
        var mesh = Mesh();
        var far = EyeFrame(mesh, Eye.Left, irisOffset: 0);
        var bounded = EyeFrame(mesh, Eye.Left, irisOffset: 0);
        GazeShift.Paint(far, Width, Height, mesh, Eye.Left, across: 2.0, down: 0);
        GazeShift.Paint(bounded, Width, Height, mesh, Eye.Left, across: GazeShift.MaxShare, down: 0);
        Assert.Equal(bounded, far);
    }

    private static Point2[] Mesh() => FaceImages.Project(TestMesh.Neutral, 14, Width / 2.0, Height / 2.0);

    private static Point2[] WithIrises(Point2[] mesh, (double X, double Y) rightShift, (double X, double Y) leftShift)
    {
        var refined = new Point2[ExpressionFeatures.RefinedPointCount];
        mesh.CopyTo(refined, 0);
        var (ra, rb, _) = GazeShift.Points(Eye.Right);
        var (la, lb, _) = GazeShift.Points(Eye.Left);
        for (var k = 0; k < 5; k++)
        {
            refined[468 + k] = new Point2(((mesh[ra].X + mesh[rb].X) / 2) + rightShift.X, ((mesh[ra].Y + mesh[rb].Y) / 2) + rightShift.Y);
            refined[473 + k] = new Point2(((mesh[la].X + mesh[lb].X) / 2) + leftShift.X, ((mesh[la].Y + mesh[lb].Y) / 2) + leftShift.Y);
        }

        return refined;
    }

    /// <summary>Skin; inside the eye's lids a white eye with a dark iris (a disc a third of the eye wide) at its middle.</summary>
    private static byte[] EyeFrame(Point2[] mesh, Eye eye, double irisOffset)
    {
        var frame = FaceImages.Filled(Width, Height, FaceImages.Skin);
        var loop = eye == Eye.Right ? FaceRegions.RightEyeLoop : FaceRegions.LeftEyeLoop;
        FaceImages.Paint(frame, Width, Height, [.. loop.Select(k => mesh[k])], (240, 240, 235));
        var (a, b, _) = GazeShift.Points(eye);
        var (cx, cy) = (((mesh[a].X + mesh[b].X) / 2) + irisOffset, (mesh[a].Y + mesh[b].Y) / 2);
        var radius = (mesh[b].X - mesh[a].X) / 6;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var k = ((y * Width) + x) * 3;
                if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= radius * radius && frame[k] == 240)
                {
                    (frame[k], frame[k + 1], frame[k + 2]) = (40, 30, 25);
                }
            }
        }

        return frame;
    }

    private static double DarkCentroidX(byte[] frame, Point2[] mesh, Eye eye)
    {
        var (a, b, _) = GazeShift.Points(eye);
        double sum = 0, weight = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = (int)mesh[a].X; x <= (int)mesh[b].X; x++)
            {
                var darkness = Math.Clamp((160 - frame[((y * Width) + x) * 3]) / 120.0, 0, 1); // the iris (40) counts fully, the skin (180) and the white not at all
                if (Math.Abs(y - mesh[a].Y) < 20)
                {
                    sum += x * darkness;
                    weight += darkness;
                }
            }
        }

        return sum / weight;
    }
}
