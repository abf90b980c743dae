namespace FacePipeline.Face;

/// <summary>Settings of <see cref="FaceTracker"/>.</summary>
public sealed record FaceTrackerOptions
{
    /// <summary>Faces tracked at most (MediaPipe's max_num_faces). With 1, the largest detection is followed.</summary>
    public int MaxFaces { get; init; } = 1;

    /// <summary>Below this landmark-model face score a track is lost and the detector runs again.</summary>
    public float MinFaceScore { get; init; } = 0.5f;

    /// <summary>Also run the detector every this many frames (0: only while fewer than <see cref="MaxFaces"/> faces are tracked).</summary>
    public int RedetectInterval { get; init; }

    /// <summary>A detection whose ROI overlaps a tracked ROI by more than this IoU is the same face (MediaPipe: 0.5).</summary>
    public float SameFaceIou { get; init; } = 0.5f;

    /// <summary>
    /// Follow the face nearest to this point (frame pixels) instead of the largest: when faces are
    /// detected, the one whose box centre is closest to it is taken first.
    /// </summary>
    public PixelPoint? Target { get; init; }
}

/// <summary>A face on one frame, with the id of the track it belongs to.</summary>
/// <param name="Detected">True when this frame's ROI came from the detector rather than the previous frame's landmarks.</param>
public sealed record TrackedFace(int TrackId, FaceLandmarks Landmarks, bool Detected);

/// <summary>A face a <see cref="FaceTracker"/> follows: its track id and the crop its landmarks gave for the next frame.</summary>
public readonly record struct FollowedFaceRoi(int Id, RotatedRect Roi);

/// <summary>What a <see cref="FaceTracker"/> carries from frame to frame (<see cref="FaceTracker.CaptureState"/>).</summary>
public sealed record FaceTrackerState(IReadOnlyList<FollowedFaceRoi> Tracks, int NextId, int Frame);

/// <summary>
/// Follows faces through consecutive frames as MediaPipe's face mesh does: the next frame's crop
/// comes from the current landmarks; the detector runs only when a face is missing (fewer than
/// <see cref="FaceTrackerOptions.MaxFaces"/> tracked, or a track's face score fell below the
/// threshold) or every K frames. Track ids are stable while a face is followed; a detection that
/// overlaps a followed face is not a new face. Runs either landmark model (<see cref="FaceLandmarkModel"/>:
/// a <see cref="FaceLandmarker"/> or a <see cref="RefinedFaceLandmarker"/> converts to it); with the refined
/// one each face has 478 points (the irises after the 468 mesh points) and the next crop is made from
/// them alike (the irises lie inside the mesh's bounds). Not thread-safe: one per clip being processed.
/// </summary>
public sealed class FaceTracker(BlazeFaceDetector detector, FaceLandmarkModel landmarker, FaceTrackerOptions? options = null)
{
    private readonly FaceTrackerOptions _options = options ?? new FaceTrackerOptions();
    private List<(int Id, RotatedRect Roi)> _tracks = [];
    private int _nextId;
    private int _frame;

    /// <summary>The landmark model the tracker runs.</summary>
    public FaceLandmarkModel Landmarker => landmarker;

    /// <summary>Frames on which the detector ran since the last <see cref="Reset"/>.</summary>
    public int DetectorRuns { get; private set; }

    /// <summary>
    /// Where the tracker is: the faces it follows (their ids and next crops), the next id, and the frames it has seen.
    /// <see cref="Restore"/> on another tracker of the same models and options makes it go on exactly as this one would.
    /// </summary>
    public FaceTrackerState CaptureState() => new([.. _tracks.Select(t => new FollowedFaceRoi(t.Id, t.Roi))], _nextId, _frame);

    /// <summary>Takes up where another tracker was (<see cref="CaptureState"/>).</summary>
    public void Restore(FaceTrackerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _tracks = [.. state.Tracks.Select(t => (t.Id, t.Roi))];
        _nextId = state.NextId;
        _frame = state.Frame;
    }

    public void Reset()
    {
        _tracks = [];
        _frame = 0;
        DetectorRuns = 0;
    }

