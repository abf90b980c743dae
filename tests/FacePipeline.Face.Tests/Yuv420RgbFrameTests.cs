namespace FacePipeline.Face.Tests;

[Trait("Lane", "Fast")]
public sealed class Yuv420RgbFrameTests
{
    public static TheoryData<string> Matrices => ["bt601", "bt709"];

    /// <summary>Each matrix's luma weights K<sub>R</sub> and K<sub>B</sub> (ITU-R BT.601 and BT.709), for the closed form.</summary>
    private static readonly Dictionary<string, (double Kr, double Kb)> LumaWeights = new()
    {
        ["bt601"] = (0.299, 0.114),
        ["bt709"] = (0.2126, 0.0722),
    };

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Every_pixel_is_within_three_levels_of_the_closed_form_conversion(string name)
    {
        // ffmpeg's fixed point truncates where the closed form rounds: its bytes (and so these) sit up to three levels off.
        var matrix = YuvMatrix.FromName(name);
        var frame = RandomFrame(99, 37, matrix, seed: 7); // odd sizes: the last chroma column and row cover one pixel
        frame.ConvertAll();

        var worst = 0;
        for (var y = 0; y < frame.Height; y++)
        {
            for (var x = 0; x < frame.Width; x++)
            {
                var expected = ClosedForm(frame, LumaWeights[name], x, y);
                for (var k = 0; k < 3; k++)
                {
                    worst = Math.Max(worst, Math.Abs(expected[k] - frame.Rgb24[(((y * frame.Width) + x) * 3) + k]));
                }
            }
        }

        Assert.True(worst <= 3, $"largest difference from the closed form: {worst} levels");
    }

    [Theory]
    [InlineData(16, 128, 128, 0, 0, 0)]
    [InlineData(235, 128, 128, 255, 255, 255)]
    [InlineData(126, 128, 128, 128, 128, 128)]
    [InlineData(63, 102, 240, 255, 0, 0)] // BT.709 100 % red
    [InlineData(173, 42, 26, 0, 255, 0)] // BT.709 100 % green
    [InlineData(32, 240, 118, 0, 0, 255)] // BT.709 100 % blue
    [InlineData(0, 0, 0, 0, 77, 0)] // out of gamut: red and blue clamped at 0, not wrapped
    public void BT_709_reference_colours_convert_to_their_RGB(byte luma, byte cb, byte cr, int r, int g, int b)
    {
        var frame = new Yuv420RgbFrame(2, 2, YuvMatrix.Bt709);
        frame.Planes.AsSpan(0, 4).Fill(luma);
        frame.Planes[4] = cb;
        frame.Planes[5] = cr;
        frame.NewFrame();
        frame.ConvertAll();

        for (var p = 0; p < 4; p++)
        {
            Assert.InRange(frame.Rgb24[p * 3], r - 2, r + 2);
            Assert.InRange(frame.Rgb24[(p * 3) + 1], g - 2, g + 2);
            Assert.InRange(frame.Rgb24[(p * 3) + 2], b - 2, b + 2);
        }
    }

    [Theory]
    [InlineData(0, 0, 99, 37)]
    [InlineData(1, 1, 2, 2)]
    [InlineData(3, 5, 90, 30)]
    [InlineData(8, 0, 17, 37)]
    [InlineData(97, 36, 99, 37)]
    public void A_region_converts_exactly_what_converting_the_whole_frame_gives_there_and_nothing_else(int x0, int y0, int x1, int y1)
    {
        var whole = RandomFrame(99, 37, YuvMatrix.Bt601, seed: 3);
        whole.ConvertAll();
        var part = RandomFrame(99, 37, YuvMatrix.Bt601, seed: 3);
        var untouched = part.Rgb24.ToArray();

        part.Convert(x0, y0, x1, y1);

        for (var y = 0; y < 37; y++)
        {
            for (var x = 0; x < 99; x++)
            {
                var inside = x >= x0 && x < x1 && y >= y0 && y < y1;
                var o = ((y * 99) + x) * 3;
                var expected = inside ? whole.Rgb24.Slice(o, 3).ToArray() : untouched.AsSpan(o, 3).ToArray();
                Assert.Equal(expected, part.Rgb24.Slice(o, 3).ToArray());
            }
        }

        Assert.Equal((long)(x1 - x0) * (y1 - y0), part.ConvertedPixels);
    }

