using FacePipeline.Face;

namespace FacePipeline.Stages;

// The tracking data of a track job (tracking.json) and of `facepipe analyze --json`.
// Schema "facepipeline.tracking/v1", documented in docs/tracking-format.md. Coordinates are image
// pixels of the upright (rotation-applied) frame, origin top left, y down.

/// <summary>A whole clip's tracking data: the video facts, then one record per frame, in order.</summary>
public sealed record TrackingDocument(
    string Schema,
    string Source,
    TrackedVideo Video,
    string Detector,
    IReadOnlyList<FrameRecord> Frames)
{
    public const string SchemaV1 = "facepipeline.tracking/v1";
    public const string BlazeFaceShortRange = "mediapipe-blazeface-short-range";
}

/// <param name="FrameRate">Exact rational frame rate, e.g. "30000/1001".</param>
public sealed record TrackedVideo(int Width, int Height, string FrameRate, int FrameCount, double DurationSeconds);

/// <summary>One frame: its index in the clip, presentation time in seconds, and the faces on it (largest first).</summary>
public sealed record FrameRecord(int Index, double Time, IReadOnlyList<FaceRecord> Faces);

public sealed record FaceRecord(BoxRecord Box, float Score, KeypointsRecord Keypoints)
{
    public static FaceRecord From(FaceDetection detection)
    {
        var b = detection.BoundingBox;
        return new FaceRecord(
            new BoxRecord(Round(b.X), Round(b.Y), Round(b.Width), Round(b.Height)),
            MathF.Round(detection.Score, 4),
            new KeypointsRecord(
                Point(detection[FaceKeypoint.RightEye]),
                Point(detection[FaceKeypoint.LeftEye]),
                Point(detection[FaceKeypoint.NoseTip]),
                Point(detection[FaceKeypoint.MouthCenter]),
                Point(detection[FaceKeypoint.RightEarTragion]),
                Point(detection[FaceKeypoint.LeftEarTragion])));
    }

    public FaceDetection ToDetection() => new(
        new PixelBox(Box.X, Box.Y, Box.Width, Box.Height),
        [Keypoints.RightEye.ToPixel(), Keypoints.LeftEye.ToPixel(), Keypoints.NoseTip.ToPixel(), Keypoints.MouthCenter.ToPixel(), Keypoints.RightEarTragion.ToPixel(), Keypoints.LeftEarTragion.ToPixel()],
        Score);

    private static float Round(float v) => MathF.Round(v, 2);

    private static PointRecord Point(PixelPoint p) => new(Round(p.X), Round(p.Y));
}

public sealed record BoxRecord(float X, float Y, float Width, float Height);

/// <summary>MediaPipe's six face keypoints; left and right are the subject's.</summary>
public sealed record KeypointsRecord(
    PointRecord RightEye,
    PointRecord LeftEye,
    PointRecord NoseTip,
    PointRecord MouthCenter,
    PointRecord RightEarTragion,
    PointRecord LeftEarTragion);

public sealed record PointRecord(float X, float Y)
{
    public PixelPoint ToPixel() => new(X, Y);
}
