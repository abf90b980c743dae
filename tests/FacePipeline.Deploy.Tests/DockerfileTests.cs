using System.Text.RegularExpressions;

namespace FacePipeline.Deploy.Tests;

/// <summary>The Dockerfiles build what the repository holds, run it as it is built and stay lean.</summary>
[Trait("Lane", "Fast")]
public sealed partial class DockerfileTests
{
    public static TheoryData<string> AllDockerfiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in ServiceDockerfiles().Select(row => (string)row[0]))
        {
            data.Add(path);
        }

        data.Add(ModelImportDockerfile);
        return data;
    }

    public static TheoryData<string> Services() => new(RepoFacts.Services);

    public static TheoryData<string, string> ServiceDockerfiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in RepoFacts.Services)
        {
            data.Add($"services/{service}/Dockerfile", service);
            if (RepoFacts.GpuServices.Contains(service))
            {
                data.Add($"services/{service}/Dockerfile.gpu", service);
            }
        }

        return data;
    }

    private const string ModelImportDockerfile = "tools/FacePipeline.ModelImport.Cli/Dockerfile";

    private const string TorchSharpTargets = "tools/FacePipeline.ElfPatch/build/TorchSharpNative.targets";

    [Fact]
    public void Every_service_has_a_Dockerfile_and_the_gpu_stages_a_Dockerfile_gpu()
    {
        Assert.Equal(["ExpressionTransfer", "FrameExtraction", "Ingest", "Reconstruction", "Rendering", "Training"], RepoFacts.Services);
        foreach (var row in ServiceDockerfiles())
        {
            Assert.True(File.Exists(Path.Combine(RepoFacts.Root, (string)row[0])), $"{row[0]} is missing.");
        }

        Assert.True(File.Exists(Path.Combine(RepoFacts.Root, ModelImportDockerfile)));
        Assert.True(File.Exists(Path.Combine(RepoFacts.Root, ".dockerignore")));
    }

    [Theory]
    [MemberData(nameof(AllDockerfiles))]
    public void Copy_sources_and_project_paths_exist_in_the_repository(string dockerfile)
    {
        var file = Dockerfile.Load(dockerfile);
        var sources = file.ContextSources().ToList();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            Assert.DoesNotContain("*", source, StringComparison.Ordinal); // explicit paths only: they are checkable
            var full = Path.Combine(RepoFacts.Root, source.TrimEnd('/'));
            Assert.True(File.Exists(full) || Directory.Exists(full), $"{dockerfile}: COPY source {source} does not exist.");
        }

        var projects = file.All("RUN").SelectMany(run => DotnetProjectArgument().Matches(run.Arguments)).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            Assert.True(File.Exists(Path.Combine(RepoFacts.Root, project)), $"{dockerfile}: project {project} does not exist.");
            Assert.Contains(sources, s => s == project || project.StartsWith(s, StringComparison.Ordinal)); // copied before use
        }

        // Central package management: the props and global.json are in the build context.
        foreach (var required in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.Contains(required, sources);
        }

        // Every project the built one references is copied, csproj first (restore layer) and sources after; so is
        // every repository file the projects import (MSBuild .targets/.props, which may add ProjectReferences of
        // their own), before the restore, which evaluates them.
        var built = projects.Distinct().Single();
        var (closure, imports) = RepoFacts.BuildClosure(built);
        var beforeRestore = file.ContextSourcesBefore(file.All("RUN").FirstOrDefault(r => r.Arguments.Contains("dotnet restore", StringComparison.Ordinal))).ToList();
        foreach (var project in closure)
        {
            var folder = Path.GetDirectoryName(project)!.Replace('\\', '/') + "/";
            Assert.Contains(project, beforeRestore);
            Assert.Contains(folder, sources);
        }

        foreach (var import in imports)
        {
            Assert.True(beforeRestore.Contains(import), $"{dockerfile}: {import} (imported by the build) is not copied before the restore.");
        }
    }

    [Theory]
    [MemberData(nameof(ServiceDockerfiles))]
    public void Service_image_publishes_the_service_and_runs_its_dll_as_non_root_with_a_health_check(string dockerfile, string service)
    {
        var file = Dockerfile.Load(dockerfile);
        var csproj = $"services/{service}/{service}.csproj";
        var assembly = RepoFacts.AssemblyName(Path.Combine(RepoFacts.Root, csproj));
        Assert.Equal($"FacePipeline.{service}", assembly);

        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", file.All("FROM").First().Arguments, StringComparison.Ordinal);
        var publish = file.All("RUN").Single(r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains($"dotnet publish {csproj} -c Release", publish.Arguments, StringComparison.Ordinal);

        Assert.Equal(["dotnet", $"{assembly}.dll"], file.Entrypoint());

        var user = file.FinalStage("USER").LastOrDefault();
        Assert.True(user is not null, $"{dockerfile}: the runtime stage sets no USER.");
        Assert.DoesNotMatch("^(root|0)(:|$)", user!.Arguments);

        var health = Assert.Single(file.FinalStage("HEALTHCHECK"));
        Assert.Contains("http://127.0.0.1:8080/health/live", health.Arguments, StringComparison.Ordinal);
        Assert.Contains(file.FinalStage("RUN"), r => r.Arguments.Contains("curl", StringComparison.Ordinal)); // what the check runs
        Assert.Contains(file.FinalStage("ENV"), e => e.Arguments.Contains("ASPNETCORE_URLS=http://+:8080", StringComparison.Ordinal));

        // Reconstruction decodes its chunks from the upload and encodes a track job's QC segments; Training: its PNG previews.
        var needsFfmpeg = service is "FrameExtraction" or "Reconstruction" or "Rendering" or "Training";
        Assert.Equal(needsFfmpeg, file.FinalStage("RUN").Any(r => FfmpegPackage().IsMatch(r.Arguments)));

        // Models come from a volume, never from the image.
        Assert.DoesNotContain(file.Instructions, i => i.Arguments.Contains("fetch-models", StringComparison.Ordinal)
            || i.Arguments.Contains(".onnx", StringComparison.Ordinal) || i.Arguments.Contains(".data", StringComparison.Ordinal));

        // TorchSharp's libLibTorchSharp.so needs GLIBCXX_3.4.32 (libstdc++ of GCC 13 or later). The build weakens that
        // requirement (tools/FacePipeline.ElfPatch), but the image still runs on Ubuntu 24.04, named in the tag, not
        // on whatever distribution a default tag means.
        var torchSharp = RepoFacts.BuildClosure(csproj).Imports.Contains(TorchSharpTargets);
        if (torchSharp)
        {
            Assert.Matches(dockerfile.EndsWith(".gpu", StringComparison.Ordinal) ? "-ubuntu24\\.04$" : "^mcr\\.microsoft\\.com/dotnet/aspnet:10\\.0-noble$",
                file.FinalStage("FROM").Single().Arguments.Split(' ')[0]);
        }

        if (dockerfile.EndsWith(".gpu", StringComparison.Ordinal))
        {
            Assert.StartsWith("nvidia/cuda:12.", file.FinalStage("FROM").Single().Arguments, StringComparison.Ordinal);
            Assert.Contains("-cudnn", file.FinalStage("FROM").Single().Arguments, StringComparison.Ordinal);
            Assert.Contains("-p:GpuBuild=true", publish.Arguments, StringComparison.Ordinal);
            Assert.Equal(torchSharp, publish.Arguments.Contains("-p:TorchCuda=true", StringComparison.Ordinal)); // libtorch's CUDA build where TorchSharp is used
        }
        else
        {
            Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", file.FinalStage("FROM").Single().Arguments, StringComparison.Ordinal);
            Assert.DoesNotContain("GpuBuild", publish.Arguments, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Ingest_image_serves_tus_js_client_installed_from_the_committed_lock_file()
    {
        const string packageFolder = "tests/FacePipeline.Ingest.Tests/tus/";
        var file = Dockerfile.Load("services/Ingest/Dockerfile");

        // A stage copies the committed package files and installs exactly the locked version (npm ci, as scripts/setup.sh).
        var packageCopy = file.All("COPY").Single(c => c.Arguments.Contains(packageFolder + "package-lock.json", StringComparison.Ordinal));
        Assert.Contains(packageFolder + "package.json", packageCopy.Arguments, StringComparison.Ordinal);
        Assert.Contains(file.All("RUN"), r => r.Stage == packageCopy.Stage && r.Arguments.Contains("npm ci", StringComparison.Ordinal));
        var stageName = file.All("FROM").Single(f => f.Stage == packageCopy.Stage).Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];

        // The runtime image copies its dist folder and points the app's setting at that folder.
        var vendorCopy = file.FinalStage("COPY").Single(c => c.Arguments.Contains($"--from={stageName} ", StringComparison.Ordinal));
        var words = vendorCopy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("node_modules/tus-js-client/dist", words[^2].TrimEnd('/'), StringComparison.Ordinal);
        var setting = $"{FacePipeline.Ingest.App.StudioAppOptions.Section}__{nameof(FacePipeline.Ingest.App.StudioAppOptions.TusClientFolder)}=";
        var folder = file.FinalStage("ENV").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Single(w => w.StartsWith(setting, StringComparison.Ordinal))[setting.Length..];
        Assert.Equal(words[^1].TrimEnd('/'), folder.TrimEnd('/'));

        // The build context excludes tests/ but lets these two files in.
        var ignore = File.ReadAllLines(Path.Combine(RepoFacts.Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        Assert.Contains($"!{packageFolder}package.json", ignore);
        Assert.Contains($"!{packageFolder}package-lock.json", ignore);
    }

    [Theory]
    [MemberData(nameof(ServiceDockerfiles))]
    public void Service_image_starts_the_service_with_glibc_malloc_arenas_capped_as_the_code_recommends(string dockerfile, string service)
    {
        var file = Dockerfile.Load(dockerfile);
        var setting = $"{FacePipeline.ServiceDefaults.MallocArenas.EnvironmentVariable}={FacePipeline.ServiceDefaults.MallocArenas.Recommended}";
        Assert.True(
            file.FinalStage("ENV").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Contains(setting),
            $"{dockerfile}: the {service} image does not set {setting} (glibc reads it before the service starts: MallocArenas).");
    }

    [Fact]
    public void The_local_services_script_starts_every_service_with_glibc_malloc_arenas_capped_as_the_code_recommends()
    {
        var script = File.ReadAllText(Path.Combine(RepoFacts.Root, "scripts", "services.sh"));
        var variable = FacePipeline.ServiceDefaults.MallocArenas.EnvironmentVariable;
        Assert.Contains(
            $"{variable}=\"${{{variable}:-{FacePipeline.ServiceDefaults.MallocArenas.Recommended}}}\" ",
            script,
            StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_is_built_for_the_workstation_garbage_collector_so_its_memory_does_not_grow_with_the_time_it_has_run(string service)
    {
        // services/Directory.Build.props: the Web SDK's default is the server GC (GarbageCollectorMode).
        var (runtimeConfig, properties) = ServiceBinaries.RuntimeConfigProperties(service);

        Assert.True(properties.TryGetProperty("System.GC.Server", out var server), $"{runtimeConfig} does not say which garbage collector to run.");
        Assert.False(server.GetBoolean(), $"{runtimeConfig}: {service} is built for the server GC.");
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean(), $"{runtimeConfig}: {service} is built without background collections.");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_is_built_with_generation_0_budget_capped_so_young_garbage_does_not_fill_its_resident_memory(string service)
    {
        // services/Directory.Build.props: the GC sizes generation 0 from the cache (80 MiB here) unless told (GarbageCollectorMode).
        var (runtimeConfig, properties) = ServiceBinaries.RuntimeConfigProperties(service);

        Assert.True(properties.TryGetProperty("System.GC.Gen0MaxBudget", out var budget), $"{runtimeConfig} leaves generation 0's budget to the GC.");
        Assert.Equal(FacePipeline.ServiceDefaults.GarbageCollectorMode.Gen0MaxBudgetBytes, long.Parse(budget.ToString(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_is_built_without_tiered_PGO_so_a_fresh_process_compiles_its_hot_code_twice_not_three_times(string service)
    {
        // services/Directory.Build.props: PGO's instrumented tier cost a fresh Ingest most of its CPU on its first job.
        var (runtimeConfig, properties) = ServiceBinaries.RuntimeConfigProperties(service);

        Assert.True(properties.TryGetProperty("System.Runtime.TieredPGO", out var pgo), $"{runtimeConfig} leaves tiered PGO at the runtime's default (on).");
        Assert.False(pgo.GetBoolean(), $"{runtimeConfig}: {service} is built with tiered PGO.");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_starts_from_the_shared_host_builder_so_its_content_root_is_its_own_folder_wherever_it_is_started(string service)
    {
        // Started from the repository, WebApplication.CreateBuilder(args) roots the host at the working directory and
        // watches all of it (media store, database files, logs) for configuration changes: ServiceHost.
        var program = File.ReadAllText(Path.Combine(RepoFacts.Root, "services", service, "Program.cs"));
        Assert.Contains($"{nameof(FacePipeline.ServiceDefaults.ServiceHost)}.{nameof(FacePipeline.ServiceDefaults.ServiceHost.CreateBuilder)}(args)", program, StringComparison.Ordinal);
        Assert.DoesNotContain("WebApplication.CreateBuilder(", program, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_import_image_runs_the_fetch_script_into_the_models_volume()
    {
        var file = Dockerfile.Load(ModelImportDockerfile);
        Assert.Equal(["/src/scripts/fetch-models.sh"], file.Entrypoint());
        Assert.Contains("scripts/fetch-models.sh", file.ContextSources());
        Assert.Contains(file.All("ENV"), e => e.Arguments.Contains("FACEPIPE_MODELS=/models", StringComparison.Ordinal));
        Assert.Contains(file.All("RUN"), r => r.Arguments.Contains("npm", StringComparison.Ordinal));
        Assert.NotNull(file.FinalStage("USER").LastOrDefault());
    }

    [Fact]
    public void Dockerignore_keeps_local_builds_models_and_data_out_of_the_context()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoFacts.Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var pattern in new[] { ".git", ".data/", "**/bin/", "**/obj/", "**/*.onnx", "**/*.tflite" })
        {
            Assert.Contains(pattern, lines);
        }
    }

    [GeneratedRegex(@"dotnet (?:restore|publish|build) (\S+\.csproj)")]
    private static partial Regex DotnetProjectArgument();

    [GeneratedRegex(@"apt-get install[^&]*\bffmpeg\b")]
    private static partial Regex FfmpegPackage();
}
