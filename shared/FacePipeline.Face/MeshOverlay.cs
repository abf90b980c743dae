namespace FacePipeline.Face;

/// <summary>Draws a face mesh (the edges of its triangles) and a box on an RGB24 frame, clipped to the frame.</summary>
public static class MeshOverlay
{
    public static Rgb MeshColor { get; } = new(0, 230, 255);

    /// <param name="points">Mesh vertices in pixels (x, y used).</param>
    /// <param name="triangles">Vertex indices, three per triangle.</param>
    public static void Draw(Span<byte> rgb24, int width, int height, IReadOnlyList<Landmark> points, IReadOnlyList<int> triangles, Rgb color)
    {
        for (var t = 0; t + 2 < triangles.Count; t += 3)
        {
            var (a, b, c) = (points[triangles[t]], points[triangles[t + 1]], points[triangles[t + 2]]);
            Line(rgb24, width, height, a.X, a.Y, b.X, b.Y, color);
            Line(rgb24, width, height, b.X, b.Y, c.X, c.Y, color);
            Line(rgb24, width, height, c.X, c.Y, a.X, a.Y, color);
        }
    }

    /// <summary>A one-pixel line (Bresenham), clipped to the frame.</summary>
    public static void Line(Span<byte> rgb24, int width, int height, float x0f, float y0f, float x1f, float y1f, Rgb color)
    {
        int x0 = (int)MathF.Round(x0f), y0 = (int)MathF.Round(y0f), x1 = (int)MathF.Round(x1f), y1 = (int)MathF.Round(y1f);
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        var err = dx + dy;
        for (var steps = 0; steps <= width + height + dx - dy; steps++)
        {
            if ((uint)x0 < (uint)width && (uint)y0 < (uint)height)
            {
                var o = ((y0 * width) + x0) * 3;
                rgb24[o] = color.R;
                rgb24[o + 1] = color.G;
                rgb24[o + 2] = color.B;
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
}
