namespace FacePipeline.Retarget;

/// <summary>
/// The inside of a mouth opened wider than the frame its texture comes from (issue 13): a warp alone stretches the
/// source's lips and its narrow gap over the whole opening, which shows as smeared pink lip texture where teeth and a dark
/// cavity should be. Inside the destination's inner-lip contour this paints instead:
/// <list type="bullet">
/// <item>the source's own gap (teeth, when the frame shows them) unstretched, hanging from the upper lip at its real height;</item>
/// <item>below it a cavity: the lips' colour darkened, darkest in the middle of the opening and towards the corners
///   (the shading of a real mouth's inside), with the tongue's lighter red rising at the bottom of a wide opening;</item>
/// <item>a one-pixel anti-aliased edge along the lips.</item>
/// </list>
/// Nothing is painted while the wanted gap is within <see cref="StretchLimit"/> of the source's (the warp is then faithful)
/// or the mouth is nearly closed (below <see cref="MinOpening"/>). Works in the mouth's own frame (the inner corners
/// 78–308 level), so a rolled head is handled. Pure function of its inputs: the same call paints the same pixels.
/// </summary>
public static class MouthInterior
{
    /// <summary>The wanted gap may be this many times the source's before the inside is painted.</summary>
    public const double StretchLimit = 1.25;

    /// <summary>A wanted gap below this share of the inter-ocular distance is a closed mouth: nothing to paint.</summary>
    public const double MinOpening = 0.04;

    /// <summary>The cavity's colour as a share of the lips' per channel (a dark, red-brown inside).</summary>
    private static readonly double[] CavityShare = [0.30, 0.16, 0.17];

    /// <summary>The tongue's colour as a share of the lips' per channel.</summary>
    private static readonly double[] TongueShare = [0.62, 0.36, 0.38];

