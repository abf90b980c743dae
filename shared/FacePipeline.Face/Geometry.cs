namespace FacePipeline.Face;

/// <summary>A point in image pixels (origin top left, y down; MediaPipe's convention px = x * width).</summary>
public readonly record struct PixelPoint(float X, float Y);

/// <summary>An axis-aligned box in image pixels: top-left corner, width and height.</summary>
public readonly record struct PixelBox(float X, float Y, float Width, float Height)
{
    public float Right => X + Width;

    public float Bottom => Y + Height;

    public float CenterX => X + (Width / 2f);

    public float CenterY => Y + (Height / 2f);
}

/// <summary>A point in normalised coordinates (fractions of a frame's width and height).</summary>
public readonly record struct NormalizedPoint(float X, float Y);

/// <summary>The six BlazeFace keypoints in MediaPipe's order (left and right are the subject's).</summary>
public enum FaceKeypoint
{
    RightEye = 0,
    LeftEye = 1,
    NoseTip = 2,
    MouthCenter = 3,
    RightEarTragion = 4,
    LeftEarTragion = 5,
}

/// <summary>A face found in an image, in that image's pixels.</summary>
/// <param name="BoundingBox">The face box in pixels.</param>
/// <param name="Keypoints">Six keypoints in pixels, indexed by <see cref="FaceKeypoint"/>.</param>
/// <param name="Score">The detector's confidence in [0, 1].</param>
public sealed record FaceDetection(PixelBox BoundingBox, IReadOnlyList<PixelPoint> Keypoints, float Score)
{
    public const int KeypointCount = 6;

    public PixelPoint this[FaceKeypoint keypoint] => Keypoints[(int)keypoint];
}

/// <summary>
/// A detection in normalised coordinates of the frame it was found in (for the detector's own
/// output: the 128x128 letterboxed tensor), before it is mapped back to image pixels. Mirrors
/// MediaPipe's <c>Detection</c> with a relative bounding box and relative keypoints.
/// </summary>
public sealed record NormalizedDetection(
    float XMin, float YMin, float Width, float Height, IReadOnlyList<NormalizedPoint> Keypoints, float Score)
{
    public float XMax => XMin + Width;

    public float YMax => YMin + Height;

    public float Area => Width * Height;
}
