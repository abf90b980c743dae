namespace FacePipeline.Face;

/// <summary>
/// Draws a face mesh (the edges of its triangles) and a box on a frame, clipped to the frame: on packed RGB24, or on
/// 8-bit Y'CbCr 4:2:0 planes (Y, then Cb, then Cr at ⌈W/2⌉ × ⌈H/2⌉, as ffmpeg's <c>yuv420p</c>) where each pixel of a
/// line sets its luma and the chroma sample of the 2 × 2 block it is in, the colour converted with BT.709's limited-range
/// matrix (<see cref="ToYCbCr"/>).
/// </summary>
public static class MeshOverlay
{
    public static Rgb MeshColor { get; } = new(0, 230, 255);

    /// <param name="points">Mesh vertices in pixels (x, y used).</param>
    /// <param name="triangles">Vertex indices, three per triangle.</param>
    public static void Draw(Span<byte> rgb24, int width, int height, IReadOnlyList<Landmark> points, IReadOnlyList<int> triangles, Rgb color)
    {
        var plot = new Rgb24Plot(rgb24, width, color);
        DrawMesh(ref plot, width, height, points, triangles);
    }

    /// <summary>As <see cref="Draw"/>, on 4:2:0 planes.</summary>
    public static void DrawYuv420(Span<byte> yuv420p, int width, int height, IReadOnlyList<Landmark> points, IReadOnlyList<int> triangles, Rgb color)
    {
        var plot = new Yuv420Plot(yuv420p, width, height, color);
        DrawMesh(ref plot, width, height, points, triangles);
    }

    /// <summary>A one-pixel line (Bresenham), clipped to the frame.</summary>
    public static void Line(Span<byte> rgb24, int width, int height, float x0f, float y0f, float x1f, float y1f, Rgb color)
    {
        var plot = new Rgb24Plot(rgb24, width, color);
        Trace(ref plot, width, height, x0f, y0f, x1f, y1f);
    }

    /// <summary>As <see cref="Line"/>, on 4:2:0 planes.</summary>
    public static void LineYuv420(Span<byte> yuv420p, int width, int height, float x0f, float y0f, float x1f, float y1f, Rgb color)
    {
        var plot = new Yuv420Plot(yuv420p, width, height, color);
        Trace(ref plot, width, height, x0f, y0f, x1f, y1f);
    }

    /// <summary>
    /// <paramref name="color"/> as 8-bit limited-range Y'CbCr, BT.709 (Y' 16–235, Cb and Cr 16–240). The planes keep the
    /// source's own matrix (BT.601 for most SD footage), so the overlay's hue can differ slightly from its RGB value there:
    /// it is a marker, not a colour reference.
    /// </summary>
    public static (byte Y, byte Cb, byte Cr) ToYCbCr(Rgb color)
    {
        double r = color.R / 255.0, g = color.G / 255.0, b = color.B / 255.0;
        var y = (0.2126 * r) + (0.7152 * g) + (0.0722 * b);
        var cb = (b - y) / 1.8556;
        var cr = (r - y) / 1.5748;
        static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
        return (Clamp(16 + (219 * y)), Clamp(128 + (224 * cb)), Clamp(128 + (224 * cr)));
    }

    private static void DrawMesh<TPlot>(ref TPlot plot, int width, int height, IReadOnlyList<Landmark> points, IReadOnlyList<int> triangles)
        where TPlot : struct, IPlot, allows ref struct
    {
        for (var t = 0; t + 2 < triangles.Count; t += 3)
        {
            var (a, b, c) = (points[triangles[t]], points[triangles[t + 1]], points[triangles[t + 2]]);
            Trace(ref plot, width, height, a.X, a.Y, b.X, b.Y);
            Trace(ref plot, width, height, b.X, b.Y, c.X, c.Y);
            Trace(ref plot, width, height, c.X, c.Y, a.X, a.Y);
        }
    }

    private static void Trace<TPlot>(ref TPlot plot, int width, int height, float x0f, float y0f, float x1f, float y1f)
        where TPlot : struct, IPlot, allows ref struct
    {
        int x0 = (int)MathF.Round(x0f), y0 = (int)MathF.Round(y0f), x1 = (int)MathF.Round(x1f), y1 = (int)MathF.Round(y1f);
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        var err = dx + dy;
        for (var steps = 0; steps <= width + height + dx - dy; steps++)
        {
            if ((uint)x0 < (uint)width && (uint)y0 < (uint)height)
            {
                plot.Set(x0, y0);
            }

            if (x0 == x1 && y0 == y1)
            {
                return;
            }

            var e2 = 2 * err;
            if (e2 >= dy)
            {
                err += dy;
                x0 += sx;
            }

            if (e2 <= dx)
            {
                err += dx;
                y0 += sy;
            }
        }
    }

    private interface IPlot
    {
        /// <summary>Colours the pixel (x, y), inside the frame.</summary>
        void Set(int x, int y);
    }

    private readonly ref struct Rgb24Plot(Span<byte> rgb24, int width, Rgb color) : IPlot
    {
        private readonly Span<byte> _rgb24 = rgb24;

        public void Set(int x, int y)
        {
            var o = ((y * width) + x) * 3;
            _rgb24[o] = color.R;
            _rgb24[o + 1] = color.G;
            _rgb24[o + 2] = color.B;
        }
    }

    private readonly ref struct Yuv420Plot : IPlot
    {
        private readonly Span<byte> _luma;
        private readonly Span<byte> _cb;
        private readonly Span<byte> _cr;
        private readonly int _width;
        private readonly int _chromaWidth;
        private readonly (byte Y, byte Cb, byte Cr) _color;

        public Yuv420Plot(Span<byte> yuv420p, int width, int height, Rgb color)
        {
            var (chromaWidth, chromaHeight) = ((width + 1) / 2, (height + 1) / 2);
            var planeBytes = chromaWidth * chromaHeight;
            var frameBytes = (width * height) + (2 * planeBytes);
            if (yuv420p.Length < frameBytes)
            {
                throw new ArgumentException($"A {width}x{height} 4:2:0 frame is {frameBytes} bytes; the buffer holds {yuv420p.Length}.", nameof(yuv420p));
            }

            _luma = yuv420p[..(width * height)];
            _cb = yuv420p.Slice(width * height, planeBytes);
            _cr = yuv420p.Slice((width * height) + planeBytes, planeBytes);
            _width = width;
            _chromaWidth = chromaWidth;
            _color = ToYCbCr(color);
        }

        public void Set(int x, int y)
        {
            _luma[(y * _width) + x] = _color.Y;
            var c = ((y >> 1) * _chromaWidth) + (x >> 1);
            _cb[c] = _color.Cb;
            _cr[c] = _color.Cr;
        }
    }
}