    [Theory]
    [InlineData(0.5f, 0.5f, 0.4f, 0f)]
    [InlineData(0.3f, 0.6f, 0.35f, 0.5f)]
    [InlineData(0.05f, 0.1f, 0.5f, -1.1f)] // mostly outside the frame: borders replicated
    [InlineData(0.97f, 0.95f, 0.2f, 2.9f)]
    [InlineData(1.4f, 0.5f, 0.2f, 0.3f)] // wholly outside
    public void A_crop_of_a_ROI_reads_only_pixels_converted_for_it(float cx, float cy, float side, float rotation)
    {
        const int width = 160;
        const int height = 120;
        var roi = new RotatedRect(cx, cy, side, side * width / height, rotation);
        var whole = RandomFrame(width, height, YuvMatrix.Bt601, seed: 11);
        whole.ConvertAll();
        var lazy = RandomFrame(width, height, YuvMatrix.Bt601, seed: 11);
        // Whatever an earlier frame left where nothing is converted: a value the crop would show if it read there.
        var stale = RandomFrame(width, height, YuvMatrix.Bt601, seed: 12);
        stale.ConvertAll();
        stale.Planes.CopyTo(lazy.Planes, 0);
        lazy.ConvertAll();
        RandomFrame(width, height, YuvMatrix.Bt601, seed: 11).Planes.CopyTo(lazy.Planes, 0);
        lazy.NewFrame();

        lazy.ConvertCovering(roi);

        var expected = new float[64 * 64 * 3];
        var actual = new float[64 * 64 * 3];
        RoiCrop.Sample(whole.Rgb24, width, height, roi, 64, expected);
        RoiCrop.Sample(lazy.Rgb24, width, height, roi, 64, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_second_covering_of_the_same_ROI_converts_nothing_and_a_new_frame_forgets_what_was_converted()
    {
        var frame = RandomFrame(64, 48, YuvMatrix.Bt601, seed: 5);
        var roi = new RotatedRect(0.5f, 0.5f, 0.25f, 0.25f * 64 / 48, 0.2f);

        frame.ConvertCovering(roi);
        var once = frame.ConvertedPixels;
        frame.ConvertCovering(roi);

        Assert.True(once > 0);
        Assert.Equal(once, frame.ConvertedPixels);
        frame.NewFrame();
        Assert.Equal(0, frame.ConvertedPixels);
        frame.ConvertCovering(roi);
        Assert.Equal(once, frame.ConvertedPixels);
    }

    [Theory]
    [InlineData("bt601", 104597, 132201, 25675, 53279)]
    [InlineData("bt709", 117489, 138438, 13975, 34925)]
    public void A_matrix_is_named_as_the_timeline_names_it_with_swscales_coefficients(string name, int vToR, int uToB, int uToG, int vToG)
    {
        Assert.Equal(new YuvMatrix(name, vToR, uToB, uToG, vToG), YuvMatrix.FromName(name));
    }

    [Theory]
    [InlineData("bt2020nc")]
    [InlineData("smpte240m")]
    [InlineData("")]
    public void A_matrix_without_a_checked_conversion_is_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => YuvMatrix.FromName(name));
    }

    [Fact]
    public void A_region_outside_the_frame_is_refused()
    {
        var frame = new Yuv420RgbFrame(8, 8, YuvMatrix.Bt601);

        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Convert(0, 0, 9, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Convert(4, 0, 3, 8));
    }

    private static Yuv420RgbFrame RandomFrame(int width, int height, YuvMatrix matrix, int seed)
    {
        var frame = new Yuv420RgbFrame(width, height, matrix);
        new Random(seed).NextBytes(frame.Planes);
        frame.NewFrame();
        return frame;
    }

    /// <summary>Limited-range Y'CbCr to R'G'B' in doubles (ITU-R BT.601/709 with the matrix's K<sub>R</sub>, K<sub>B</sub>), rounded and clamped.</summary>
    private static int[] ClosedForm(Yuv420RgbFrame frame, (double Kr, double Kb) m, int x, int y)
    {
        var (w, h) = (frame.Width, frame.Height);
        var (cw, ch) = ((w + 1) / 2, (h + 1) / 2);
        var luma = (frame.Planes[(y * w) + x] - 16) * 255.0 / 219.0;
        var cb = (frame.Planes[(w * h) + ((y / 2) * cw) + (x / 2)] - 128) * 255.0 / 224.0;
        var cr = (frame.Planes[(w * h) + (cw * ch) + ((y / 2) * cw) + (x / 2)] - 128) * 255.0 / 224.0;
        var kg = 1 - m.Kr - m.Kb;
        var r = luma + (2 * (1 - m.Kr) * cr);
        var b = luma + (2 * (1 - m.Kb) * cb);
        var g = (luma - (m.Kr * r) - (m.Kb * b)) / kg;
        return [.. new[] { r, g, b }.Select(v => (int)Math.Clamp(Math.Round(v), 0, 255))];
    }
}
