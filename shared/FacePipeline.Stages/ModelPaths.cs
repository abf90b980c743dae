using FacePipeline.Face;

namespace FacePipeline.Stages;

/// <summary>
/// Where the converted models are. The setup (scripts/fetch-models.sh) puts them under one folder;
/// nothing is downloaded at run time. Each service checks at start-up that the models it needs are there
/// (<see cref="Missing"/>), naming the file and the command that produces it.
/// </summary>
public sealed class ModelPaths(string root)
{
    /// <summary>The command that produces MediaPipe's models (and, through scripts/fetch-identity-model.sh, the identity model).</summary>
    public const string FetchModels = "scripts/fetch-models.sh (scripts/setup.sh runs it)";

    /// <summary>The command that produces the identity model.</summary>
    public const string FetchIdentityModel = "scripts/fetch-identity-model.sh (scripts/fetch-models.sh and scripts/setup.sh run it)";

    /// <summary>The command that produces the ICT-FaceKit model.</summary>
    public const string UnpackIct = "scripts/unpack-ict.sh (scripts/setup.sh runs it)";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The models folder a service is configured with (<c>Models__Root</c>), else <see cref="DefaultRoot"/>.</summary>
    public static ModelPaths FromSetting(string? root) => new(root is { Length: > 0 } ? root : DefaultRoot());

    /// <summary>MediaPipe's short-range face detector (see <see cref="FaceDetector"/>).</summary>
    public ModelFile FaceDetectorModel => new("MediaPipe's face detector", Path.Combine(Root, "mediapipe-face-mesh", "face_detection_short_range.onnx"), FetchModels);

    /// <summary>MediaPipe's 468-point landmark model (see <see cref="FaceLandmarks"/>).</summary>
    public ModelFile FaceLandmarksModel => new("MediaPipe's 468-point landmark model", Path.Combine(Root, "mediapipe-face-mesh", "face_landmark.onnx"), FetchModels);

    /// <summary>MediaPipe's refined landmark model, with the irises (see <see cref="RefinedFaceLandmarksPath"/>).</summary>
    public ModelFile RefinedFaceLandmarksModel => new("MediaPipe's refined landmark model (478 points, with the irises)", RefinedFaceLandmarksPath, FetchModels);

    /// <summary>MediaPipe's face geometry metadata (see <see cref="FaceGeometry"/>).</summary>
    public ModelFile FaceGeometryModel => new("MediaPipe's canonical face geometry", Path.Combine(Root, "mediapipe-face-mesh", "geometry_pipeline_metadata_landmarks.binarypb"), FetchModels);

    /// <summary>The face-recognition network of the retarget QC's identity check (<see cref="FaceIdentityEmbedder.ModelPath"/>).</summary>
    public ModelFile IdentityModel => new("face-api's face-recognition network (identity check)", FaceIdentityEmbedder.ModelPath(Root), FetchIdentityModel);

    /// <summary>The ICT-FaceKit model's files that must be there for it to load (in <see cref="IctFaceModel"/>).</summary>
    public IReadOnlyList<ModelFile> IctFaceModelFiles =>
    [
        new("the ICT-FaceKit morphable model (neutral mesh)", Path.Combine(IctFaceModel, "generic_neutral_mesh.obj"), UnpackIct),
        new("the ICT-FaceKit morphable model (vertex indices)", Path.Combine(IctFaceModel, "vertex_indices.json"), UnpackIct),
    ];

    /// <summary>
    /// One sentence per model of <paramref name="required"/> that is not installed (<see cref="ModelFile.MissingSentence"/>);
    /// empty when all are.
    /// </summary>
    public static IReadOnlyList<string> Missing(IEnumerable<ModelFile> required) =>
        [.. required.Where(m => !m.IsInstalled).Select(m => m.MissingSentence)];

    /// <summary>MediaPipe's short-range face detector, imported to ONNX by the project's converter.</summary>
    public string FaceDetector => Require(FaceDetectorModel);

    /// <summary>MediaPipe's 468-point face landmark model, imported to ONNX by the project's converter.</summary>
    public string FaceLandmarks => Require(FaceLandmarksModel);

    /// <summary>
    /// Where MediaPipe's refined landmark model (face_landmark_with_attention: 478 points, the 468 mesh with refined
    /// lips and eyes plus the irises), imported to ONNX by the project's converter, is expected. Optional: trackers use
    /// it when it is there (<see cref="HasRefinedFaceLandmarks"/>), the 468-point model otherwise.
    /// </summary>
    public string RefinedFaceLandmarksPath => Path.Combine(Root, "mediapipe-face-mesh", "face_landmark_with_attention.onnx");

    /// <summary>The refined landmark model (see <see cref="RefinedFaceLandmarksPath"/>); fails when it is missing.</summary>
    public string RefinedFaceLandmarks => Require(RefinedFaceLandmarksModel);

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
    public string FaceGeometry => Require(FaceGeometryModel);

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

    private static string Require(ModelFile model) =>
        File.Exists(model.Path) ? model.Path : throw new FileNotFoundException(model.MissingSentence, model.Path);
}

/// <summary>A model file a service needs: what it is, where it is expected and the command that produces it.</summary>
/// <param name="Name">What the model is, for people.</param>
/// <param name="Path">Where the service expects it.</param>
/// <param name="Producer">The command that puts it there.</param>
public sealed record ModelFile(string Name, string Path, string Producer)
{
    /// <summary>True when the file is there and not empty.</summary>
    public bool IsInstalled => new FileInfo(Path) is { Exists: true, Length: > 0 };

    /// <summary>Why a service that needs the model refuses to start: the file and the command that produces it.</summary>
    public string MissingSentence => $"Model missing: {Path} ({Name}). Run {Producer} to produce it.";
}
