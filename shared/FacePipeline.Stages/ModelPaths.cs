namespace FacePipeline.Stages;

/// <summary>
/// Where the converted models are. The setup (scripts/fetch-models.sh) puts them under one folder;
/// nothing is downloaded at run time.
/// </summary>
public sealed class ModelPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>MediaPipe's short-range BlazeFace detector as ONNX.</summary>
    public string BlazeFace => Require(Path.Combine(Root, "blazeface", "face_detection_short_range.onnx"));

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
