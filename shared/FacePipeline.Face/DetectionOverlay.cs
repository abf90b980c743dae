namespace FacePipeline.Face;

/// <summary>An RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B);

/// <summary>
/// Draws face detections into a packed RGB24 frame (stride = width x 3), in place: each box as
/// a green outline whose thickness grows with the frame (max(2, min(w, h) / 240) px), the eyes as
/// red filled squares and the other four keypoints as blue ones. Everything is clipped to the frame.
/// </summary>
public static class DetectionOverlay
{
    public static Rgb BoxColor { get; } = new(0, 255, 0);

    public static Rgb EyeColor { get; } = new(255, 0, 0);

    public static Rgb KeypointColor { get; } = new(0, 128, 255);

    /// <summary>Outline thickness in pixels for a frame of this size.</summary>
    public static int LineThickness(int width, int height) => Math.Max(2, Math.Min(width, height) / 240);

    /// <summary>Side of a keypoint square in pixels for a frame of this size.</summary>
    public static int KeypointSize(int width, int height) => (2 * LineThickness(width, height)) + 1;

    public static void Draw(Span<byte> rgb24, int width, int height, IReadOnlyList<FaceDetection> faces)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(faces);
        if (rgb24.Length < (long)width * height * 3)
        {
            throw new ArgumentException($"Expected {(long)width * height * 3} bytes for a {width}x{height} RGB24 frame, got {rgb24.Length}.", nameof(rgb24));
        }

        var thickness = LineThickness(width, height);
        var half = KeypointSize(width, height) / 2;
        for (var f = 0; f < faces.Count; f++)
        {
            var face = faces[f];
            var box = face.BoundingBox;
            var left = Round(box.X);
            var top = Round(box.Y);
            var right = Round(box.Right) - 1;
            var bottom = Round(box.Bottom) - 1;
            if (right >= left && bottom >= top)
            {
                // Four bands inside the box edges; the fills clip to the frame.
                FillRect(rgb24, width, height, left, top, right, Math.Min(bottom, top + thickness - 1), BoxColor);
                FillRect(rgb24, width, height, left, Math.Max(top, bottom - thickness + 1), right, bottom, BoxColor);
                FillRect(rgb24, width, height, left, top, Math.Min(right, left + thickness - 1), bottom, BoxColor);
                FillRect(rgb24, width, height, Math.Max(left, right - thickness + 1), top, right, bottom, BoxColor);
            }

            for (var k = 0; k < face.Keypoints.Count; k++)
            {
                var p = face.Keypoints[k];
                var x = Round(p.X);
                var y = Round(p.Y);
                var color = k is (int)FaceKeypoint.RightEye or (int)FaceKeypoint.LeftEye ? EyeColor : KeypointColor;
                FillRect(rgb24, width, height, x - half, y - half, x + half, y + half, color);
            }
        }
    }

    /// <summary>Fills the inclusive pixel rectangle [x0..x1] x [y0..y1], clipped to the frame.</summary>
    public static void FillRect(Span<byte> rgb24, int width, int height, int x0, int y0, int x1, int y1, Rgb color)
    {
        x0 = Math.Max(x0, 0);
        y0 = Math.Max(y0, 0);
        x1 = Math.Min(x1, width - 1);
        y1 = Math.Min(y1, height - 1);
        if (x1 < x0 || y1 < y0)
        {
            return;
        }

        var stride = width * 3;
        for (var y = y0; y <= y1; y++)
        {
            var row = rgb24.Slice((y * stride) + (x0 * 3), (x1 - x0 + 1) * 3);
            for (var i = 0; i < row.Length; i += 3)
            {
                row[i] = color.R;
                row[i + 1] = color.G;
                row[i + 2] = color.B;
            }
        }
    }

    // Clamped so that boxes far outside the frame (or NaN) cannot overflow the integer maths.
    private static int Round(float v) => float.IsNaN(v) ? int.MinValue / 2 : (int)MathF.Round(Math.Clamp(v, -1e6f, 1e6f));
}
