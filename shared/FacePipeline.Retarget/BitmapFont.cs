namespace FacePipeline.Retarget;

/// <summary>
/// A built-in 5×7 pixel font (no font files exist on the render machines): digits, space, '-' and the
/// capitals A C E F G L M O R S T U (enough for SOURCE, TARGET, RESULT, FRAME). Glyphs advance by 6 cells.
/// </summary>
internal static class BitmapFont
{
    /// <summary>Glyph height in cells.</summary>
    public const int GlyphHeight = 7;

    /// <summary>Horizontal advance per character in cells (5 of glyph, 1 of spacing).</summary>
    public const int Advance = 6;

    private const string Characters = "0123456789ACEFGLMORSTU -";

    // Seven rows per glyph, the five low bits of each row left to right.
    private static readonly byte[] Rows =
    [
        0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E, // 0
        0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E, // 1
        0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F, // 2
        0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E, // 3
        0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02, // 4
        0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E, // 5
        0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E, // 6
        0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, // 7
        0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E, // 8
        0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C, // 9
        0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, // A
        0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E, // C
        0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F, // E
        0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10, // F
        0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F, // G
        0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F, // L
        0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11, // M
        0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, // O
        0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11, // R
        0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E, // S
        0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, // T
        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, // U
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // space
        0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, // -
    ];

    /// <summary>
    /// Draws <paramref name="text"/> with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>),
    /// each font cell <paramref name="scale"/>×<paramref name="scale"/> pixels, into the RGB24 image, clipped
    /// to <paramref name="clip"/>. Returns the number of pixels set.
    /// </summary>
    /// <exception cref="ArgumentException">A character the font does not have.</exception>
    public static int Draw(Span<byte> image, int width, PixelRect clip, int x, int y, string text, int scale, (byte R, byte G, byte B) colour)
    {
        var drawn = 0;
        for (var n = 0; n < text.Length; n++)
        {
            var glyph = Characters.IndexOf(text[n], StringComparison.Ordinal);
            if (glyph < 0)
            {
                throw new ArgumentException($"The built-in font has no '{text[n]}'.", nameof(text));
            }

            for (var row = 0; row < GlyphHeight * scale; row++)
            {
                var bits = Rows[(glyph * GlyphHeight) + (row / scale)];
                for (var column = 0; column < 5 * scale; column++)
                {
                    int px = x + (n * Advance * scale) + column, py = y + row;
                    if ((bits & (0x10 >> (column / scale))) == 0 || !clip.Contains(px, py))
                    {
                        continue;
                    }

                    var k = ((py * width) + px) * 3;
                    image[k] = colour.R;
                    image[k + 1] = colour.G;
                    image[k + 2] = colour.B;
                    drawn++;
                }
            }
        }

        return drawn;
    }
}
