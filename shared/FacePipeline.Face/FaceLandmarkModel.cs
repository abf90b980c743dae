namespace FacePipeline.Face;

/// <summary>
/// The landmark model a <see cref="FaceTracker"/> runs on each face crop: MediaPipe's 468-point
/// <see cref="FaceLandmarker"/> or its refined, attention-based <see cref="RefinedFaceLandmarker"/>
/// (478 points: the same 468-point mesh with refined lips and eyes, then the two irises). Both take
/// the same 192x192 crop of the same ROI, so the tracker treats them alike; points 0–467 are the
/// mesh in either case. Either landmarker converts to it implicitly, as a view that leaves the
/// landmarker to its owner; <see cref="LoadMesh"/> and <see cref="LoadRefined"/> open a model this
/// instance owns (disposed with it). Not thread-safe, as the landmarker it wraps.
/// </summary>
public sealed class FaceLandmarkModel : IDisposable
{
    /// <summary>The refined model's extra points: the subject's right iris (468–472), then the left (473–477), 5 each (centre first).</summary>
    public const int IrisPointCount = 2 * RefinedLandmarkAssembly.IrisCount;

    private readonly Runner _run;
    private readonly Func<string> _provider;
    private readonly IDisposable? _owned;

    private FaceLandmarkModel(string name, int landmarkCount, Runner run, Func<string> provider, IDisposable? owned = null)
    {
        Name = name;
        LandmarkCount = landmarkCount;
        _run = run;
        _provider = provider;
        _owned = owned;
    }

    private delegate FaceLandmarks Runner(ReadOnlySpan<byte> rgb24, int width, int height, RotatedRect roi);

    /// <summary>What the tracking records name the model ("mediapipe-face-landmark-468" or "…-with-attention-478").</summary>
    public string Name { get; }

    /// <summary>Points per face: 468, or 478 with the irises.</summary>
    public int LandmarkCount { get; }

    /// <summary>True for the refined model: points 468–477 are the irises.</summary>
    public bool HasIrises => LandmarkCount > FaceLandmarker.LandmarkCount;

    /// <summary>ONNX Runtime's execution provider of the model's session.</summary>
    public string ExecutionProvider => _provider();

    /// <summary>The 468-point model.</summary>
    public static FaceLandmarkModel Of(FaceLandmarker landmarker)
    {
        ArgumentNullException.ThrowIfNull(landmarker);
        return new FaceLandmarkModel(MeshName, FaceLandmarker.LandmarkCount, landmarker.Run, () => landmarker.ExecutionProvider);
    }

    /// <summary>The refined model (478 points).</summary>
    public static FaceLandmarkModel Of(RefinedFaceLandmarker landmarker)
    {
        ArgumentNullException.ThrowIfNull(landmarker);
        return new FaceLandmarkModel(RefinedName, RefinedFaceLandmarker.LandmarkCount, landmarker.Run, () => landmarker.ExecutionProvider);
    }

    /// <summary>Opens the 468-point model (face_landmark.onnx); disposed with the returned instance.</summary>
    public static FaceLandmarkModel LoadMesh(string modelPath, InferenceSettings? settings = null)
    {
        var landmarker = new FaceLandmarker(modelPath, settings);
        return new FaceLandmarkModel(MeshName, FaceLandmarker.LandmarkCount, landmarker.Run, () => landmarker.ExecutionProvider, landmarker);
    }

    /// <summary>Opens the refined model (face_landmark_with_attention.onnx); disposed with the returned instance.</summary>
    public static FaceLandmarkModel LoadRefined(string modelPath, InferenceSettings? settings = null)
    {
        var landmarker = new RefinedFaceLandmarker(modelPath, settings);
        return new FaceLandmarkModel(RefinedName, RefinedFaceLandmarker.LandmarkCount, landmarker.Run, () => landmarker.ExecutionProvider, landmarker);
    }

    /// <summary>The name of the 468-point model in the tracking records.</summary>
    public const string MeshName = "mediapipe-face-landmark-468";

    /// <summary>The name of the refined model in the tracking records.</summary>
    public const string RefinedName = "mediapipe-face-landmark-with-attention-478";

    public static implicit operator FaceLandmarkModel(FaceLandmarker landmarker) => Of(landmarker);

    public static implicit operator FaceLandmarkModel(RefinedFaceLandmarker landmarker) => Of(landmarker);

    /// <summary>Crops the ROI, runs the model and projects its <see cref="LandmarkCount"/> points back to the frame.</summary>
    public FaceLandmarks Run(ReadOnlySpan<byte> rgb24, int width, int height, RotatedRect roi) => _run(rgb24, width, height, roi);

    /// <summary>Disposes the landmarker when this instance opened it (<see cref="LoadMesh"/>, <see cref="LoadRefined"/>); a view leaves it alone.</summary>
    public void Dispose() => _owned?.Dispose();
}
