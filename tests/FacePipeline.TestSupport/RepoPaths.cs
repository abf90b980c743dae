namespace FacePipeline.TestSupport;

/// <summary>
/// Where the tests find the repository, the shared assets and goldens beside it, and the models
/// the setup produced. Overridable with FACEPIPE_SHARED and FACEPIPE_MODELS.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepoRoot => Root.Value;

    public static string SharedRoot =>
        Environment.GetEnvironmentVariable("FACEPIPE_SHARED") is { Length: > 0 } shared
            ? Path.GetFullPath(shared)
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Media => Path.Combine(SharedRoot, "assets", "media");

    public static string Goldens => Path.Combine(SharedRoot, "goldens");

    public static string Models =>
        Environment.GetEnvironmentVariable("FACEPIPE_MODELS") is { Length: > 0 } models
            ? Path.GetFullPath(models)
            : Path.Combine(RepoRoot, ".data", "models");

    /// <summary>tus-js-client's <c>dist</c> folder (its <c>tus.min.js</c>), installed by scripts/setup.sh into FACEPIPE_TUS_CLIENT or <c>.data/tus-client</c>.</summary>
    public static string TusClientDist =>
        Path.Combine(
            Environment.GetEnvironmentVariable("FACEPIPE_TUS_CLIENT") is { Length: > 0 } client ? Path.GetFullPath(client) : Path.Combine(RepoRoot, ".data", "tus-client"),
            "node_modules", "tus-js-client", "dist");

    public static string MediaFile(string name) => RequireFile(Path.Combine(Media, name));

    public static string RequireFile(string path) =>
        File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Test input missing: {path}. Run scripts/setup.sh (models) or check ../shared.", path);

    /// <summary>A fresh, empty folder under the system temp folder, for one test's outputs.</summary>
    public static string NewScratchFolder(string label)
    {
        var path = Path.Combine(Path.GetTempPath(), "facepipe-tests", $"{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FacePipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FacePipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
