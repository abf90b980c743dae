namespace FacePipeline.Retarget;

/// <summary>Which eye: the subject's right or left.</summary>
public enum Eye
{
    /// <summary>The subject's right eye (corners 33, 133; iris centre 468).</summary>
    Right,

    /// <summary>The subject's left eye (corners 362, 263; iris centre 473).</summary>
    Left,
}

/// <summary>Where an iris sits in its eye, in eye widths (issue 13's gaze measure, per eye).</summary>
/// <param name="Across">The iris centre from the middle of the eye's corners along the eye line, over the eye's width; positive towards the image's right.</param>
/// <param name="Down">The iris centre below that middle, over the eye's width; positive downwards.</param>
public readonly record struct EyeGaze(double Across, double Down)
{
    /// <summary>The gaze of one eye from a face's 478 refined points (the 468-point mesh, then the irises), or null with 468 points.</summary>
    public static EyeGaze? Of(ReadOnlySpan<Point2> refined, Eye eye)
    {
        if (refined.Length < ExpressionFeatures.RefinedPointCount)
        {
            return null;
        }

        var (a, b, iris) = GazeShift.Points(eye);
        var (ux, uy, width) = Axis(refined[a], refined[b]);
        if (!(width > 0))
        {
            return null;
        }

        var (mx, my) = ((refined[a].X + refined[b].X) / 2, (refined[a].Y + refined[b].Y) / 2);
        var (dx, dy) = (refined[iris].X - mx, refined[iris].Y - my);
        return new EyeGaze(((dx * ux) + (dy * uy)) / width, ((-dx * uy) + (dy * ux)) / width);
    }

    /// <summary>Both eyes' gaze averaged (the eyes move together), or null with 468 points.</summary>
    public static EyeGaze? Both(ReadOnlySpan<Point2> refined) =>
        Of(refined, Eye.Right) is { } r && Of(refined, Eye.Left) is { } l ? new EyeGaze((r.Across + l.Across) / 2, (r.Down + l.Down) / 2) : null;

    /// <summary>The unit vector from the image-left corner to the image-right one, and the eye's width.</summary>
    internal static (double Ux, double Uy, double Width) Axis(Point2 a, Point2 b)
    {
        var (dx, dy) = (b.X - a.X, b.Y - a.Y);
        var width = Math.Sqrt((dx * dx) + (dy * dy));
        return width > 0 ? (dx / width, dy / width, width) : (1, 0, 0);
    }
}

/// <summary>
/// Moves an eye's iris within its lids (issue 13: the performer's gaze, relative to the head, on the actor): inside the
/// eye's lid margin (<see cref="FaceRegions.RightEyeLoop"/>, <see cref="FaceRegions.LeftEyeLoop"/>) every pixel is
/// taken from where it was shifted by the wanted move times a weight that is 1 at the eye's middle and falls to 0 at the
/// corners, (1 − u²) with u from −1 to 1 corner to corner, so the iris moves by the whole shift, the white on the side
/// it moves to is compressed and on the other stretched, and the corners and lids stay. Bilinear sampling; the edge
/// along the lids is anti-aliased by a one-pixel coverage. Pure function of its inputs.
/// </summary>
public static class GazeShift
{
    /// <summary>Shifts smaller than this many pixels are not painted.</summary>
    public const double MinShiftPixels = 0.25;

    /// <summary>The largest shift, as a share of the eye's width (an iris cannot leave the eye).</summary>
    public const double MaxShare = 0.3;

    /// <summary>The corners (image-left one first for a frontal face: outer right-eye corner 33, inner left-eye corner 362) and the iris centre of an eye.</summary>
    public static (int A, int B, int Iris) Points(Eye eye) => eye == Eye.Right ? (33, 133, 468) : (362, 263, 473);

