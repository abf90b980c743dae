namespace FacePipeline.Face;

/// <summary>
/// A rotated rectangle in normalised image coordinates (fractions of width and height), rotation in
/// radians, clockwise in image space (y down) — MediaPipe's <c>NormalizedRect</c>.
/// </summary>
public readonly record struct RotatedRect(float XCenter, float YCenter, float Width, float Height, float Rotation);

/// <summary>A landmark in image pixels; <see cref="Z"/> is relative depth on the scale of x (more negative is nearer).</summary>
public readonly record struct Landmark(float X, float Y, float Z);

/// <summary>
/// The crop the landmark model sees, as MediaPipe's face mesh graph computes it: from a detection
/// (box centre, rotation that levels the eyes, square on the long side, 1.5x) or, while tracking,
/// from the previous frame's landmarks (their bounding box, rotation from the outer eye corners).
/// </summary>
public static class FaceRoi
{
    public const float ScaleFactor = 1.5f;

    /// <summary>Landmark indices whose line is levelled while tracking (the outer eye corners).</summary>
    public const int TrackingRotationStart = 33;
    public const int TrackingRotationEnd = 263;

    public static RotatedRect FromDetection(FaceDetection detection, int width, int height)
    {
        var box = detection.BoundingBox;
        var rotation = Rotation(detection[FaceKeypoint.RightEye], detection[FaceKeypoint.LeftEye]);
        return Transform(box.CenterX, box.CenterY, box.Width, box.Height, rotation, width, height);
    }

    public static RotatedRect FromLandmarks(ReadOnlySpan<Landmark> landmarks, int width, int height)
    {
        var box = Bounds(landmarks);
        var start = landmarks[TrackingRotationStart];
        var end = landmarks[TrackingRotationEnd];
        var rotation = Rotation(new PixelPoint(start.X, start.Y), new PixelPoint(end.X, end.Y));
        return Transform(box.CenterX, box.CenterY, box.Width, box.Height, rotation, width, height);
    }

    /// <summary>The axis-aligned bounds of points, in pixels.</summary>
    public static PixelBox Bounds(ReadOnlySpan<Landmark> points)
    {
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var p in points)
        {
            minX = MathF.Min(minX, p.X);
            minY = MathF.Min(minY, p.Y);
            maxX = MathF.Max(maxX, p.X);
            maxY = MathF.Max(maxY, p.Y);
        }

        return new PixelBox(minX, minY, maxX - minX, maxY - minY);
    }

    /// <summary>The angle that brings the line start→end to horizontal, normalised to [-π, π).</summary>
    public static float Rotation(PixelPoint start, PixelPoint end) =>
        NormalizeRadians(-MathF.Atan2(-(end.Y - start.Y), end.X - start.X));

    public static float NormalizeRadians(float angle) =>
        angle - (2 * MathF.PI * MathF.Floor((angle + MathF.PI) / (2 * MathF.PI)));

    /// <summary>Square on the long side (in pixels), scaled by <see cref="ScaleFactor"/>, as normalised coordinates.</summary>
    private static RotatedRect Transform(float centerX, float centerY, float boxWidth, float boxHeight, float rotation, int width, int height)
    {
        var side = MathF.Max(boxWidth, boxHeight) * ScaleFactor;
        return new RotatedRect(centerX / width, centerY / height, side / width, side / height, rotation);
    }
}

