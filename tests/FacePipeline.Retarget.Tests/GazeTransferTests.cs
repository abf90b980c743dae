using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.Retarget.Tests;

public sealed class GazeTransferTests
{
    [Fact]
    public void The_performers_offset_from_its_resting_gaze_lands_on_the_actors_own_resting_gaze()
    {
        // A performer resting (frames 0-2) with the irises at the eyes' middles, then looking right by 3 px (frame 3-5).
        var performer = Clip([0, 0, 0, 3, 3, 3]);
        var gaze = GazeTransfer.Of(performer);
        var neutral = GazeTransfer.Neutral(performer, [0, 1, 2], Eye.Right)!.Value;
        Assert.Equal(0, neutral.Across, 9);

        var mean = new EyeGaze((GazeTransfer.Neutral(performer, [0, 1, 2], Eye.Right)!.Value.Across + GazeTransfer.Neutral(performer, [0, 1, 2], Eye.Left)!.Value.Across) / 2, 0);
        var offset = GazeTransfer.OffsetAt(gaze, mean, 4)!.Value;
        var eyeWidth = EyeWidth(performer.Frames[0]!);
        Assert.Equal(3 / eyeWidth, offset.Across, 3); // the two eyes averaged (their widths differ by a hair)
        Assert.Equal(offset.Across / 2, GazeTransfer.OffsetAt(gaze, mean, 2.5)!.Value.Across, 9); // halfway between frames 2 and 3

        // An actor whose resting iris sits 0.05 eye widths left, on a texture frame where it is 0.02 right: the shift.
        var shift = GazeTransfer.Shift(new EyeGaze(-0.05, 0.01), offset, new EyeGaze(0.02, 0.0));
        Assert.Equal(-0.05 + offset.Across - 0.02, shift.Across, 9);
        Assert.Equal(0.01, shift.Down, 9);
    }

    [Fact]
    public void Clips_tracked_without_irises_have_no_gaze()
    {
        var plain = Clip([0, 0, 0], withIrises: false);
        Assert.All(GazeTransfer.Of(plain), g => Assert.Null(g));
        Assert.Null(GazeTransfer.Neutral(plain, [0], Eye.Left));
        Assert.Null(GazeTransfer.OffsetAt(GazeTransfer.Of(plain), new EyeGaze(0, 0), 1));
    }

    /// <summary>A clip of the canonical face, frontal, whose irises sit <paramref name="across"/> pixels right of each eye's middle.</summary>
    private static RetargetClip Clip(double[] across, bool withIrises = true)
    {
        var screen = FaceImages.Project(TestMesh.Neutral, 14, 160, 160).Select(p => new Vec3(p.X, p.Y, 0)).ToArray();
        var frames = across.Select(dx =>
        {
            Vec3[]? irises = null;
            if (withIrises)
            {
                var (ra, rb, _) = GazeShift.Points(Eye.Right);
                var (la, lb, _) = GazeShift.Points(Eye.Left);
                var right = new Vec3(((screen[ra].X + screen[rb].X) / 2) + dx, (screen[ra].Y + screen[rb].Y) / 2, 0);
                var left = new Vec3(((screen[la].X + screen[lb].X) / 2) + dx, (screen[la].Y + screen[lb].Y) / 2, 0);
                irises = [.. Enumerable.Repeat(right, 5), .. Enumerable.Repeat(left, 5)];
            }

            return (ClipFace?)new ClipFace(screen, new FacePose(Matrix3.Identity, new Vec3(0, 0, -50), 1), TestMesh.Neutral, irises);
        }).ToList();
        return new RetargetClip(frames, new FrameRate(25, 1), 320, 320);
    }

    private static double EyeWidth(ClipFace face)
    {
        var (a, b, _) = GazeShift.Points(Eye.Right);
        return Math.Sqrt(Math.Pow(face.Screen[b].X - face.Screen[a].X, 2) + Math.Pow(face.Screen[b].Y - face.Screen[a].Y, 2));
    }
}
