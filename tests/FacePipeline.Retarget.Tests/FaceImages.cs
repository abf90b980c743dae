using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

/// <summary>Synthetic RGB24 frames and image meshes for the renderer tests.</summary>
internal static class FaceImages
{
    public static readonly (byte R, byte G, byte B) Skin = (180, 140, 120);

    /// <summary>A frontal image mesh: x = cx + scale·X, y = cy − scale·Y (image rows grow downwards).</summary>
    public static Point2[] Project(Vec3[] face, double scale, double cx, double cy) =>
        face.Select(p => new Point2(cx + (scale * p.X), cy - (scale * p.Y))).ToArray();

    /// <summary>
    /// A jaw drop: every point below the lip corners moves down by <paramref name="cm"/>, ramping in over the
    /// first 0.3 cm below the corners (so the lower lip drops in full and the mouth opens by about that much).
    /// </summary>
    public static Vec3[] JawDrop(Vec3[] neutral, double cm)
    {
        var corner = (neutral[61].Y + neutral[291].Y) / 2;
        return neutral.Select(p => p - new Vec3(0, cm * Math.Clamp((corner - p.Y) / 0.3, 0, 1), 0)).ToArray();
    }

    public static Point2[] Translate(Point2[] mesh, double dx, double dy) =>
        mesh.Select(p => new Point2(p.X + dx, p.Y + dy)).ToArray();

    /// <summary>A pattern with no two neighbours alike (so a one-pixel shift shows everywhere).</summary>
    public static byte[] Textured(int width, int height)
    {
        var image = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var k = ((y * width) + x) * 3;
                image[k] = (byte)((x * 37) + (y * 11));
                image[k + 1] = (byte)((x * 5) + (y * 53));
                image[k + 2] = (byte)((x * y) + (x * 3));
            }
        }

        return image;
    }

    public static byte[] Filled(int width, int height, (byte R, byte G, byte B) colour)
    {
        var image = new byte[width * height * 3];
        for (var i = 0; i < image.Length; i += 3)
        {
            (image[i], image[i + 1], image[i + 2]) = colour;
        }

        return image;
    }

    public static (byte R, byte G, byte B) Scaled((byte R, byte G, byte B) colour, double factor) =>
        ((byte)Math.Round(colour.R * factor), (byte)Math.Round(colour.G * factor), (byte)Math.Round(colour.B * factor));

    /// <summary>Paints every pixel whose centre lies inside the polygon (even-odd rule).</summary>
    public static void Paint(byte[] image, int width, int height, Point2[] polygon, (byte R, byte G, byte B) colour)
    {
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (Inside(polygon, x, y))
                {
                    var k = ((y * width) + x) * 3;
                    (image[k], image[k + 1], image[k + 2]) = colour;
                }
            }
        }
    }

    public static Point2[] Polygon(ReadOnlySpan<Point2> mesh, IReadOnlyList<int> loop)
    {
        var polygon = new Point2[loop.Count];
        for (var i = 0; i < loop.Count; i++)
        {
            polygon[i] = mesh[loop[i]];
        }

        return polygon;
    }

    public static Point2 Mean(Point2[] points) => new(points.Average(p => p.X), points.Average(p => p.Y));

    /// <summary>Even-odd point in polygon.</summary>
    public static bool Inside(Point2[] polygon, double x, double y)
    {
        var inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            Point2 a = polygon[i], b = polygon[j];
            if ((a.Y > y) != (b.Y > y) && x < a.X + ((y - a.Y) * (b.X - a.X) / (b.Y - a.Y)))
            {
                inside = !inside;
            }
        }

        return inside;
    }

    public static (byte R, byte G, byte B) Pixel(byte[] image, int width, int x, int y)
    {
        var k = ((y * width) + x) * 3;
        return (image[k], image[k + 1], image[k + 2]);
    }

    public static void AssertClose((byte R, byte G, byte B) expected, (byte R, byte G, byte B) actual, int tolerance)
    {
        Assert.True(
            Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"expected {expected} ± {tolerance}, got {actual}");
    }
}
