namespace FacePipeline.Face;

/// <summary>
/// A similarity transform from chip coordinates to image coordinates:
/// <c>x = A·u − B·v + Tx</c>, <c>y = B·u + A·v + Ty</c> (scale √(A²+B²), rotation atan2(B, A)).
/// Both sides use pixel-index coordinates (the centre of pixel (i, j) is at (i, j)), as dlib does.
/// </summary>
public readonly record struct FaceIdentityAlignment(double A, double B, double Tx, double Ty)
{
    /// <summary>Image pixels per chip pixel.</summary>
    public double Scale => Math.Sqrt((A * A) + (B * B));

    /// <summary>Rotation of the chip's x axis in the image, radians (y down, so positive is clockwise on screen).</summary>
    public double Rotation => Math.Atan2(B, A);

    public (double X, double Y) ToImage(double u, double v) => ((A * u) - (B * v) + Tx, (B * u) + (A * v) + Ty);
}

/// <summary>
/// The aligned 150x150 face chip the identity network reads, cut from a frame with MediaPipe's
/// 468 face-mesh landmarks.
/// <para>
/// Layout (dlib-like): dlib's face chips (<c>get_face_chip_details(shape, 150, 0.25)</c>) place
/// dlib's mean face shape, a unit square around the 68-point layout, in the chip with 25% padding:
/// chip = (mean + 0.25) / 1.5 · 150. Five anchors of that layout are used (chip pixels, index
/// coordinates, y down; "right" is the subject's, on the image's left):
/// </para>
/// <list type="table">
/// <item><term>right eye centre (47.82, 47.41)</term><description>mean of iBUG 36/39 ↔ mesh 33 (outer corner), 133 (inner)</description></item>
/// <item><term>left eye centre (100.21, 47.41)</term><description>mean of iBUG 42/45 ↔ mesh 362 (inner), 263 (outer)</description></item>
/// <item><term>nose tip (74.01, 76.56)</term><description>iBUG 30 ↔ mesh 1</description></item>
/// <item><term>right mouth corner (50.41, 103.02)</term><description>iBUG 48 ↔ mesh 61</description></item>
/// <item><term>left mouth corner (97.61, 103.02)</term><description>iBUG 54 ↔ mesh 291</description></item>
/// </list>
/// <para>
/// The least-squares similarity transform (rotation, uniform scale, translation; no shear, no
/// reflection) takes these anchors onto the landmarks (landmark pixels minus 0.5: MediaPipe's
/// px = x·width is continuous, the chip's coordinates are pixel indices). Each chip pixel is the
/// bilinear sample of the frame at its image position; when the face is larger than the chip
/// (more than one image pixel per chip pixel) n×n bilinear samples spread over the chip pixel's
/// footprint are averaged, n = ⌈scale⌉ up to 8 (dlib downsamples with a pyramid for the same
/// reason). Outside the frame is black, as in dlib's chips. The result is rounded to 8 bits.
/// </para>
/// </summary>
public static class FaceIdentityChip
{
    public const int Size = 150;
    public const int MaxSupersampling = 8;

    /// <summary>Mesh landmark indices: right eye outer/inner corner, left eye inner/outer, nose tip, right/left mouth corner.</summary>
    public const int RightEyeOuter = 33, RightEyeInner = 133, LeftEyeInner = 362, LeftEyeOuter = 263, NoseTip = 1, MouthRight = 61, MouthLeft = 291;

    private const double Padding = 0.25;

    /// <summary>The five anchors in chip pixels (index coordinates), in the order of the table above.</summary>
    public static IReadOnlyList<(double X, double Y)> Anchors { get; } =
    [
        Chip(0.5 * (0.121737 + 0.334606), 0.5 * (0.216423 + 0.231733)), // iBUG 36, 39
        Chip(0.5 * (0.645647 + 0.858516), 0.5 * (0.231733 + 0.216423)), // iBUG 42, 45
        Chip(0.490127, 0.515625), // iBUG 30
        Chip(0.254149, 0.780233), // iBUG 48
        Chip(0.726104, 0.780233), // iBUG 54
    ];

    /// <summary>The five anchor points of a face in image pixels (index coordinates), from 468 mesh landmarks.</summary>
    public static (double X, double Y)[] LandmarkAnchors(ReadOnlySpan<Landmark> landmarks)
    {
        if (landmarks.Length < 468)
        {
            throw new ArgumentException($"Expected MediaPipe's 468 face-mesh landmarks, got {landmarks.Length}.", nameof(landmarks));
        }

        return
        [
            Mid(landmarks[RightEyeOuter], landmarks[RightEyeInner]),
            Mid(landmarks[LeftEyeInner], landmarks[LeftEyeOuter]),
            Index(landmarks[NoseTip]),
            Index(landmarks[MouthRight]),
            Index(landmarks[MouthLeft]),
        ];

        static (double, double) Index(Landmark p) => (p.X - 0.5, p.Y - 0.5);
        static (double, double) Mid(Landmark a, Landmark b) => ((0.5 * (a.X + b.X)) - 0.5, (0.5 * (a.Y + b.Y)) - 0.5);
    }

    /// <summary>The chip→image transform for a face given by its 468 mesh landmarks (pixels).</summary>
    public static FaceIdentityAlignment Align(ReadOnlySpan<Landmark> landmarks) => Fit(Anchors, LandmarkAnchors(landmarks));

