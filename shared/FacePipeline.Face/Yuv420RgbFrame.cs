using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FacePipeline.Face;

/// <summary>
/// A decoded frame as ffmpeg's limited-range 8-bit 4:2:0 planes (<c>yuv420p</c>: Y, then Cb and Cr at ⌈W/2⌉ × ⌈H/2⌉),
/// turned into packed RGB24 only where it is read: the tracker converts the whole frame when its detector runs, and
/// otherwise only the bounds of the crop the landmark model samples (<see cref="FaceTracker.Process(Yuv420RgbFrame)"/>).
/// A 480p frame crosses the decoder's pipe in half the bytes of RGB24 and, with a face held, a fraction of it is converted
/// (issue 16: Reconstruction's decode). Every converted pixel is what <see cref="ConvertAll"/> gives it, whichever region
/// converted it; pixels not converted since <see cref="NewFrame"/> hold an earlier frame's and must not be read.
/// <para>
/// The conversion is ffmpeg's own, bit for bit: the one its scale filter runs for an unscaled 8-bit 4:2:0 → RGB24
/// conversion on x86-64 (swscale's SSSE3 <c>yuv420_rgb24</c>): each chroma sample used for its 2 × 2 luma block; luma and
/// chroma shifted left by 3, offset, and multiplied by 16-bit coefficients keeping the high 16 bits of the product
/// (<c>pmulhw</c>); the terms added and saturated to [0, 255]. The coefficients are swscale's limited-range ones for the
/// matrix (<see cref="YuvMatrix"/>), default contrast, brightness and saturation. Tested byte for byte against ffmpeg's
/// RGB24 of the same planes, random and real (<c>Yuv420ConversionTests</c>): the tracker's input, and so its faces, are
/// those of the RGB24 path.
/// </para>
/// </summary>
public sealed class Yuv420RgbFrame
{
    private const int Shift = 16;
    private readonly int _cy;
    private readonly int _yOffset;
    private readonly int _crv;
    private readonly int _cgu;
    private readonly int _cgv;
    private readonly int _cbu;
    private readonly byte[] _rgb;
    private readonly List<(int X0, int Y0, int X1, int Y1)> _converted = [];
    private readonly int _chromaWidth;
    private readonly int _chromaPlane;
    private bool _all;

    public Yuv420RgbFrame(int width, int height, YuvMatrix matrix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Matrix = matrix;
        _chromaWidth = (width + 1) / 2;
        _chromaPlane = _chromaWidth * ((height + 1) / 2);
        Planes = new byte[checked((width * height) + (2 * _chromaPlane))];
        _rgb = new byte[checked(width * height * 3)];
        // swscale's ff_yuv2rgb_c_init_tables, limited range, contrast and saturation 1 (1 << 16), brightness 0: the
        // coefficients in 16.16, then each times 2^13 rounded to 16 bits (roundToInt16); the luma offset 16 << 16, times 8.
        const long one = 1 << 16;
        var cy = one * 255 / 219;
        _cy = RoundToInt16(cy * 8192);
        _yOffset = RoundToInt16((16L << 16) * 8);
        _crv = RoundToInt16(matrix.VToR * 8192L);
        _cbu = RoundToInt16(matrix.UToB * 8192L);
        _cgu = RoundToInt16(-matrix.UToG * 8192L);
        _cgv = RoundToInt16(-matrix.VToG * 8192L);
    }

    public int Width { get; }

    public int Height { get; }

    public YuvMatrix Matrix { get; }

    /// <summary>The frame's 4:2:0 planes: read the next decoded frame into it, then call <see cref="NewFrame"/>.</summary>
    public byte[] Planes { get; }

    /// <summary>The frame as packed RGB24 (stride W × 3); valid where converted since <see cref="NewFrame"/>.</summary>
    public ReadOnlySpan<byte> Rgb24 => _rgb;

    /// <summary>Pixels converted since <see cref="NewFrame"/> (a measure of the work saved; regions converted twice count twice).</summary>
    public long ConvertedPixels { get; private set; }

    /// <summary><see cref="Planes"/> hold a new frame: nothing of it is converted yet.</summary>
    public void NewFrame()
    {
        _all = false;
        _converted.Clear();
        ConvertedPixels = 0;
    }

    /// <summary>Converts the whole frame (what the detector reads).</summary>
    public void ConvertAll()
    {
        if (!_all)
        {
            Convert(0, 0, Width, Height);
            _all = true;
        }
    }

