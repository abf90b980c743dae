using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// Picks, for each target frame, the resting frame whose face texture a retarget renders from (<see cref="FaceBase"/>):
/// the one whose rigid landmarks (forehead, nose, eye corners, cheeks) best match the frame's after a 2D
/// similarity alignment, so that the warp from the resting frame to the frame's pose is as small as it can be. The
/// mismatch is the RMS distance over those points divided by the frame's inter-ocular distance.
/// </summary>
public sealed class FaceBaseChooser
{
    /// <summary>Points that an expression hardly moves.</summary>
    public static IReadOnlyList<int> RigidPoints { get; } = [10, 151, 9, 8, 168, 6, 197, 195, 1, 33, 133, 362, 263, 234, 454];

    private readonly IReadOnlyList<Point2[]?> tracked;
    private readonly int[] resting;
    private readonly Point2[][] restingRigid;
    private readonly Dictionary<int, int> chosen = [];

    /// <param name="tracked">Per target frame, its tracked 468-point image mesh (null: none); read when a frame is first chosen for (it may make the meshes on demand).</param>
    /// <param name="resting">The resting frames to choose from (each with a mesh).</param>
    public FaceBaseChooser(IReadOnlyList<Point2[]?> tracked, IReadOnlyList<int> resting)
    {
        ArgumentNullException.ThrowIfNull(tracked);
        ArgumentNullException.ThrowIfNull(resting);
        this.tracked = tracked;
        this.resting = [.. resting.Where(f => f >= 0 && f < tracked.Count && tracked.HasFace(f)).Distinct().Order()];
        if (this.resting.Length == 0)
        {
            throw new ArgumentException("No resting frame has a tracked face.", nameof(resting));
        }

        // Only the rigid points take part in the choice: the resting frames keep those alone (issue 16: memory flat in length).
        restingRigid = [.. this.resting.Select(r => RigidOf(tracked[r]!))];
    }

    /// <summary>The resting frame to render target frame <paramref name="frame"/> from (it must have a mesh).</summary>
    public int Choose(int frame)
    {
        if (chosen.TryGetValue(frame, out var known))
        {
            return known;
        }

        var mesh = RigidOf(tracked[frame] ?? throw new ArgumentException($"Target frame {frame} has no tracked face.", nameof(frame)));
        var best = 0;
        var bestMismatch = RigidMismatch(restingRigid[0], mesh);
        for (var k = 1; k < resting.Length; k++)
        {
            var mismatch = RigidMismatch(restingRigid[k], mesh);
            if (mismatch.CompareTo(bestMismatch) < 0) // as MinBy orders them (NaN first)
            {
                (best, bestMismatch) = (k, mismatch);
            }
        }

        chosen[frame] = resting[best];
        return resting[best];
    }

    /// <summary>RMS distance of the rigid points after the least-squares 2D similarity from <paramref name="from"/> onto <paramref name="to"/>, over <paramref name="to"/>'s inter-ocular distance.</summary>
    public static double Mismatch(Point2[] from, Point2[] to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var aligned = ClosedLoopCorrection.AlignRigid(from, to);
        double sum = 0;
        foreach (var k in RigidPoints)
        {
            var (dx, dy) = (aligned[k].X - to[k].X, aligned[k].Y - to[k].Y);
            sum += (dx * dx) + (dy * dy);
        }

        return Math.Sqrt(sum / RigidPoints.Count) / Math.Max(ClosedLoopCorrection.InterOcular(to), 1e-9);
    }

    /// <summary>A mesh's <see cref="RigidPoints"/>, in that order.</summary>
    private static Point2[] RigidOf(Point2[] mesh) => [.. RigidPoints.Select(k => mesh[k])];

    /// <summary>
    /// <see cref="Mismatch"/> of two meshes given by their <see cref="RigidPoints"/> alone (<see cref="RigidOf"/>): the same
    /// arithmetic in the same order (<see cref="ClosedLoopCorrection.AlignRigid"/> and <see cref="ClosedLoopCorrection.InterOcular"/>
    /// read only those points), so the same value to the bit.
    /// </summary>
    private static double RigidMismatch(Point2[] from, Point2[] to)
    {
        var n = from.Length;
        double fx = 0, fy = 0, tx = 0, ty = 0;
        for (var k = 0; k < n; k++)
        {
            (fx, fy, tx, ty) = (fx + from[k].X, fy + from[k].Y, tx + to[k].X, ty + to[k].Y);
        }

        (fx, fy, tx, ty) = (fx / n, fy / n, tx / n, ty / n);
        double re = 0, im = 0, norm = 0;
        for (var k = 0; k < n; k++)
        {
            var (px, py, qx, qy) = (from[k].X - fx, from[k].Y - fy, to[k].X - tx, to[k].Y - ty);
            re += (px * qx) + (py * qy);
            im += (px * qy) - (py * qx);
            norm += (px * px) + (py * py);
        }

        var (a, b) = norm > 0 ? (re / norm, im / norm) : (1.0, 0.0);
        double sum = 0;
        for (var k = 0; k < n; k++)
        {
            var (px, py) = (from[k].X - fx, from[k].Y - fy);
            var aligned = new Point2((a * px) - (b * py) + tx, (b * px) + (a * py) + ty);
            var (dx, dy) = (aligned.X - to[k].X, aligned.Y - to[k].Y);
            sum += (dx * dx) + (dy * dy);
        }

        // The inter-ocular distance of `to` from its eye corners 33, 133, 362, 263 (rigid points 9, 10, 11, 12).
        var (rx, ry) = ((to[9].X + to[10].X) / 2, (to[9].Y + to[10].Y) / 2);
        var (lx, ly) = ((to[11].X + to[12].X) / 2, (to[11].Y + to[12].Y) / 2);
        var iod = Math.Sqrt(((lx - rx) * (lx - rx)) + ((ly - ry) * (ly - ry)));
        return Math.Sqrt(sum / n) / Math.Max(iod, 1e-9);
    }
}
