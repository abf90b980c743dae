using System.Text.RegularExpressions;
using System.Xml.Linq;
using FacePipeline.TestSupport;

namespace FacePipeline.Deploy.Tests;

/// <summary>What the code says, read from the repository: services, assembly names, queues, configuration keys.</summary>
internal static partial class RepoFacts
{
    public static string Root => RepoPaths.RepoRoot;

    /// <summary>The service folders: services/&lt;Name&gt;/&lt;Name&gt;.csproj.</summary>
    public static IReadOnlyList<string> Services { get; } =
        Directory.GetDirectories(Path.Combine(RepoPaths.RepoRoot, "services"))
            .Select(Path.GetFileName)
            .Where(name => File.Exists(Path.Combine(RepoPaths.RepoRoot, "services", name!, name + ".csproj")))
            .Select(name => name!)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The stages that get a GPU image (Dockerfile.gpu).</summary>
    public static IReadOnlyList<string> GpuServices { get; } = ["Reconstruction", "Rendering", "Training"];

    /// <summary>Third-party images the deployment files may use.</summary>
    public static IReadOnlySet<string> ThirdPartyImages { get; } = new HashSet<string> { "postgres", "rabbitmq" };

    public static string AssemblyName(string csproj)
    {
        var name = XDocument.Load(csproj).Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault();
        return name ?? Path.GetFileNameWithoutExtension(csproj);
    }

    /// <summary>
    /// What building a project reads from the repository besides the root's Directory.*.props: every project it
    /// references, transitively, and every repository file those projects (or the files they import) pull in with
    /// <c>&lt;Import Project="..."/&gt;</c>, following the ProjectReferences that imported files add (for example
    /// tools/FacePipeline.ElfPatch/build/TorchSharpNative.targets, which references the tool it runs after publish), and
    /// the Directory.Build.props MSBuild picks implicitly for each project when it is nearer than the root's (for
    /// example services/Directory.Build.props, which sets the services' garbage collector).
    /// Conditions are ignored (a build may take either branch); repo-relative paths, '/'.
    /// </summary>
    public static (IReadOnlySet<string> Projects, IReadOnlySet<string> Imports) BuildClosure(string repoRelativeCsproj)
    {
        var projects = new HashSet<string>(StringComparer.Ordinal);
        var imports = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([repoRelativeCsproj]);
        while (pending.Count > 0)
        {
            var project = pending.Pop();
            if (!projects.Add(project))
            {
                continue;
            }

            var projectDirectory = Path.GetDirectoryName(Path.Combine(Root, project))!;
            var files = new Stack<string>([project]);
            if (NearestDirectoryBuildProps(projectDirectory) is { } props && props != "Directory.Build.props")
            {
                imports.Add(props);
                files.Push(props);
            }

            var read = new HashSet<string>(StringComparer.Ordinal);
            while (files.Count > 0)
            {
                var file = files.Pop();
                if (!read.Add(file))
                {
                    continue;
                }

                var full = Path.Combine(Root, file);
                var document = XDocument.Load(full);
                foreach (var reference in document.Descendants("ProjectReference"))
                {
                    // Items resolve against the project's folder, even in an imported file.
                    pending.Push(ResolveMsBuildPath(reference.Attribute("Include")!.Value, full, projectDirectory, projectDirectory));
                }

                foreach (var import in document.Descendants("Import").Where(i => i.Attribute("Sdk") is null).Select(i => i.Attribute("Project")?.Value).OfType<string>())
                {
                    // An Import resolves against the folder of the file that holds it.
                    var target = ResolveMsBuildPath(import, full, projectDirectory, Path.GetDirectoryName(full)!);
                    if (target.StartsWith("../", StringComparison.Ordinal))
                    {
                        continue; // outside the repository (an SDK's or NuGet's file)
                    }

                    Assert.True(File.Exists(Path.Combine(Root, target)), $"{file} imports {import}, which is not in the repository.");
                    imports.Add(target);
                    files.Push(target);
                }
            }
        }

        return (projects, imports);
    }

    /// <summary>The Directory.Build.props MSBuild imports for a project in <paramref name="projectDirectory"/>: the nearest one at or above it, repo-relative.</summary>
    private static string? NearestDirectoryBuildProps(string projectDirectory)
    {
        for (var folder = new DirectoryInfo(projectDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "Directory.Build.props");
            if (File.Exists(candidate))
            {
                return Path.GetRelativePath(Root, candidate).Replace('\\', '/');
            }

            if (string.Equals(folder.FullName.TrimEnd(Path.DirectorySeparatorChar), Root.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            {
                break;
            }
        }

        return null;
    }

    /// <summary>
    /// A path as MSBuild reads it in <paramref name="file"/> (relative ones against <paramref name="baseDirectory"/>),
    /// with $(MSBuildThisFileDirectory) and $(MSBuildProjectDirectory) expanded; any other property fails (teach it here).
    /// </summary>
    private static string ResolveMsBuildPath(string value, string file, string projectDirectory, string baseDirectory)
    {
        var expanded = value
            .Replace("$(MSBuildThisFileDirectory)", Path.GetDirectoryName(file) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            .Replace("$(MSBuildProjectDirectory)", projectDirectory, StringComparison.Ordinal)
            .Replace('\\', '/');
        Assert.False(expanded.Contains("$(", StringComparison.Ordinal), $"{file}: cannot resolve the path {value}.");
        var target = Path.GetFullPath(Path.Combine(baseDirectory, expanded));
        return Path.GetRelativePath(Root, target).Replace('\\', '/');
    }

    /// <summary>PascalCase to kebab-case, as MassTransit's kebab-case endpoint name formatter does.</summary>
    public static string Kebab(string pascal) => KebabBoundary().Replace(pascal, "$1-$2").ToLowerInvariant();

    /// <summary>Image name (no registry, no tag) of a service: facepipe/&lt;kebab&gt;.</summary>
    public static string ImageOf(string service, bool gpu = false) => $"facepipe/{Kebab(service)}{(gpu ? "-gpu" : "")}";

    /// <summary>
    /// The queues each worker service consumes, in ordinal order: its consumer classes (class XyzConsumer ...
    /// IConsumer&lt;...&gt; or StageConsumer&lt;...&gt; in services/&lt;Service&gt;/*.cs) named as MassTransit's kebab-case
    /// formatter names endpoints.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> WorkerQueues()
    {
        var queues = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var service in Services)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Root, "services", service), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (Match match in ConsumerClass().Matches(File.ReadAllText(file)))
                {
                    if (!queues.TryGetValue(service, out var list))
                    {
                        queues[service] = list = [];
                    }

                    list.Add(Kebab(match.Groups[1].Value));
                }
            }
        }