    /// <summary>
    /// Converts every pixel a crop of <paramref name="roi"/> can read (<see cref="RoiCrop.Sample"/>: bilinear taps inside
    /// the rotated square's bounds, borders replicated): its axis-aligned bounds, two pixels wider, clamped to the frame.
    /// </summary>
    public void ConvertCovering(RotatedRect roi)
    {
        if (_all)
        {
            return;
        }

        var (cos, sin) = (MathF.Abs(MathF.Cos(roi.Rotation)), MathF.Abs(MathF.Sin(roi.Rotation)));
        var side = roi.Width * Width;
        var half = side * (cos + sin) / 2;
        var (cx, cy) = (roi.XCenter * Width, roi.YCenter * Height);
        if (!float.IsFinite(half) || !float.IsFinite(cx) || !float.IsFinite(cy))
        {
            ConvertAll();
            return;
        }

        var x0 = ClampX((int)MathF.Floor(cx - half) - 2);
        var y0 = ClampY((int)MathF.Floor(cy - half) - 2);
        var x1 = ClampX((int)MathF.Ceiling(cx + half) + 2) + 1;
        var y1 = ClampY((int)MathF.Ceiling(cy + half) + 2) + 1;
        foreach (var r in _converted)
        {
            if (r.X0 <= x0 && r.Y0 <= y0 && r.X1 >= x1 && r.Y1 >= y1)
            {
                return;
            }
        }

        Convert(x0, y0, x1, y1);
        _converted.Add((x0, y0, x1, y1));
    }

    /// <summary>Converts columns <paramref name="x0"/> ..< <paramref name="x1"/> of rows <paramref name="y0"/> ..< <paramref name="y1"/>.</summary>
    public void Convert(int x0, int y0, int x1, int y1)
    {
        if (x0 < 0 || y0 < 0 || x1 > Width || y1 > Height || x0 > x1 || y0 > y1)
        {
            throw new ArgumentOutOfRangeException(nameof(x0), $"Region {x0},{y0}..{x1},{y1} is not inside the {Width}x{Height} frame.");
        }

        var cbPlane = Width * Height;
        var crPlane = cbPlane + _chromaPlane;
        for (var y = y0; y < y1; y++)
        {
            var lumaRow = y * Width;
            var chromaRow = (y >> 1) * _chromaWidth;
            var x = x0;
            if (Vector128.IsHardwareAccelerated)
            {
                // Eight pixels at a time from an even column (their four chroma samples); the same integer arithmetic as
                // the pixel-by-pixel loop below, so a pixel comes out the same whichever loop converts it.
                if ((x & 1) != 0 && x < x1)
                {
                    ConvertPixel(lumaRow, chromaRow, x, cbPlane, crPlane);
                    x++;
                }

                for (; x + 8 <= x1; x += 8)
                {
                    ConvertEight(lumaRow, chromaRow, x, cbPlane, crPlane);
                }
            }

            for (; x < x1; x++)
            {
                ConvertPixel(lumaRow, chromaRow, x, cbPlane, crPlane);
            }
        }

        ConvertedPixels += (long)(x1 - x0) * (y1 - y0);
    }

    private void ConvertPixel(int lumaRow, int chromaRow, int x, int cbPlane, int crPlane)
    {
        var c = chromaRow + (x >> 1);
        var u = (Planes[cbPlane + c] << 3) - 1024;
        var v = (Planes[crPlane + c] << 3) - 1024;
        var l = (((Planes[lumaRow + x] << 3) - _yOffset) * _cy) >> Shift;
        var o = (lumaRow + x) * 3;
        _rgb[o] = Clamp(l + ((v * _crv) >> Shift));
        _rgb[o + 1] = Clamp(l + ((u * _cgu) >> Shift) + ((v * _cgv) >> Shift));
        _rgb[o + 2] = Clamp(l + ((u * _cbu) >> Shift));
    }