    // The inner lip contour: upper lip from the subject's right inner corner (78) through 13 to the left one (308), lower lip through 14.
    private static readonly int[] Upper = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
    private static readonly int[] Lower = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];

    /// <summary>The inner gap (13 to 14) over the inter-ocular distance.</summary>
    public static double Opening(ReadOnlySpan<Point2> mesh)
    {
        WarpMesh.RequireMesh(mesh, nameof(mesh));
        var iod = ClosedLoopCorrection.InterOcular(mesh);
        return iod > 0 ? Distance(mesh[13], mesh[14]) / iod : 0;
    }

    /// <summary>
    /// Paints the mouth's inside into <paramref name="frame"/> (RGB24) where <paramref name="destination"/> opens the
    /// mouth more than <see cref="StretchLimit"/> times <paramref name="source"/>'s (the mesh of the frame the mouth's
    /// texture was warped from). Returns the pixels painted (0: nothing needed).
    /// </summary>
    public static int Paint(Span<byte> frame, int width, int height, ReadOnlySpan<Point2> destination, ReadOnlySpan<Point2> source)
    {
        PiecewiseAffineWarp.RequireImage(frame.Length, width, height, nameof(frame));
        WarpMesh.RequireMesh(destination, nameof(destination));
        WarpMesh.RequireMesh(source, nameof(source));
        var iod = ClosedLoopCorrection.InterOcular(destination);
        var wanted = Opening(destination);
        var had = Opening(source);
        if (!(iod > 0) || wanted < MinOpening || wanted <= StretchLimit * had)
        {
            return 0;
        }

        // The mouth's frame: u along the inner corners (78 → 308), v across, pointing down the face.
        var (o, far) = (destination[78], destination[308]);
        var length = Distance(o, far);
        if (!(length > 1))
        {
            return 0;
        }

        var (ux, uy) = ((far.X - o.X) / length, (far.Y - o.Y) / length);
        var (vx, vy) = (-uy, ux);
        Span<double> upperU = stackalloc double[Upper.Length];
        Span<double> upperV = stackalloc double[Upper.Length];
        Span<double> lowerU = stackalloc double[Lower.Length];
        Span<double> lowerV = stackalloc double[Lower.Length];
        for (var k = 0; k < Upper.Length; k++)
        {
            (upperU[k], upperV[k]) = ToMouth(destination[Upper[k]], o, ux, uy, vx, vy);
            (lowerU[k], lowerV[k]) = ToMouth(destination[Lower[k]], o, ux, uy, vx, vy);
        }

        // The pixels to visit: the contour's bounds; what the warp left there (read, unstretched, for the source's own gap).
        Span<Point2> contour = stackalloc Point2[Upper.Length + Lower.Length];
        for (var k = 0; k < Upper.Length; k++)
        {
            (contour[k], contour[Upper.Length + k]) = (destination[Upper[k]], destination[Lower[k]]);
        }

        var box = PixelBox.Around(contour, width, height, 1);
        if (box.IsEmpty)
        {
            return 0;
        }

        var (x0, y0, x1, y1, boxWidth) = (box.X0, box.Y0, box.X1, box.Y1, box.Width);
        var before = box.Copy(frame, width);

        // The lips' colour just outside the contour.
        Span<double> lips = stackalloc double[3];
        LipColour(frame, width, height, destination, o, vx, vy, iod, lips);

        // The source's gap in the destination's scale, and how much the warp stretched it.
        var gap = wanted * iod;
        var keptBand = had * iod;
        var stretch = had > 0 ? wanted / had : double.PositiveInfinity;
        var half = length / 2;
        var painted = 0;
        Span<double> colour = stackalloc double[3];
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var (pu, pv) = ToMouth(new Point2(x, y), o, ux, uy, vx, vy);
                if (pu <= 0 || pu >= length)
                {
                    continue;
                }

                var top = Interpolate(upperU, upperV, pu);
                var bottom = Interpolate(lowerU, lowerV, pu);
                var coverage = Math.Clamp(pv - top + 0.5, 0, 1) * Math.Clamp(bottom - pv + 0.5, 0, 1);
                if (coverage <= 0 || bottom - top < 1)
                {
                    continue;
                }

                // The cavity: darker towards the middle of the opening and towards the corners; the tongue at the bottom.
                var t = Math.Clamp((pv - top) / (bottom - top), 0, 1);
                var across = 2 * t - 1;
                var shade = (0.55 + (0.45 * across * across)) * (1 - (0.35 * Square((pu - half) / half)));
                var tongue = gap > 0.18 * iod ? SmoothStep(0.62, 1.0, t) * 0.6 : 0;
                for (var c = 0; c < 3; c++)
                {
                    var cavity = lips[c] * CavityShare[c] * shade;
                    colour[c] = cavity + (tongue * ((lips[c] * TongueShare[c]) - cavity));
                }

                // The source's own gap, unstretched: the warp put the source's row at (pv − top) · stretch below the lip.
                var depth = pv - top;
                var keep = keptBand > 0 ? Math.Clamp(keptBand - depth + 0.5, 0, 1) : 0;
                if (keep > 0 && double.IsFinite(stretch))
                {
                    var (sx, sy) = FromMouth(pu, top + (depth * stretch), o, ux, uy, vx, vy);
                    var (bx, by) = ((int)Math.Round(sx) - x0, (int)Math.Round(sy) - y0);
                    if (bx >= 0 && bx < boxWidth && by >= 0 && by <= y1 - y0)
                    {
                        var b = ((by * boxWidth) + bx) * 3;
                        for (var c = 0; c < 3; c++)
                        {
                            colour[c] += keep * (before[b + c] - colour[c]);
                        }
                    }
                }

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

    /// <summary>The mean colour of the lips along the inner contour, sampled a few pixels outside it (above the upper lip's, below the lower's).</summary>
    private static void LipColour(ReadOnlySpan<byte> frame, int width, int height, ReadOnlySpan<Point2> mesh, Point2 o, double vx, double vy, double iod, Span<double> lips)
    {
        var offset = Math.Max(1.5, 0.03 * iod);
        var n = 0;
        lips.Clear();
        foreach (var (points, sign) in new[] { (Upper, -1.0), (Lower, 1.0) })
        {
            foreach (var k in points.AsSpan(1, points.Length - 2))
            {
                var x = (int)Math.Round(mesh[k].X + (sign * offset * vx));
                var y = (int)Math.Round(mesh[k].Y + (sign * offset * vy));
                if (x < 0 || y < 0 || x >= width || y >= height)
                {
                    continue;
                }

                var p = ((y * width) + x) * 3;
                for (var c = 0; c < 3; c++)
                {
                    lips[c] += frame[p + c];
                }

                n++;
            }
        }

        for (var c = 0; c < 3; c++)
        {
            lips[c] = n > 0 ? lips[c] / n : c == 0 ? 160 : 90; // no lips in the frame: a neutral lip colour
        }
    }

    /// <summary>The contour's v at <paramref name="u"/>, linear between its points (ordered by u; a contour folding back is taken as it comes).</summary>
    private static double Interpolate(ReadOnlySpan<double> us, ReadOnlySpan<double> vs, double u)
    {
        for (var k = 1; k < us.Length; k++)
        {
            if (u <= us[k] || k == us.Length - 1)
            {
                var span = us[k] - us[k - 1];
                var f = span > 1e-9 ? Math.Clamp((u - us[k - 1]) / span, 0, 1) : 0;
                return vs[k - 1] + (f * (vs[k] - vs[k - 1]));
            }
        }

        return vs[^1];
    }

    private static (double U, double V) ToMouth(Point2 p, Point2 o, double ux, double uy, double vx, double vy)
    {
        var (dx, dy) = (p.X - o.X, p.Y - o.Y);
        return ((dx * ux) + (dy * uy), (dx * vx) + (dy * vy));
    }

    private static (double X, double Y) FromMouth(double u, double v, Point2 o, double ux, double uy, double vx, double vy) =>
        (o.X + (u * ux) + (v * vx), o.Y + (u * uy) + (v * vy));

    private static double Distance(Point2 a, Point2 b) => Math.Sqrt(Square(a.X - b.X) + Square(a.Y - b.Y));

    private static double Square(double v) => v * v;

    private static double SmoothStep(double edge0, double edge1, double x)
    {
        var t = Math.Clamp((x - edge0) / (edge1 - edge0), 0, 1);
        return t * t * (3 - (2 * t));
    }
}
