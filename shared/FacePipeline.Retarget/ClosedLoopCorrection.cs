using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// One step of the renderer's closed loop (issue 13: the warp delivers the asked change as the landmark model sees it).
/// The rendered frame is tracked again; where its lips, lids and brows fall short of the destination mesh, the
/// destination is pushed further by the residual and the frame rendered again. The tracked result is first brought onto
/// the destination by the least-squares 2D similarity of the rigid points (<see cref="FaceBaseChooser.RigidPoints"/>),
/// so that a tracker's overall offset is never taken for an expression; only the expression points move, each by at most
/// <see cref="MaxShare"/> of the inter-ocular distance.
/// </summary>
public static class ClosedLoopCorrection
{
    /// <summary>How much of the residual is added (1: all of it).</summary>
    public const double Gain = 1.0;

    /// <summary>Largest push of one point, as a share of the inter-ocular distance.</summary>
    public const double MaxShare = 0.12;

    /// <summary>The points the loop corrects: lips, eyes and lids, brows.</summary>
    public static IReadOnlyList<int> ExpressionPoints { get; } =
        [.. FaceRegions.Lips.Concat(FaceRegions.EyesAndLids).Concat(FaceRegions.BrowContours).Distinct().Order()];

    /// <summary>
    /// Rounds of the loop per frame by default (track, correct, render the corrected regions again). One keeps the render
    /// stage within 1.5× of the open-loop renderer at 720p; a second round brings the small GRID face's ranges from
    /// 0.76 to 0.82 (mouth) and 0.68 to 0.81 (eyes) at about 1.3× (360x288) and 1.7× (720p) (docs/benchmarks.md).
    /// </summary>
    public const int DefaultRounds = 1;

    /// <summary>
    /// The corrected destination after one round: <paramref name="destination"/> (what the result must show) with
    /// each expression point moved by <see cref="Gain"/>·(destination − aligned result), the move clamped to
    /// <see cref="MaxShare"/>·IOD.
    /// </summary>
    public static Point2[] Correct(ReadOnlySpan<Point2> destination, ReadOnlySpan<Point2> rendered) => Correct(destination, destination, rendered);

    /// <summary>
    /// The next round's mesh: <paramref name="current"/> (the mesh the frame was last rendered with) with each expression
    /// point moved by <see cref="Gain"/>·(<paramref name="wanted"/> − aligned result), the total push away from
    /// <paramref name="wanted"/> clamped to <see cref="MaxShare"/>·IOD.
    /// </summary>
    public static Point2[] Correct(ReadOnlySpan<Point2> wanted, ReadOnlySpan<Point2> current, ReadOnlySpan<Point2> rendered)
    {
        WarpMesh.RequireMesh(wanted, nameof(wanted));
        WarpMesh.RequireMesh(current, nameof(current));
        WarpMesh.RequireMesh(rendered, nameof(rendered));
        var aligned = AlignRigid(rendered, wanted);
        var result = current.ToArray();
        var limit = MaxShare * InterOcular(wanted);
        foreach (var k in ExpressionPoints)
        {
            var dx = current[k].X - wanted[k].X + (Gain * (wanted[k].X - aligned[k].X));
            var dy = current[k].Y - wanted[k].Y + (Gain * (wanted[k].Y - aligned[k].Y));
            var length = Math.Sqrt((dx * dx) + (dy * dy));
            if (length > limit)
            {
                (dx, dy) = (dx * limit / length, dy * limit / length);
            }

            result[k] = new Point2(wanted[k].X + dx, wanted[k].Y + dy);
        }

        return result;
    }

    /// <summary>Every point of <paramref name="from"/> moved by the least-squares 2D similarity of its rigid points onto <paramref name="to"/>'s.</summary>
    public static Point2[] AlignRigid(ReadOnlySpan<Point2> from, ReadOnlySpan<Point2> to)
    {
        var rigid = FaceBaseChooser.RigidPoints;
        var n = rigid.Count;
        double fx = 0, fy = 0, tx = 0, ty = 0;
        foreach (var k in rigid)
        {
            (fx, fy, tx, ty) = (fx + from[k].X, fy + from[k].Y, tx + to[k].X, ty + to[k].Y);
        }

        (fx, fy, tx, ty) = (fx / n, fy / n, tx / n, ty / n);
        double re = 0, im = 0, norm = 0;
        foreach (var k in rigid)
        {
            var (px, py, qx, qy) = (from[k].X - fx, from[k].Y - fy, to[k].X - tx, to[k].Y - ty);
            re += (px * qx) + (py * qy);
            im += (px * qy) - (py * qx);
            norm += (px * px) + (py * py);
        }

        var (a, b) = norm > 0 ? (re / norm, im / norm) : (1.0, 0.0);
        var moved = new Point2[from.Length];
        for (var k = 0; k < from.Length; k++)
        {
            var (px, py) = (from[k].X - fx, from[k].Y - fy);
            moved[k] = new Point2((a * px) - (b * py) + tx, (b * px) + (a * py) + ty);
        }

        return moved;
    }

    /// <summary>Distance between the eye centres (33/133 and 362/263), pixels.</summary>
    public static double InterOcular(ReadOnlySpan<Point2> mesh)
    {
        var (rx, ry) = ((mesh[33].X + mesh[133].X) / 2, (mesh[33].Y + mesh[133].Y) / 2);
        var (lx, ly) = ((mesh[362].X + mesh[263].X) / 2, (mesh[362].Y + mesh[263].Y) / 2);
        return Math.Sqrt(((lx - rx) * (lx - rx)) + ((ly - ry) * (ly - ry)));
    }
}

/// <summary>Tracks the face of a rendered frame near where the renderer put it (the closed loop's eye).</summary>
public interface IRenderedFaceTracker
{
    /// <summary>
    /// The landmarks of the face around <paramref name="expected"/> (its 468-point mesh, at least) in <paramref name="rgb24"/>:
    /// the 468-point mesh, followed by the 10 iris points when the model is the refined one; null when it finds no face there.
    /// </summary>
    Point2[]? Track(ReadOnlySpan<byte> rgb24, int width, int height, ReadOnlySpan<Point2> expected);
}
