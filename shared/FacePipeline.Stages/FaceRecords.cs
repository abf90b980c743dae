namespace FacePipeline.Stages;

// The per-frame 3D face records of a track job (tracking.json, tracking.fptk) and of
// `facepipe analyze --json`. Schema "facepipeline.tracking/v2", documented in
// docs/tracking-format.md. Image coordinates are pixels of the upright (rotation-applied) frame,
// origin top left, y down; metric quantities are centimetres in MediaPipe's face-geometry camera.

/// <summary>A whole clip: video facts, the models and camera used, then one record per frame, in order.</summary>
public sealed record TrackingDocument(
    string Schema,
    string Source,
    TrackedVideo Video,
    TrackingModels Models,
    IReadOnlyList<FrameRecord> Frames)
{
    public const string SchemaV2 = "facepipeline.tracking/v2";
}

/// <param name="FrameRate">Exact rational frame rate, e.g. "30000/1001".</param>
public sealed record TrackedVideo(int Width, int Height, string FrameRate, int FrameCount, double DurationSeconds);

/// <param name="Detector">Face detector (runs when a face is lost, and at the start of every chunk).</param>
/// <param name="Landmarks">Landmark model: the 468-point mesh model, or the refined (attention) model whose 478 points are the same 468-point mesh and the irises.</param>
/// <param name="Camera">The perspective camera of the metric pose (vertical field of view in degrees).</param>
/// <param name="Filter">Temporal filter applied to landmarks before the pose.</param>
public sealed record TrackingModels(string Detector, string Landmarks, string Camera, string Filter)
{
    /// <summary>With the 468-point landmark model (records without irises).</summary>
    public static TrackingModels Current { get; } = new(
        "mediapipe-face-detection-short-range (imported to ONNX by the project)",
        "mediapipe-face-landmark-468 (imported to ONNX by the project)",
        "perspective, vertical FOV 63 degrees, near 1 cm, far 10000 cm (MediaPipe face geometry)",
        "one-euro (min cutoff 0.3 Hz, beta 40 face sizes/s, derivative cutoff 2 Hz)");

    /// <summary>With the refined landmark model (face_landmark_with_attention: the 468-point mesh with refined lips and eyes, plus the irises).</summary>
    public static TrackingModels Refined { get; } = Current with
    {
        Landmarks = "mediapipe-face-landmark-with-attention-478 (imported to ONNX by the project; 468 mesh points with refined lips and eyes, irises apart)",
    };

    /// <summary>The models of a clip's records: <see cref="Refined"/> when a face carries irises, else <see cref="Current"/>.</summary>
    public static TrackingModels For(IReadOnlyList<FrameRecord> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        return frames.Any(f => f.Faces.Any(face => face.Irises is not null)) ? Refined : Current;
    }
}

/// <summary>One frame: its index in the clip, presentation time in seconds, and its faces (largest first). No face: an empty list.</summary>
public sealed record FrameRecord(int Index, double Time, IReadOnlyList<FaceRecord> Faces);

/// <summary>One face on one frame.</summary>
/// <param name="TrackId">Stable while the face is followed; a face lost and found again gets a new id.</param>
/// <param name="FaceScore">The landmark model's confidence that the crop holds a face.</param>
/// <param name="Box">Bounds of the landmarks, pixels.</param>
/// <param name="Landmarks">468 points [x px, y px, z] (z: relative depth on the scale of x; more negative is nearer).</param>
/// <param name="Pose">Head pose, or null in per-chunk intermediate records.</param>
/// <param name="Expression">468 displacements [dx, dy, dz] in cm from the actor's neutral, in the canonical pose-free frame; null in intermediates.</param>
/// <param name="Irises">
/// With the refined landmark model, the 10 iris points [x px, y px, z] (same units and filter as <paramref name="Landmarks"/>):
/// the subject's right iris (0 centre, then 1–4 its edge), then the left (5 centre, 6–9), MediaPipe's points 468–477.
/// Null when the face was tracked by the 468-point model. The 468 landmarks are the mesh either way.
/// </param>
public sealed record FaceRecord(int TrackId, float FaceScore, BoxRecord Box, float[][] Landmarks, PoseRecord? Pose, float[][]? Expression, float[][]? Irises = null)
{
    /// <summary>Iris points per face (5 per eye).</summary>
    public const int IrisPointCount = 10;

    /// <summary>Index in <see cref="Irises"/> of the subject's right iris centre (MediaPipe's 468).</summary>
    public const int RightIrisCentre = 0;

    /// <summary>Index in <see cref="Irises"/> of the subject's left iris centre (MediaPipe's 473).</summary>
    public const int LeftIrisCentre = 5;
}

public sealed record BoxRecord(float X, float Y, float Width, float Height);

/// <summary>
/// Head pose: the similarity that takes MediaPipe's canonical face (cm) to the face in camera
/// space (right-handed, looking down -Z). Angles in degrees: R = R_y(yaw) R_x(pitch) R_z(roll);
/// +yaw turns the nose to the image's right, +pitch down, +roll anticlockwise in the image.
/// </summary>
/// <param name="Rotation">Row-major 3x3.</param>
/// <param name="Translation">Centimetres.</param>
public sealed record PoseRecord(double Yaw, double Pitch, double Roll, double[] Rotation, double[] Translation, double Scale);
