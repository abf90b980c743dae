namespace FacePipeline.Face;

/// <summary>Settings of <see cref="BlazeFaceDetector"/>; the defaults are MediaPipe's short-range face detection.</summary>
public sealed record FaceDetectorOptions
{
    /// <summary>Detections scoring below this are dropped before suppression (MediaPipe: 0.5).</summary>
    public float MinScore { get; init; } = 0.5f;

    /// <summary>IoU above which overlapping detections are merged (MediaPipe: 0.3).</summary>
    public float MinSuppressionThreshold { get; init; } = 0.3f;

    /// <summary>Logits are clipped to +-this before the sigmoid (MediaPipe: 100).</summary>
    public float ScoreClippingThreshold { get; init; } = 100f;

    /// <summary>At most this many faces per frame, best first; 0 = no limit (MediaPipe's default).</summary>
    public int MaxFaces { get; init; }

    /// <summary>How ONNX Runtime runs the model: its threads, whether they spin, CUDA when the build offers it (<see cref="InferenceSettings"/>).</summary>
    public InferenceSettings Inference { get; init; } = new();

    /// <summary>The anchors the model was trained with.</summary>
    public SsdAnchorOptions Anchors { get; init; } = SsdAnchorOptions.FaceDetectionShortRange;

    public static FaceDetectorOptions Default { get; } = new();
}
