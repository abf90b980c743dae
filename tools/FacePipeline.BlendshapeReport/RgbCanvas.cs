namespace FacePipeline.BlendshapeReport;

/// <summary>An RGB24 picture in memory with the few drawing operations a line plot needs.</summary>
internal sealed class RgbCanvas
{
    public RgbCanvas(int width, int height, (byte R, byte G, byte B) background)
    {
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major RGB24, top row first.</summary>
    public byte[] Pixels { get; }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            return;
        }

        var k = ((y * Width) + x) * 3;
        Pixels[k] = c.R;
        Pixels[k + 1] = c.G;
        Pixels[k + 2] = c.B;
    }

    public void FillRect(int x, int y, int w, int h, (byte R, byte G, byte B) c)
    {
        for (var yy = Math.Max(0, y); yy < Math.Min(Height, y + h); yy++)
        {
            for (var xx = Math.Max(0, x); xx < Math.Min(Width, x + w); xx++)
            {
                Set(xx, yy, c);
            }
        }
    }

    /// <summary>A line <paramref name="thickness"/> pixels wide (square pen), stepped along its longer axis.</summary>
    public void Line(double x0, double y0, double x1, double y1, (byte R, byte G, byte B) c, int thickness = 1)
    {
        var steps = (int)Math.Ceiling(Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0))) + 1;
        var half = thickness / 2;
        for (var s = 0; s <= steps; s++)
        {
            var t = (double)s / steps;
            var x = (int)Math.Round(x0 + ((x1 - x0) * t));
            var y = (int)Math.Round(y0 + ((y1 - y0) * t));
            FillRect(x - half, y - half, thickness, thickness, c);
        }
    }

    /// <summary>A dashed horizontal line.</summary>
    public void DashedHorizontal(int x0, int x1, int y, (byte R, byte G, byte B) c, int dash = 4)
    {
        for (var x = x0; x <= x1; x++)
        {
            if ((x - x0) / dash % 2 == 0)
            {
                Set(x, y, c);
            }
        }
    }
}
