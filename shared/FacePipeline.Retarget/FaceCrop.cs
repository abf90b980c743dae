namespace FacePipeline.Retarget;

/// <summary>
/// A square face crop aligned to the face: the similarity that maps crop pixels onto frame pixels,
/// <c>frame = Centre + Scale · R(Angle) · (crop − c₀)</c> with <c>c₀ = ((Size − 1) / 2, (Size − 1) / 2)</c>
/// (pixel centres at integer coordinates). <see cref="Of(ReadOnlySpan{Point2}, int)"/> puts the eyes level and the face upright,
/// at a fixed size in the crop, whatever the face's size, position and roll in the frame, so that a
/// network sees every frame of an actor the same way and a 4K plate costs what its crop costs.
/// </summary>
/// <param name="Size">Crop side, pixels.</param>
/// <param name="Centre">The frame point at the crop's centre.</param>
/// <param name="Scale">Frame pixels per crop pixel.</param>
/// <param name="Angle">Rotation of the crop's x axis in the frame, radians (the face's roll).</param>
public readonly record struct FaceCrop(int Size, Point2 Centre, double Scale, double Angle)
{
    /// <summary>Landmarks whose mean is the subject's right eye (outer and inner corners, MediaPipe numbering).</summary>
    public static readonly int[] RightEyeCorners = [33, 133];

    /// <summary>Landmarks whose mean is the subject's left eye.</summary>
    public static readonly int[] LeftEyeCorners = [362, 263];

    /// <summary>The crop's side in inter-ocular distances (eye centre to eye centre): forehead to below the chin with the mouth wide open.</summary>
    public const double SpanInEyeDistances = 3.4;

    /// <summary>How far below the eyes' midpoint the crop's centre lies, in inter-ocular distances.</summary>
    public const double CentreBelowEyes = 0.45;

    /// <summary>
    /// The crop of a face from its 468 landmarks (pixels): centred <see cref="CentreBelowEyes"/> inter-ocular
    /// distances below the eyes' midpoint, perpendicular to the eye line; side <see cref="SpanInEyeDistances"/>
    /// inter-ocular distances; rotated so the eye line is horizontal.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 468 points, a crop under 8 pixels, or coincident eyes.</exception>
    public static FaceCrop Of(ReadOnlySpan<Point2> mesh, int size) => Of(mesh, size, SpanInEyeDistances);

    /// <summary>As <see cref="Of(ReadOnlySpan{Point2}, int)"/>, with a side of <paramref name="spanInEyeDistances"/> inter-ocular distances (a wider view of the head).</summary>
    public static FaceCrop Of(ReadOnlySpan<Point2> mesh, int size, double spanInEyeDistances)
    {
        if (!(spanInEyeDistances > 0) || double.IsInfinity(spanInEyeDistances))
        {
            throw new ArgumentOutOfRangeException(nameof(spanInEyeDistances), spanInEyeDistances, "The span must be a positive number of eye distances.");
        }

        if (mesh.Length < WarpMesh.FacePointCount)
        {
            throw new ArgumentException($"Expected {WarpMesh.FacePointCount} landmarks, got {mesh.Length}.", nameof(mesh));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        var right = Mean(mesh, RightEyeCorners); // appears on the image's left for a face looking at the camera
        var left = Mean(mesh, LeftEyeCorners);
        var (ex, ey) = (left.X - right.X, left.Y - right.Y);
        var distance = Math.Sqrt((ex * ex) + (ey * ey));
        if (!(distance > 1e-6) || !double.IsFinite(distance))
        {
            throw new ArgumentException("The eyes coincide: not a face mesh.", nameof(mesh));
        }

        var (ux, uy) = (ex / distance, ey / distance);
        var (dx, dy) = (-uy, ux); // the eye line turned +90° in image coordinates (y down): towards the mouth
        var middle = new Point2((left.X + right.X) / 2, (left.Y + right.Y) / 2);
        var centre = new Point2(middle.X + (CentreBelowEyes * distance * dx), middle.Y + (CentreBelowEyes * distance * dy));
        return new FaceCrop(size, centre, spanInEyeDistances * distance / size, Math.Atan2(uy, ux));
    }

    /// <summary>The frame point of a crop point.</summary>
    public Point2 ToFrame(Point2 crop)
    {
        var half = (Size - 1) / 2.0;
        var (x, y) = ((crop.X - half) * Scale, (crop.Y - half) * Scale);
        var (c, s) = (Math.Cos(Angle), Math.Sin(Angle));
        return new Point2(Centre.X + (c * x) - (s * y), Centre.Y + (s * x) + (c * y));
    }

    /// <summary>The crop point of a frame point.</summary>
    public Point2 ToCrop(Point2 frame)
    {
        var half = (Size - 1) / 2.0;
        var (x, y) = (frame.X - Centre.X, frame.Y - Centre.Y);
        var (c, s) = (Math.Cos(Angle), Math.Sin(Angle));
        return new Point2(half + (((c * x) + (s * y)) / Scale), half + (((-s * x) + (c * y)) / Scale));
    }

    /// <summary>Maps frame points to crop points.</summary>
    public void ToCrop(ReadOnlySpan<Point2> frame, Span<Point2> crop)
    {
        if (crop.Length < frame.Length)
        {
            throw new ArgumentException($"Room for {crop.Length} points, {frame.Length} needed.", nameof(crop));
        }

        for (var i = 0; i < frame.Length; i++)
        {
            crop[i] = ToCrop(frame[i]);
        }
    }

    /// <summary>
    /// Fills the crop (RGB24, <see cref="Size"/>²) from the frame, bilinear, frame borders replicated. When a
    /// crop pixel spans more than two frame pixels (<see cref="Scale"/> &gt; 2), the frame is averaged over
    /// a ⌈Scale⌉² grid of samples inside the pixel's footprint so a 4K face is not aliased.
    /// </summary>
    public void Resample(ReadOnlySpan<byte> frame, int width, int height, Span<byte> crop)
    {
        PiecewiseAffineWarp.RequireImage(frame.Length, width, height, nameof(frame));
        PiecewiseAffineWarp.RequireImage(crop.Length, Size, Size, nameof(crop));
        var taps = Scale > 2 ? (int)Math.Ceiling(Scale / 2) : 1;
        Span<byte> rgb = stackalloc byte[3];
        Span<int> sum = stackalloc int[3];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                sum.Clear();
                for (var ty = 0; ty < taps; ty++)
                {
                    for (var tx = 0; tx < taps; tx++)
                    {
                        var offset = new Point2(x + (((tx + 0.5) / taps) - 0.5), y + (((ty + 0.5) / taps) - 0.5));
                        var p = ToFrame(offset);
                        PiecewiseAffineWarp.Sample(frame, width, height, p.X, p.Y, rgb);
                        sum[0] += rgb[0];
                        sum[1] += rgb[1];
                        sum[2] += rgb[2];
                    }
                }

                var n = taps * taps;
                var o = ((y * Size) + x) * 3;
                crop[o] = (byte)((sum[0] + (n / 2)) / n);
                crop[o + 1] = (byte)((sum[1] + (n / 2)) / n);
                crop[o + 2] = (byte)((sum[2] + (n / 2)) / n);
            }
        }
    }

    /// <summary>
    /// Composites a crop image back into the frame in place: every frame pixel whose crop position falls
    /// inside the crop takes <c>f + m·(crop − f)</c>, with the crop image and its mask
    /// (<paramref name="cropMask"/>, one value in [0, 1] per crop pixel) sampled bilinearly. Frame pixels
    /// outside the crop's footprint, or where the mask is 0, are untouched. Returns the pixels changed.
    /// </summary>
    public int CompositeInto(ReadOnlySpan<byte> cropImage, ReadOnlySpan<float> cropMask, Span<byte> frame, int width, int height)
    {
        PiecewiseAffineWarp.RequireImage(cropImage.Length, Size, Size, nameof(cropImage));
        PiecewiseAffineWarp.RequireImage(frame.Length, width, height, nameof(frame));
        if (cropMask.Length != Size * Size)
        {
            throw new ArgumentException($"Expected {Size * Size} mask values, got {cropMask.Length}.", nameof(cropMask));
        }

        var (x0, y0, x1, y1) = (double.MaxValue, double.MaxValue, double.MinValue, double.MinValue);
        foreach (var corner in new[] { new Point2(0, 0), new Point2(Size - 1, 0), new Point2(0, Size - 1), new Point2(Size - 1, Size - 1) })
        {
            var p = ToFrame(corner);
            (x0, y0, x1, y1) = (Math.Min(x0, p.X), Math.Min(y0, p.Y), Math.Max(x1, p.X), Math.Max(y1, p.Y));
        }

        var (left, top) = (Math.Max(0, (int)Math.Floor(x0)), Math.Max(0, (int)Math.Floor(y0)));
        var (right, bottom) = (Math.Min(width - 1, (int)Math.Ceiling(x1)), Math.Min(height - 1, (int)Math.Ceiling(y1)));
        Span<byte> rgb = stackalloc byte[3];
        var changed = 0;
        for (var y = top; y <= bottom; y++)
        {
            for (var x = left; x <= right; x++)
            {
                var c = ToCrop(new Point2(x, y));
                if (c.X < 0 || c.Y < 0 || c.X > Size - 1 || c.Y > Size - 1)
                {
                    continue;
                }

                var m = SampleMask(cropMask, c.X, c.Y);
                if (m <= 0)
                {
                    continue;
                }

                PiecewiseAffineWarp.Sample(cropImage, Size, Size, c.X, c.Y, rgb);
                var o = ((y * width) + x) * 3;
                for (var k = 0; k < 3; k++)
                {
                    frame[o + k] = (byte)Math.Clamp(Math.Round(frame[o + k] + (m * (rgb[k] - frame[o + k]))), 0, 255);
                }

                changed++;
            }
        }

        return changed;
    }

    private float SampleMask(ReadOnlySpan<float> mask, double x, double y)
    {
        var xi = Math.Min((int)Math.Floor(x), Size - 1);
        var yi = Math.Min((int)Math.Floor(y), Size - 1);
        var (fx, fy) = ((float)(x - xi), (float)(y - yi));
        var (xj, yj) = (Math.Min(xi + 1, Size - 1), Math.Min(yi + 1, Size - 1));
        var top = mask[(yi * Size) + xi] + ((mask[(yi * Size) + xj] - mask[(yi * Size) + xi]) * fx);
        var bottom = mask[(yj * Size) + xi] + ((mask[(yj * Size) + xj] - mask[(yj * Size) + xi]) * fx);
        return top + ((bottom - top) * fy);
    }

    private static Point2 Mean(ReadOnlySpan<Point2> mesh, int[] indices)
    {
        double x = 0, y = 0;
        foreach (var i in indices)
        {
            x += mesh[i].X;
            y += mesh[i].Y;
        }

        return new Point2(x / indices.Length, y / indices.Length);
    }
}
