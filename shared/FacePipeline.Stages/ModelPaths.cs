using FacePipeline.Face;

namespace FacePipeline.Stages;

/// <summary>
/// Where the converted models are. The setup (scripts/fetch-models.sh) puts them under one folder;
/// nothing is downloaded at run time.
/// </summary>
public sealed class ModelPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>MediaPipe's short-range face detector, imported to ONNX by the project's converter.</summary>
    public string FaceDetector => Require(Path.Combine(Root, "mediapipe-face-mesh", "face_detection_short_range.onnx"));

    /// <summary>MediaPipe's 468-point face landmark model, imported to ONNX by the project's converter.</summary>
    public string FaceLandmarks => Require(Path.Combine(Root, "mediapipe-face-mesh", "face_landmark.onnx"));

    /// <summary>
    /// Where MediaPipe's refined landmark model (face_landmark_with_attention: 478 points, the 468 mesh with refined
    /// lips and eyes plus the irises), imported to ONNX by the project's converter, is expected. Optional: trackers use
    /// it when it is there (<see cref="HasRefinedFaceLandmarks"/>), the 468-point model otherwise.
    /// </summary>
    public string RefinedFaceLandmarksPath => Path.Combine(Root, "mediapipe-face-mesh", "face_landmark_with_attention.onnx");

    /// <summary>The refined landmark model (see <see cref="RefinedFaceLandmarksPath"/>); fails when it is missing.</summary>
    public string RefinedFaceLandmarks => Require(RefinedFaceLandmarksPath);

    /// <summary>True when the refined landmark model is installed.</summary>
    public bool HasRefinedFaceLandmarks => File.Exists(RefinedFaceLandmarksPath);

    /// <summary>
    /// Opens the landmark model trackers run: the refined one (irises) when <paramref name="refined"/> and it is
    /// installed, else the 468-point one. The caller disposes it.
    /// </summary>
    public FaceLandmarkModel OpenLandmarkModel(bool refined = true, InferenceSettings? settings = null) =>
        refined && HasRefinedFaceLandmarks
            ? FaceLandmarkModel.LoadRefined(RefinedFaceLandmarks, settings)
            : FaceLandmarkModel.LoadMesh(FaceLandmarks, settings);

    /// <summary>MediaPipe's face geometry metadata: the canonical mesh and the Procrustes landmark weights.</summary>
    public string FaceGeometry => Require(Path.Combine(Root, "mediapipe-face-mesh", "geometry_pipeline_metadata_landmarks.binarypb"));

    /// <summary>
    /// The ICT-FaceKit morphable model's release folder (scripts/unpack-ict.sh), for blendshape curves. Optional: a
    /// renderer without it writes no curves.
    /// </summary>
    public string IctFaceModel => Path.Combine(Root, "ict-facekit", "FaceXModel");

    /// <summary>Models__Root, else FACEPIPE_MODELS, else .data/models of the repository this program runs from.</summary>
    public static string DefaultRoot()
    {
        foreach (var variable in new[] { "Models__Root", "FACEPIPE_MODELS" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                return value;
            }
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FacePipeline.sln")))
            {
                return Path.Combine(dir.FullName, ".data", "models");
            }
        }

        return Path.Combine(Environment.CurrentDirectory, ".data", "models");
    }

    private static string Require(string path) =>
        File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Model missing: {path}. Run scripts/fetch-models.sh (scripts/setup.sh does) to produce it.", path);
}
