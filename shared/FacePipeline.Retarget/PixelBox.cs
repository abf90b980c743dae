namespace FacePipeline.Retarget;

/// <summary>An inclusive box of pixels inside a frame (the painters' working area) and a copy of what it holds.</summary>
/// <param name="X0">First column.</param>
/// <param name="Y0">First row.</param>
/// <param name="X1">Last column.</param>
/// <param name="Y1">Last row.</param>
internal readonly record struct PixelBox(int X0, int Y0, int X1, int Y1)
{
    public int Width => X1 - X0 + 1;

    public int Height => Y1 - Y0 + 1;

    public bool IsEmpty => X1 < X0 || Y1 < Y0;

    /// <summary>The bounds of <paramref name="points"/> grown by <paramref name="margin"/> pixels, clamped to the frame (possibly empty).</summary>
    public static PixelBox Around(ReadOnlySpan<Point2> points, int width, int height, int margin)
    {
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var p in points)
        {
            (minX, minY, maxX, maxY) = (Math.Min(minX, p.X), Math.Min(minY, p.Y), Math.Max(maxX, p.X), Math.Max(maxY, p.Y));
        }

        return new PixelBox(
            Math.Max(0, (int)Math.Floor(minX) - margin),
            Math.Max(0, (int)Math.Floor(minY) - margin),
            Math.Min(width - 1, (int)Math.Ceiling(maxX) + margin),
            Math.Min(height - 1, (int)Math.Ceiling(maxY) + margin));
    }

    /// <summary>The box's pixels of an RGB24 frame <paramref name="frameWidth"/> wide, row by row.</summary>
    public byte[] Copy(ReadOnlySpan<byte> frame, int frameWidth)
    {
        var copy = new byte[Width * Height * 3];
        for (var y = Y0; y <= Y1; y++)
        {
            frame.Slice(((y * frameWidth) + X0) * 3, Width * 3).CopyTo(copy.AsSpan((y - Y0) * Width * 3));
        }

        return copy;
    }
}
