using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>A 2D point in pixels.</summary>
public readonly record struct Point2(double X, double Y);

/// <summary>
/// Piecewise-affine warp of RGB24 images between two meshes with the same triangles. Pixel (x, y)
/// has its centre at integer coordinates (x, y), the convention of the mesh points.
/// </summary>
public static class PiecewiseAffineWarp
{
    /// <summary>
    /// For every destination pixel inside a triangle of <paramref name="destinationPoints"/>: its
    /// barycentric coordinates give the position on the same triangle of <paramref name="sourcePoints"/>,
    /// sampled bilinearly from <paramref name="source"/> (borders replicated). Pixels outside the mesh
    /// are left untouched. Returns the number of pixels written.
    /// </summary>
    public static int Warp(
        ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight,
        Span<byte> destination, int destinationWidth, int destinationHeight,
        ReadOnlySpan<Point2> sourcePoints, ReadOnlySpan<Point2> destinationPoints, ReadOnlySpan<Triangle> triangles)
    {
        RequireImage(source.Length, sourceWidth, sourceHeight, nameof(source));
        RequireImage(destination.Length, destinationWidth, destinationHeight, nameof(destination));
        if (sourcePoints.Length != destinationPoints.Length)
        {
            throw new ArgumentException($"Mesh point counts differ: {sourcePoints.Length} and {destinationPoints.Length}.");
        }

        var written = 0;
        foreach (var t in triangles)
        {
            Point2 d0 = destinationPoints[t.A], d1 = destinationPoints[t.B], d2 = destinationPoints[t.C];
            Point2 s0 = sourcePoints[t.A], s1 = sourcePoints[t.B], s2 = sourcePoints[t.C];
            var det = ((d1.X - d0.X) * (d2.Y - d0.Y)) - ((d2.X - d0.X) * (d1.Y - d0.Y));
            if (Math.Abs(det) < 1e-12)
            {
                continue;
            }

            var (x0, y0, x1, y1) = Bounds(d0, d1, d2, destinationWidth, destinationHeight);
            const double eps = 1e-9;
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    var l1 = (((x - d0.X) * (d2.Y - d0.Y)) - ((d2.X - d0.X) * (y - d0.Y))) / det;
                    var l2 = (((d1.X - d0.X) * (y - d0.Y)) - ((x - d0.X) * (d1.Y - d0.Y))) / det;
                    var l0 = 1 - l1 - l2;
                    if (l0 < -eps || l1 < -eps || l2 < -eps)
                    {
                        continue;
                    }

                    var sx = (l0 * s0.X) + (l1 * s1.X) + (l2 * s2.X);
                    var sy = (l0 * s0.Y) + (l1 * s1.Y) + (l2 * s2.Y);
                    Sample(source, sourceWidth, sourceHeight, sx, sy, destination.Slice(((y * destinationWidth) + x) * 3, 3));
                    written++;
                }
            }
        }

        return written;
    }

    /// <summary>
    /// A compositing mask of the mesh: 0 outside, inside rising linearly from 0 at the mesh border
    /// (edges used by one triangle only, so holes such as an untriangulated mouth count as border) to
    /// 1 at <paramref name="featherPixels"/> px and beyond. <paramref name="featherPixels"/> ≤ 0: a hard
    /// 0/1 mask. Row-major, one value per pixel.
    /// </summary>
    public static float[] FeatherMask(int width, int height, ReadOnlySpan<Point2> points, ReadOnlySpan<Triangle> triangles, double featherPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var inside = new bool[width * height];
        var edgeUse = new Dictionary<(int, int), int>();
        foreach (var t in triangles)
        {
            Count(edgeUse, t.A, t.B);
            Count(edgeUse, t.B, t.C);
            Count(edgeUse, t.C, t.A);
            Point2 d0 = points[t.A], d1 = points[t.B], d2 = points[t.C];
            var det = ((d1.X - d0.X) * (d2.Y - d0.Y)) - ((d2.X - d0.X) * (d1.Y - d0.Y));
            if (Math.Abs(det) < 1e-12)
            {
                continue;
            }

            var (x0, y0, x1, y1) = Bounds(d0, d1, d2, width, height);
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    var l1 = (((x - d0.X) * (d2.Y - d0.Y)) - ((d2.X - d0.X) * (y - d0.Y))) / det;
                    var l2 = (((d1.X - d0.X) * (y - d0.Y)) - ((x - d0.X) * (d1.Y - d0.Y))) / det;
                    if (l1 >= -1e-9 && l2 >= -1e-9 && 1 - l1 - l2 >= -1e-9)
                    {
                        inside[(y * width) + x] = true;
                    }
                }
            }
        }

        var border = new List<(Point2 A, Point2 B)>();
        foreach (var ((a, b), uses) in edgeUse)
        {
            if (uses == 1)
            {
                border.Add((points[a], points[b]));
            }
        }

        var mask = new float[width * height];
        for (var i = 0; i < mask.Length; i++)
        {
            if (!inside[i])
            {
                continue;
            }

            if (featherPixels <= 0)
            {
                mask[i] = 1;
                continue;
            }

            var p = new Point2(i % width, i / width);
            var d = double.PositiveInfinity;
            foreach (var (a, b) in border)
            {
                d = Math.Min(d, SegmentDistance(p, a, b));
            }

            mask[i] = (float)Math.Min(1, d / featherPixels);
        }

        return mask;
    }

    /// <summary>Blends <paramref name="overlay"/> onto <paramref name="destination"/> in place: d = d + m·(o − d), rounded.</summary>
    public static void Composite(Span<byte> destination, ReadOnlySpan<byte> overlay, ReadOnlySpan<float> mask)
    {
        if (destination.Length != overlay.Length || destination.Length != mask.Length * 3)
        {
            throw new ArgumentException("Image and mask sizes differ.");
        }

        for (var i = 0; i < mask.Length; i++)
        {
            var m = mask[i];
            if (m <= 0)
            {
                continue;
            }

            for (var c = 0; c < 3; c++)
            {
                var k = (3 * i) + c;
                destination[k] = (byte)Math.Clamp(Math.Round(destination[k] + (m * (overlay[k] - destination[k]))), 0, 255);
            }
        }
    }

    private static void Count(Dictionary<(int, int), int> uses, int a, int b)
    {
        var key = a < b ? (a, b) : (b, a);
        uses[key] = uses.GetValueOrDefault(key) + 1;
    }

    private static double SegmentDistance(Point2 p, Point2 a, Point2 b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        var len2 = (dx * dx) + (dy * dy);
        var t = len2 > 0 ? Math.Clamp((((p.X - a.X) * dx) + ((p.Y - a.Y) * dy)) / len2, 0, 1) : 0;
        double ex = a.X + (t * dx) - p.X, ey = a.Y + (t * dy) - p.Y;
        return Math.Sqrt((ex * ex) + (ey * ey));
    }

    private static (int X0, int Y0, int X1, int Y1) Bounds(Point2 a, Point2 b, Point2 c, int width, int height)
    {
        var x0 = Math.Max(0, (int)Math.Ceiling(Math.Min(a.X, Math.Min(b.X, c.X)) - 1e-9));
        var y0 = Math.Max(0, (int)Math.Ceiling(Math.Min(a.Y, Math.Min(b.Y, c.Y)) - 1e-9));
        var x1 = Math.Min(width - 1, (int)Math.Floor(Math.Max(a.X, Math.Max(b.X, c.X)) + 1e-9));
        var y1 = Math.Min(height - 1, (int)Math.Floor(Math.Max(a.Y, Math.Max(b.Y, c.Y)) + 1e-9));
        return (x0, y0, x1, y1);
    }

    private static void Sample(ReadOnlySpan<byte> image, int width, int height, double x, double y, Span<byte> rgb)
    {
        x = Math.Clamp(x, 0, width - 1);
        y = Math.Clamp(y, 0, height - 1);
        var xi = Math.Min((int)Math.Floor(x), width - 1);
        var yi = Math.Min((int)Math.Floor(y), height - 1);
        var fx = x - xi;
        var fy = y - yi;
        var xj = Math.Min(xi + 1, width - 1);
        var yj = Math.Min(yi + 1, height - 1);
        for (var c = 0; c < 3; c++)
        {
            double p00 = image[(((yi * width) + xi) * 3) + c], p01 = image[(((yi * width) + xj) * 3) + c];
            double p10 = image[(((yj * width) + xi) * 3) + c], p11 = image[(((yj * width) + xj) * 3) + c];
            var top = p00 + ((p01 - p00) * fx);
            var bottom = p10 + ((p11 - p10) * fx);
            rgb[c] = (byte)Math.Clamp(Math.Round(top + ((bottom - top) * fy)), 0, 255);
        }
    }

    private static void RequireImage(int length, int width, int height, string name)
    {
        if (width < 1 || height < 1 || length != width * height * 3)
        {
            throw new ArgumentException($"Expected a {width}x{height} RGB24 image ({width * height * 3} bytes), got {length} bytes.", name);
        }
    }
}