    /// <summary>
    /// Moves the iris of <paramref name="eye"/> by <paramref name="across"/> and <paramref name="down"/> eye widths
    /// (along the eye line and across it) in <paramref name="frame"/> (RGB24), inside the lids of
    /// <paramref name="mesh"/> (the 468-point mesh the frame shows). Returns the pixels painted.
    /// </summary>
    public static int Paint(Span<byte> frame, int width, int height, ReadOnlySpan<Point2> mesh, Eye eye, double across, double down)
    {
        PiecewiseAffineWarp.RequireImage(frame.Length, width, height, nameof(frame));
        if (mesh.Length < WarpMesh.FacePointCount)
        {
            throw new ArgumentException($"Expected the {WarpMesh.FacePointCount}-point face mesh, got {mesh.Length} points.", nameof(mesh));
        }

        var (a, b, _) = Points(eye);
        var (ux, uy, eyeWidth) = EyeGaze.Axis(mesh[a], mesh[b]);
        var (vx, vy) = (-uy, ux);
        var limit = MaxShare;
        var (su, sv) = (Math.Clamp(across, -limit, limit) * eyeWidth, Math.Clamp(down, -limit, limit) * eyeWidth);
        if (!(eyeWidth > 2) || Math.Sqrt((su * su) + (sv * sv)) < MinShiftPixels)
        {
            return 0;
        }

        var loop = eye == Eye.Right ? FaceRegions.RightEyeLoop : FaceRegions.LeftEyeLoop;
        Span<Point2> polygon = stackalloc Point2[loop.Count];
        for (var k = 0; k < loop.Count; k++)
        {
            polygon[k] = mesh[loop[k]];
        }

        // The eye as it was (sampled from), a pixel of margin around it.
        var box = PixelBox.Around(polygon, width, height, 1);
        if (box.IsEmpty)
        {
            return 0;
        }

        var (x0, y0, x1, y1, boxWidth, boxHeight) = (box.X0, box.Y0, box.X1, box.Y1, box.Width, box.Height);
        var before = box.Copy(frame, width);

        var (mx, my) = ((mesh[a].X + mesh[b].X) / 2, (mesh[a].Y + mesh[b].Y) / 2);
        var half = eyeWidth / 2;
        var painted = 0;
        Span<double> colour = stackalloc double[3];
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var coverage = Coverage(polygon, x, y);
                if (coverage <= 0)
                {
                    continue;
                }

                var u = (((x - mx) * ux) + ((y - my) * uy)) / half;
                var weight = Math.Max(0, 1 - (u * u));
                var (sx, sy) = (x - (weight * ((su * ux) + (sv * vx))) - x0, y - (weight * ((su * uy) + (sv * vy))) - y0);
                Sample(before, boxWidth, boxHeight, sx, sy, colour);
                var p = ((y * width) + x) * 3;
                for (var c = 0; c < 3; c++)
                {
                    frame[p + c] = (byte)Math.Clamp(Math.Round(frame[p + c] + (coverage * (colour[c] - frame[p + c]))), 0, 255);
                }

                painted++;
            }
        }

        return painted;
    }

    /// <summary>How much of the pixel at (x, y) lies inside the polygon: 1 inside, 0 outside, linear over the pixel across the edge.</summary>
    private static double Coverage(ReadOnlySpan<Point2> polygon, int x, int y)
    {
        var inside = false;
        var nearest = double.MaxValue;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            var (p, q) = (polygon[i], polygon[j]);
            if ((p.Y > y) != (q.Y > y) && x < ((q.X - p.X) * (y - p.Y) / (q.Y - p.Y)) + p.X)
            {
                inside = !inside;
            }

            nearest = Math.Min(nearest, SegmentDistance(x, y, p, q));
        }

        var signed = inside ? nearest : -nearest;
        return Math.Clamp(signed + 0.5, 0, 1);
    }

    private static double SegmentDistance(double x, double y, Point2 p, Point2 q)
    {
        var (dx, dy) = (q.X - p.X, q.Y - p.Y);
        var length = (dx * dx) + (dy * dy);
        var t = length > 0 ? Math.Clamp((((x - p.X) * dx) + ((y - p.Y) * dy)) / length, 0, 1) : 0;
        var (ex, ey) = (p.X + (t * dx) - x, p.Y + (t * dy) - y);
        return Math.Sqrt((ex * ex) + (ey * ey));
    }

    /// <summary>Bilinear sample of an RGB24 box at (x, y), clamped to its edges.</summary>
    private static void Sample(byte[] box, int width, int height, double x, double y, Span<double> colour)
    {
        x = Math.Clamp(x, 0, width - 1);
        y = Math.Clamp(y, 0, height - 1);
        var (ix, iy) = ((int)Math.Floor(x), (int)Math.Floor(y));
        var (jx, jy) = (Math.Min(ix + 1, width - 1), Math.Min(iy + 1, height - 1));
        var (fx, fy) = (x - ix, y - iy);
        for (var c = 0; c < 3; c++)
        {
            var top = (box[(((iy * width) + ix) * 3) + c] * (1 - fx)) + (box[(((iy * width) + jx) * 3) + c] * fx);
            var bottom = (box[(((jy * width) + ix) * 3) + c] * (1 - fx)) + (box[(((jy * width) + jx) * 3) + c] * fx);
            colour[c] = (top * (1 - fy)) + (bottom * fy);
        }
    }
}
