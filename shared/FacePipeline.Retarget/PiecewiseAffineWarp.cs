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

        var sampler = new Sampler(source, sourceWidth, sourceHeight, destination, destinationWidth);
        foreach (var t in triangles)
        {
            sampler.S0 = sourcePoints[t.A];
            sampler.S1 = sourcePoints[t.B];
            sampler.S2 = sourcePoints[t.C];
            Rasterize(destinationPoints[t.A], destinationPoints[t.B], destinationPoints[t.C], destinationWidth, destinationHeight, ref sampler);
        }

        return sampler.Written;
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
        var mask = new float[width * height];
        BorderDistance(mask, width, height, points, triangles, BorderEdges(triangles), featherPixels);
        MaskFromDistance(mask, featherPixels);
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

    /// <summary>The border of a triangle set: the edges used by one triangle only, each as (lower, higher) index.</summary>
    internal static (int A, int B)[] BorderEdges(ReadOnlySpan<Triangle> triangles)
    {
        var border = new List<(int A, int B)>();
        foreach (var (edge, uses) in EdgeUses(triangles))
        {
            if (uses == 1)
            {
                border.Add(edge);
            }
        }

        border.Sort();
        return [.. border];
    }

    /// <summary>How many triangles use each edge, keyed (lower, higher) index.</summary>
    internal static Dictionary<(int A, int B), int> EdgeUses(ReadOnlySpan<Triangle> triangles)
    {
        var uses = new Dictionary<(int A, int B), int>();
        foreach (var t in triangles)
        {
            Count(uses, t.A, t.B);
            Count(uses, t.B, t.C);
            Count(uses, t.C, t.A);
        }

        return uses;

        static void Count(Dictionary<(int A, int B), int> uses, int a, int b)
        {
            var key = a < b ? (a, b) : (b, a);
            uses[key] = uses.GetValueOrDefault(key) + 1;
        }
    }

    /// <summary>
    /// Distance to the border, without allocating: <paramref name="distance"/> (row-major,
    /// <paramref name="width"/>×<paramref name="height"/>) gets −1 outside the triangles and, inside,
    /// the distance in pixels to the nearest of <paramref name="border"/> capped at <paramref name="cap"/>
    /// (only the pixels within <paramref name="cap"/> of a border edge are measured, so the cost grows
    /// with the border's length, not with the area). Returns the number of pixels inside.
    /// </summary>
    internal static int BorderDistance(
        Span<float> distance, int width, int height, ReadOnlySpan<Point2> points, ReadOnlySpan<Triangle> triangles,
        ReadOnlySpan<(int A, int B)> border, double cap)
    {
        cap = Math.Max(0, cap);
        var marker = new InsideMarker(distance[..(width * height)], width, (float)cap);
        marker.Distance.Fill(-1);
        foreach (var t in triangles)
        {
            Rasterize(points[t.A], points[t.B], points[t.C], width, height, ref marker);
        }

        if (cap > 0)
        {
            foreach (var (ia, ib) in border)
            {
                Point2 a = points[ia], b = points[ib];
                var x0 = Math.Max(0, (int)Math.Floor(Math.Min(a.X, b.X) - cap));
                var y0 = Math.Max(0, (int)Math.Floor(Math.Min(a.Y, b.Y) - cap));
                var x1 = Math.Min(width - 1, (int)Math.Ceiling(Math.Max(a.X, b.X) + cap));
                var y1 = Math.Min(height - 1, (int)Math.Ceiling(Math.Max(a.Y, b.Y) + cap));
                for (var y = y0; y <= y1; y++)
                {
                    var row = distance.Slice(y * width, width);
                    for (var x = x0; x <= x1; x++)
                    {
                        if (row[x] > 0)
                        {
                            row[x] = Math.Min(row[x], (float)SegmentDistance(new Point2(x, y), a, b));
                        }
                    }
                }
            }
        }

        return marker.Inside;
    }

    /// <summary>
    /// Turns a <see cref="BorderDistance"/> map into a compositing mask in place: 0 outside,
    /// min(1, d / <paramref name="featherPixels"/>) inside, or 1 inside when <paramref name="featherPixels"/> ≤ 0.
    /// </summary>
    internal static void MaskFromDistance(Span<float> distance, double featherPixels)
    {
        var scale = featherPixels > 0 ? (float)(1 / featherPixels) : 0f;
        for (var i = 0; i < distance.Length; i++)
        {
            var d = distance[i];
            distance[i] = d < 0 ? 0 : scale > 0 ? Math.Min(1, d * scale) : 1;
        }
    }

    /// <summary>
    /// Visits every pixel of <paramref name="width"/>×<paramref name="height"/> whose centre lies in
    /// the triangle (edges included, 1e-9 tolerance), with its barycentric coordinates. A degenerate
    /// triangle (zero area) visits nothing.
    /// </summary>
    internal static void Rasterize<TVisitor>(Point2 d0, Point2 d1, Point2 d2, int width, int height, ref TVisitor visitor)
        where TVisitor : IPixelVisitor, allows ref struct
    {
        var det = ((d1.X - d0.X) * (d2.Y - d0.Y)) - ((d2.X - d0.X) * (d1.Y - d0.Y));
        if (Math.Abs(det) < 1e-12)
        {
            return;
        }

        var (x0, y0, x1, y1) = Bounds(d0, d1, d2, width, height);
        const double eps = 1e-9;
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var l1 = (((x - d0.X) * (d2.Y - d0.Y)) - ((d2.X - d0.X) * (y - d0.Y))) / det;
                var l2 = (((d1.X - d0.X) * (y - d0.Y)) - ((x - d0.X) * (d1.Y - d0.Y))) / det;
                var l0 = 1 - l1 - l2;
                if (l0 >= -eps && l1 >= -eps && l2 >= -eps)
                {
                    visitor.Visit(x, y, l0, l1, l2);
                }
            }
        }
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

    /// <summary>Bilinear sample of an RGB24 image at (x, y), pixel centres at integer coordinates, borders replicated.</summary>
    internal static void Sample(ReadOnlySpan<byte> image, int width, int height, double x, double y, Span<byte> rgb)
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

    internal static void RequireImage(int length, int width, int height, string name)
    {
        if (width < 1 || height < 1 || length != width * height * 3)
        {
            throw new ArgumentException($"Expected a {width}x{height} RGB24 image ({width * height * 3} bytes), got {length} bytes.", name);
        }
    }

    /// <summary><see cref="Warp"/>'s visitor: samples the source triangle at the barycentric position.</summary>
    private ref struct Sampler(ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, Span<byte> destination, int destinationWidth)
        : IPixelVisitor
    {
        private readonly ReadOnlySpan<byte> source = source;
        private readonly Span<byte> destination = destination;

        public Point2 S0 { get; set; }

        public Point2 S1 { get; set; }

        public Point2 S2 { get; set; }

        public int Written { get; private set; }

        public void Visit(int x, int y, double l0, double l1, double l2)
        {
            var sx = (l0 * S0.X) + (l1 * S1.X) + (l2 * S2.X);
            var sy = (l0 * S0.Y) + (l1 * S1.Y) + (l2 * S2.Y);
            Sample(source, sourceWidth, sourceHeight, sx, sy, destination.Slice(((y * destinationWidth) + x) * 3, 3));
            Written++;
        }
    }

    /// <summary><see cref="BorderDistance"/>'s visitor: sets every pixel inside to the cap, counting each once.</summary>
    private ref struct InsideMarker(Span<float> distance, int width, float cap) : IPixelVisitor
    {
        public readonly Span<float> Distance = distance;

        public int Inside { get; private set; }

        public void Visit(int x, int y, double l0, double l1, double l2)
        {
            ref var d = ref Distance[(y * width) + x];
            if (d < 0)
            {
                d = cap;
                Inside++;
            }
        }
    }
}

/// <summary>What <see cref="PiecewiseAffineWarp.Rasterize"/> calls for each pixel of a triangle.</summary>
internal interface IPixelVisitor
{
    /// <summary>Pixel (<paramref name="x"/>, <paramref name="y"/>) at barycentric coordinates (l0, l1, l2).</summary>
    void Visit(int x, int y, double l0, double l1, double l2);
}
