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
    private readonly Dictionary<int, int> chosen = [];

    /// <param name="tracked">Per target frame, its tracked 468-point image mesh (null: none).</param>
    /// <param name="resting">The resting frames to choose from (each with a mesh).</param>
    public FaceBaseChooser(IReadOnlyList<Point2[]?> tracked, IReadOnlyList<int> resting)
    {
        ArgumentNullException.ThrowIfNull(tracked);
        ArgumentNullException.ThrowIfNull(resting);
        this.tracked = tracked;
        this.resting = [.. resting.Where(f => f >= 0 && f < tracked.Count && tracked[f] is not null).Distinct().Order()];
        if (this.resting.Length == 0)
        {
            throw new ArgumentException("No resting frame has a tracked face.", nameof(resting));
        }
    }

    /// <summary>The resting frame to render target frame <paramref name="frame"/> from (it must have a mesh).</summary>
    public int Choose(int frame)
    {
        if (chosen.TryGetValue(frame, out var known))
        {
            return known;
        }

        var mesh = tracked[frame] ?? throw new ArgumentException($"Target frame {frame} has no tracked face.", nameof(frame));
        var best = resting.MinBy(r => Mismatch(tracked[r]!, mesh));
        chosen[frame] = best;
        return best;
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
}