    /// <summary>
    /// The least-squares similarity transform taking <paramref name="from"/> onto
    /// <paramref name="to"/> (closed form: centre both, A = Σ(p·q)/Σ|p|², B = Σ(p×q)/Σ|p|²).
    /// </summary>
    public static FaceIdentityAlignment Fit(IReadOnlyList<(double X, double Y)> from, IReadOnlyList<(double X, double Y)> to)
    {
        if (from.Count != to.Count || from.Count < 2)
        {
            throw new ArgumentException("Need two or more point pairs.");
        }

        double fx = 0, fy = 0, tx = 0, ty = 0;
        for (var i = 0; i < from.Count; i++)
        {
            fx += from[i].X;
            fy += from[i].Y;
            tx += to[i].X;
            ty += to[i].Y;
        }

        fx /= from.Count;
        fy /= from.Count;
        tx /= to.Count;
        ty /= to.Count;
        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < from.Count; i++)
        {
            var (px, py) = (from[i].X - fx, from[i].Y - fy);
            var (qx, qy) = (to[i].X - tx, to[i].Y - ty);
            dot += (px * qx) + (py * qy);
            cross += (px * qy) - (py * qx);
            norm += (px * px) + (py * py);
        }

        if (norm <= 0)
        {
            throw new ArgumentException("The source points coincide.");
        }

        var a = dot / norm;
        var b = cross / norm;
        return new FaceIdentityAlignment(a, b, tx - ((a * fx) - (b * fy)), ty - ((b * fx) + (a * fy)));
    }

    /// <summary>Cuts the aligned chip of the face given by 468 mesh landmarks (pixels) into <paramref name="chip"/> (150x150 RGB24).</summary>
    public static FaceIdentityAlignment Cut(ReadOnlySpan<byte> rgb24, int width, int height, ReadOnlySpan<Landmark> landmarks, Span<byte> chip)
    {
        var alignment = Align(landmarks);
        Cut(rgb24, width, height, alignment, chip);
        return alignment;
    }

    /// <summary>Samples the chip for a given chip→image transform (see the class summary).</summary>
    public static void Cut(ReadOnlySpan<byte> rgb24, int width, int height, FaceIdentityAlignment alignment, Span<byte> chip)
    {
        if (width <= 0 || height <= 0 || rgb24.Length < width * height * 3)
        {
            throw new ArgumentException($"Frame of {rgb24.Length} bytes is not {width}x{height} RGB24.", nameof(rgb24));
        }

        if (chip.Length < Size * Size * 3)
        {
            throw new ArgumentException($"The chip needs {Size * Size * 3} bytes.", nameof(chip));
        }

        // A scale a hair over an integer (float32 landmarks) does not add a row of samples.
        var n = Math.Clamp((int)Math.Ceiling(alignment.Scale - 1e-3), 1, MaxSupersampling);
        var inv = 1.0 / (n * n);
        var stride = width * 3;
        var o = 0;
        for (var v = 0; v < Size; v++)
        {
            for (var u = 0; u < Size; u++)
            {
                double r = 0, g = 0, b = 0;
                for (var sv = 0; sv < n; sv++)
                {
                    // Sub-sample offsets centred in the chip pixel: (s + 0.5) / n − 0.5.
                    var cv = v + (((sv + 0.5) / n) - 0.5);
                    for (var su = 0; su < n; su++)
                    {
                        var cu = u + (((su + 0.5) / n) - 0.5);
                        var (x, y) = alignment.ToImage(cu, cv);
                        var x0 = (int)Math.Floor(x);
                        var y0 = (int)Math.Floor(y);
                        var fx = x - x0;
                        var fy = y - y0;
                        var (w00, w01, w10, w11) = ((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy);
                        if ((uint)x0 < (uint)(width - 1) && (uint)y0 < (uint)(height - 1))
                        {
                            var i = (y0 * stride) + (x0 * 3);
                            var j = i + stride;
                            r += (rgb24[i] * w00) + (rgb24[i + 3] * w01) + (rgb24[j] * w10) + (rgb24[j + 3] * w11);
                            g += (rgb24[i + 1] * w00) + (rgb24[i + 4] * w01) + (rgb24[j + 1] * w10) + (rgb24[j + 4] * w11);
                            b += (rgb24[i + 2] * w00) + (rgb24[i + 5] * w01) + (rgb24[j + 2] * w10) + (rgb24[j + 5] * w11);
                        }
                        else
                        {
                            // At or beyond the border: taps outside the frame are black.
                            Tap(rgb24, width, height, x0, y0, w00, ref r, ref g, ref b);
                            Tap(rgb24, width, height, x0 + 1, y0, w01, ref r, ref g, ref b);
                            Tap(rgb24, width, height, x0, y0 + 1, w10, ref r, ref g, ref b);
                            Tap(rgb24, width, height, x0 + 1, y0 + 1, w11, ref r, ref g, ref b);
                        }
                    }
                }

                chip[o] = ToByte(r * inv);
                chip[o + 1] = ToByte(g * inv);
                chip[o + 2] = ToByte(b * inv);
                o += 3;
            }
        }
    }

    private static void Tap(ReadOnlySpan<byte> rgb24, int width, int height, int x, int y, double w, ref double r, ref double g, ref double b)
    {
        if ((uint)x >= (uint)width || (uint)y >= (uint)height)
        {
            return;
        }

        var i = ((y * width) + x) * 3;
        r += rgb24[i] * w;
        g += rgb24[i + 1] * w;
        b += rgb24[i + 2] * w;
    }

    private static byte ToByte(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);

    private static (double X, double Y) Chip(double meanX, double meanY) =>
        ((meanX + Padding) / (1 + (2 * Padding)) * Size, (meanY + Padding) / (1 + (2 * Padding)) * Size);
}