        return queues.ToDictionary(q => q.Key, q => (IReadOnlyList<string>)[.. q.Value.Order(StringComparer.Ordinal)], StringComparer.Ordinal);
    }

    /// <summary>
    /// Every environment variable the services read: the first column of the Configuration tables of
    /// docs/architecture.md, docs/deploy.md and docs/logging.md (with their shorthands "`X__A`, `__B`" and "`…__C`" expanded), plus the
    /// platform's own variables below.
    /// </summary>
    public static IReadOnlySet<string> KnownEnvironmentVariables()
    {
        var names = new HashSet<string>(StringComparer.Ordinal)
        {
            "ASPNETCORE_URLS",         // Kestrel's listen address (ASP.NET Core)
            "ASPNETCORE_ENVIRONMENT",  // ASP.NET Core host environment
            "FACEPIPE_MODELS",         // scripts/fetch-models.sh output folder; ModelPaths.DefaultRoot fallback
        };
        foreach (var doc in new[] { "architecture.md", "deploy.md", "logging.md" })
        {
            names.UnionWith(ConfigurationTableVariables(Path.Combine("docs", doc)));
        }

        Assert.Contains("ConnectionStrings__Jobs", names);
        Assert.Contains("RabbitMq__Password", names);
        return names;
    }

    /// <summary>The variables in the first column of the "## Configuration" table of a document (repo-relative path).</summary>
    public static IReadOnlySet<string> ConfigurationTableVariables(string document)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var text = File.ReadAllText(Path.Combine(Root, document));
        var start = text.IndexOf("## Configuration", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{document} has no '## Configuration' section.");
        var end = text.IndexOf("\n## ", start + 5, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        foreach (var line in section.Split('\n').Where(l => l.StartsWith('|')))
        {
            var firstColumn = line.Split('|', StringSplitOptions.None)[1];
            string? previous = null;
            foreach (Match token in BacktickToken().Matches(firstColumn))
            {
                var value = token.Groups[1].Value.Trim();
                string name;
                if (value.StartsWith("__", StringComparison.Ordinal) && previous is not null)
                {
                    name = previous[..previous.IndexOf("__", StringComparison.Ordinal)] + value;
                }
                else if (value.StartsWith("…__", StringComparison.Ordinal) && previous is not null)
                {
                    name = previous[..previous.LastIndexOf("__", StringComparison.Ordinal)] + value[1..];
                }
                else
                {
                    name = value;
                }

                if (EnvName().IsMatch(name))
                {
                    names.Add(name);
                    previous = name;
                }
            }
        }

        return names;
    }

    /// <summary>The Dockerfile that builds an image (facepipe/... name, registry and tag removed), or null.</summary>
    public static string? DockerfileForImage(string image)
    {
        var name = StripImage(image);
        if (name == "facepipe/model-import")
        {
            return "tools/FacePipeline.ModelImport.Cli/Dockerfile";
        }

        foreach (var service in Services)
        {
            if (name == ImageOf(service))
            {
                return $"services/{service}/Dockerfile";
            }

            if (name == ImageOf(service, gpu: true))
            {
                return $"services/{service}/Dockerfile.gpu";
            }
        }

        return null;
    }

    /// <summary>"registry.example.com:5000/facepipe/ingest:1.2" → "facepipe/ingest".</summary>
    public static string StripImage(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var lastSlash = withoutDigest.LastIndexOf('/');
        var lastColon = withoutDigest.LastIndexOf(':');
        var name = lastColon > lastSlash ? withoutDigest[..lastColon] : withoutDigest;
        var parts = name.Split('/');
        return parts.Length > 2 ? string.Join('/', parts[^2..]) : name;
    }

    public static bool IsOurs(string image) => StripImage(image).StartsWith("facepipe/", StringComparison.Ordinal);

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex KebabBoundary();

    // A consumer implements IConsumer<T> itself or through the stages' common base, StageConsumer<TCommand, TEvent>.
    [GeneratedRegex(@"class\s+(\w+)Consumer\b[^{;]*?:\s*(?:IConsumer|StageConsumer)<")]
    private static partial Regex ConsumerClass();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex BacktickToken();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