    public IReadOnlyList<TrackedFace> Process(ReadOnlySpan<byte> rgb24, int width, int height) => Process(rgb24, width, height, null);

    /// <summary>
    /// As <see cref="Process(ReadOnlySpan{byte}, int, int)"/> on a frame decoded as 4:2:0 planes, converting to RGB only
    /// what is read: the whole frame when the detector runs, each ROI's bounds before its crop. The faces are those of
    /// the same frame converted whole (<see cref="Yuv420RgbFrame"/>).
    /// </summary>
    public IReadOnlyList<TrackedFace> Process(Yuv420RgbFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return Process(frame.Rgb24, frame.Width, frame.Height, frame);
    }

    private IReadOnlyList<TrackedFace> Process(ReadOnlySpan<byte> rgb24, int width, int height, Yuv420RgbFrame? planes)
    {
        var candidates = new List<(int Id, RotatedRect Roi, bool Detected)>(_tracks.Count + 1);
        candidates.AddRange(_tracks.Select(t => (t.Id, t.Roi, false)));
        var redetect = _options.RedetectInterval > 0 && _frame % _options.RedetectInterval == 0;
        if (_tracks.Count < _options.MaxFaces || redetect)
        {
            DetectorRuns++;
            planes?.ConvertAll();
            var found = detector.Detect(rgb24, width, height);
            var detections = (_options.Target is { } target
                    ? found.OrderBy(d => Distance(d.BoundingBox, target))
                    : found.OrderByDescending(d => d.BoundingBox.Width * d.BoundingBox.Height))
                .Take(_options.MaxFaces);
            foreach (var detection in detections)
            {
                var roi = FaceRoi.FromDetection(detection, width, height);
                // The previous frame's ROI of the same face wins: it follows the face more closely.
                if (candidates.Any(c => Iou(c.Roi, roi, width, height) > _options.SameFaceIou))
                {
                    continue;
                }

                if (candidates.Count < _options.MaxFaces)
                {
                    candidates.Add((_nextId++, roi, true));
                }
            }
        }

        var faces = new List<TrackedFace>(candidates.Count);
        var next = new List<(int, RotatedRect)>(candidates.Count);
        foreach (var (id, roi, detected) in candidates)
        {
            planes?.ConvertCovering(roi);
            var landmarks = landmarker.Run(rgb24, width, height, roi);
            if (landmarks.FaceScore < _options.MinFaceScore)
            {
                continue; // lost: the detector looks for it on the next frame
            }

            faces.Add(new TrackedFace(id, landmarks, detected));
            next.Add((id, FaceRoi.FromLandmarks(landmarks.Points, width, height)));
        }

        _tracks = next;
        _frame++;
        return faces;
    }

    private static float Distance(PixelBox box, PixelPoint point) => MathF.Sqrt(MathF.Pow(box.CenterX - point.X, 2) + MathF.Pow(box.CenterY - point.Y, 2));

    /// <summary>Overlap of two ROIs, by their axis-aligned bounds in pixels.</summary>
    public static float Iou(RotatedRect a, RotatedRect b, int width, int height)
    {
        var (ax0, ay0, ax1, ay1) = Bounds(a, width, height);
        var (bx0, by0, bx1, by1) = Bounds(b, width, height);
        var iw = MathF.Max(0, MathF.Min(ax1, bx1) - MathF.Max(ax0, bx0));
        var ih = MathF.Max(0, MathF.Min(ay1, by1) - MathF.Max(ay0, by0));
        var intersection = iw * ih;
        var union = ((ax1 - ax0) * (ay1 - ay0)) + ((bx1 - bx0) * (by1 - by0)) - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    private static (float X0, float Y0, float X1, float Y1) Bounds(RotatedRect r, int width, int height)
    {
        var (cx, cy) = (r.XCenter * width, r.YCenter * height);
        var (hw, hh) = (r.Width * width / 2, r.Height * height / 2);
        return (cx - hw, cy - hh, cx + hw, cy + hh);
    }
}
