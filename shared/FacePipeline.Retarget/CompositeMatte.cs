namespace FacePipeline.Retarget;

/// <summary>
/// The soft matte of what a renderer changed on its last frame: the mask it composited its face with (0 where the frame is
/// its own, 1 where the face replaced it, in between over the feathered edge), kept as 8-bit values over the rectangle it
/// worked in, and written out as a whole frame's matte (0 outside the rectangle, 255 inside the face) for the compositing
/// outputs (matte.mov, the alpha of ProRes 4444). Reuses its buffer (sized to the largest rectangle seen); one thread.
/// </summary>
public sealed class CompositeMatte
{
    private byte[] _values = [];

    /// <summary>The rectangle the values cover (empty: the renderer changed nothing).</summary>
    public PixelRect Crop { get; private set; }

    /// <summary>The mask value <paramref name="mask"/> (0..1) as a matte value (0..255, rounded).</summary>
    public static byte ToByte(float mask) => (byte)Math.Clamp(MathF.Round(mask * 255f), 0f, 255f);

    /// <summary>Nothing changed: the matte is 0 everywhere.</summary>
    public void Clear() => Crop = default;

    /// <summary>Keeps <paramref name="mask"/> (the crop's mask, row by row, 0..1) as the matte over <paramref name="crop"/>.</summary>
    public void Set(PixelRect crop, ReadOnlySpan<float> mask)
    {
        var values = Begin(crop);
        if (mask.Length != values.Length)
        {
            throw new ArgumentException($"A {crop.Width}x{crop.Height} crop has {values.Length} mask values, not {mask.Length}.", nameof(mask));
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ToByte(mask[i]);
        }
    }

    /// <summary>The matte's values over <paramref name="crop"/>, all 0, for the renderer to fill (row by row).</summary>
    public Span<byte> Begin(PixelRect crop)
    {
        var area = checked((int)crop.Area);
        if (_values.Length < area)
        {
            _values = new byte[area];
        }

        Crop = crop;
        var values = _values.AsSpan(0, area);
        values.Clear();
        return values;
    }

    /// <summary>Writes the whole frame's matte (<paramref name="width"/>*<paramref name="height"/> bytes, top-down): 0 outside <see cref="Crop"/>.</summary>
    public void WriteTo(Span<byte> matte, int width, int height)
    {
        if (matte.Length != checked(width * height))
        {
            throw new ArgumentException($"A {width}x{height} matte is {width * height} bytes, not {matte.Length}.", nameof(matte));
        }

        matte.Clear();
        var crop = Crop;
        if (crop.Area == 0)
        {
            return;
        }

        if (crop.X < 0 || crop.Y < 0 || crop.X + crop.Width > width || crop.Y + crop.Height > height)
        {
            throw new ArgumentException($"The matte's rectangle {crop} is outside the {width}x{height} frame.", nameof(width));
        }

        for (var y = 0; y < crop.Height; y++)
        {
            _values.AsSpan(y * crop.Width, crop.Width).CopyTo(matte.Slice(((crop.Y + y) * width) + crop.X, crop.Width));
        }
    }
}