    /// <summary>Pixels x .. x + 7 of a row (x even), four lanes of 32-bit integers at a time.</summary>
    private void ConvertEight(int lumaRow, int chromaRow, int x, int cbPlane, int crPlane)
    {
        ref var planes = ref MemoryMarshal.GetArrayDataReference(Planes);
        var c = chromaRow + (x >> 1);
        var luma = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref planes, lumaRow + x))).AsByte();
        var cb = Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref planes, cbPlane + c))).AsByte();
        var cr = Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref planes, crPlane + c))).AsByte();
        var pairUp = Vector128.Create((byte)0, 0, 1, 1, 2, 2, 3, 3, 16, 16, 16, 16, 16, 16, 16, 16); // each chroma sample for its two columns
        cb = Vector128.Shuffle(cb, pairUp);
        cr = Vector128.Shuffle(cr, pairUp);
        var y16 = Vector128.WidenLower(luma);
        var u16 = Vector128.WidenLower(cb);
        var v16 = Vector128.WidenLower(cr);
        var (r0, g0, b0) = Pixels(Vector128.WidenLower(y16).AsInt32(), Vector128.WidenLower(u16).AsInt32(), Vector128.WidenLower(v16).AsInt32());
        var (r1, g1, b1) = Pixels(Vector128.WidenUpper(y16).AsInt32(), Vector128.WidenUpper(u16).AsInt32(), Vector128.WidenUpper(v16).AsInt32());
        var r = Vector128.Narrow(Vector128.Narrow(r0, r1), Vector128<short>.Zero).AsByte();
        var g = Vector128.Narrow(Vector128.Narrow(g0, g1), Vector128<short>.Zero).AsByte();
        var b = Vector128.Narrow(Vector128.Narrow(b0, b1), Vector128<short>.Zero).AsByte();

        // r0..r7 g0..g7 in one vector, b0..b7 in another, shuffled into r0 g0 b0 r1 … (24 bytes: 16, then 8).
        var rg = Vector128.Create(r.AsUInt64().ToScalar(), g.AsUInt64().ToScalar()).AsByte();
        // (A shuffle index of 16 or more gives 0.)
        var first = Vector128.Shuffle(rg, Vector128.Create((byte)0, 8, 16, 1, 9, 16, 2, 10, 16, 3, 11, 16, 4, 12, 16, 5))
            | Vector128.Shuffle(b, Vector128.Create((byte)16, 16, 0, 16, 16, 1, 16, 16, 2, 16, 16, 3, 16, 16, 4, 16));
        var second = Vector128.Shuffle(rg, Vector128.Create((byte)13, 16, 6, 14, 16, 7, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16))
            | Vector128.Shuffle(b, Vector128.Create((byte)16, 5, 16, 16, 6, 16, 16, 7, 16, 16, 16, 16, 16, 16, 16, 16));
        ref var output = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_rgb), (lumaRow + x) * 3);
        Unsafe.WriteUnaligned(ref output, first);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 16), second.AsUInt64().ToScalar());
    }

    /// <summary>R, G and B of four pixels, clamped to [0, 255] (still 32-bit lanes).</summary>
    private (Vector128<int> R, Vector128<int> G, Vector128<int> B) Pixels(Vector128<int> y, Vector128<int> u, Vector128<int> v)
    {
        // pmulhw's high half of a 16 × 16-bit product is the 32-bit product shifted right by 16; the sums never reach
        // 16-bit saturation (at most ±600), so 32-bit lanes give ffmpeg's bytes.
        var l = Vector128.ShiftRightArithmetic((Vector128.ShiftLeft(y, 3) - Vector128.Create(_yOffset)) * Vector128.Create(_cy), Shift);
        u = Vector128.ShiftLeft(u, 3) - Vector128.Create(1024);
        v = Vector128.ShiftLeft(v, 3) - Vector128.Create(1024);
        var r = l + Vector128.ShiftRightArithmetic(v * Vector128.Create(_crv), Shift);
        var g = l + Vector128.ShiftRightArithmetic(u * Vector128.Create(_cgu), Shift) + Vector128.ShiftRightArithmetic(v * Vector128.Create(_cgv), Shift);
        var b = l + Vector128.ShiftRightArithmetic(u * Vector128.Create(_cbu), Shift);
        var (lo, hi) = (Vector128<int>.Zero, Vector128.Create(255));
        return (Vector128.Min(Vector128.Max(r, lo), hi), Vector128.Min(Vector128.Max(g, lo), hi), Vector128.Min(Vector128.Max(b, lo), hi));
    }

    private int ClampX(int x) => Math.Clamp(x, 0, Width - 1);

    private int ClampY(int y) => Math.Clamp(y, 0, Height - 1);

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    /// <summary>swscale's roundToInt16: (f + 2^15) >> 16, clipped to 16 bits.</summary>
    private static int RoundToInt16(long f) => (int)Math.Clamp((f + (1 << 15)) >> 16, short.MinValue, short.MaxValue);
}