/// <summary>
/// Samples a rotated ROI of an RGB24 frame into a square float tensor (NHWC), bilinear, borders
/// replicated, each output pixel taken at its centre; and maps points of that tensor back to the
/// frame. The same convention as the detector's letterbox (which matches MediaPipe to 1e-6).
/// </summary>
public static class RoiCrop
{
    public static void Sample(
        ReadOnlySpan<byte> rgb24, int width, int height, RotatedRect roi, int size, Span<float> tensor, float rangeMin = 0f, float rangeMax = 1f)
    {
        if (tensor.Length < size * size * 3)
        {
            throw new ArgumentException("Tensor too small for the crop.", nameof(tensor));
        }

        var scale = (rangeMax - rangeMin) / 255f;
        var (cos, sin) = (MathF.Cos(roi.Rotation), MathF.Sin(roi.Rotation));
        var sidePx = roi.Width * width; // square in pixels: Width * width == Height * height
        var cx = roi.XCenter * width;
        var cy = roi.YCenter * height;
        var stride = width * 3;

        // Source position of output pixel (u, v)'s centre, in continuous pixel coordinates:
        // origin + u * stepU + v * stepV (an affine map, so it is stepped, not recomputed).
        var stepUx = cos * sidePx / size;
        var stepUy = sin * sidePx / size;
        var stepVx = -sin * sidePx / size;
        var stepVy = cos * sidePx / size;
        var n0 = (0.5f / size) - 0.5f;
        var originX = cx + (((cos * n0) - (sin * n0)) * sidePx) - 0.5f;
        var originY = cy + (((sin * n0) + (cos * n0)) * sidePx) - 0.5f;
        var o = 0;
        for (var v = 0; v < size; v++)
        {
            var rowX = originX + (v * stepVx);
            var rowY = originY + (v * stepVy);
            for (var u = 0; u < size; u++)
            {
                var sx = rowX + (u * stepUx);
                var sy = rowY + (u * stepUy);
                var x0 = (int)MathF.Floor(sx);
                var y0 = (int)MathF.Floor(sy);
                var fx = sx - x0;
                var fy = sy - y0;
                int a, b, c, d;
                if ((uint)x0 < (uint)(width - 1) && (uint)y0 < (uint)(height - 1))
                {
                    a = (y0 * stride) + (x0 * 3);
                    b = a + 3;
                    c = a + stride;
                    d = c + 3;
                }
                else
                {
                    // Borders replicated.
                    var xa = Math.Clamp(x0, 0, width - 1) * 3;
                    var xb = Math.Clamp(x0 + 1, 0, width - 1) * 3;
                    var ra = Math.Clamp(y0, 0, height - 1) * stride;
                    var rb = Math.Clamp(y0 + 1, 0, height - 1) * stride;
                    (a, b, c, d) = (ra + xa, ra + xb, rb + xa, rb + xb);
                }

                var w00 = (1 - fx) * (1 - fy) * scale;
                var w01 = fx * (1 - fy) * scale;
                var w10 = (1 - fx) * fy * scale;
                var w11 = fx * fy * scale;
                tensor[o] = (rgb24[a] * w00) + (rgb24[b] * w01) + (rgb24[c] * w10) + (rgb24[d] * w11) + rangeMin;
                tensor[o + 1] = (rgb24[a + 1] * w00) + (rgb24[b + 1] * w01) + (rgb24[c + 1] * w10) + (rgb24[d + 1] * w11) + rangeMin;
                tensor[o + 2] = (rgb24[a + 2] * w00) + (rgb24[b + 2] * w01) + (rgb24[c + 2] * w10) + (rgb24[d + 2] * w11) + rangeMin;
                o += 3;
            }
        }
    }

    /// <summary>
    /// Maps a point of the crop, in crop pixels of a <paramref name="size"/>-square tensor (z on the
    /// same scale), to frame pixels: MediaPipe's landmark projection.
    /// </summary>
    public static Landmark ToImage(float u, float v, float z, RotatedRect roi, int size, int width, int height)
    {
        var x = (u / size) - 0.5f;
        var y = (v / size) - 0.5f;
        var (cos, sin) = (MathF.Cos(roi.Rotation), MathF.Sin(roi.Rotation));
        var px = ((((cos * x) - (sin * y)) * roi.Width) + roi.XCenter) * width;
        var py = ((((sin * x) + (cos * y)) * roi.Height) + roi.YCenter) * height;
        var pz = z / size * roi.Width * width;
        return new Landmark(px, py, pz);
    }
}
