using System.Text.Json;

namespace FacePipeline.Deploy.Tests;

/// <summary>docker-compose.yml: accepted by docker-compose (Debian's, validates without an engine) and consistent with the code.</summary>
public sealed class ComposeTests
{
    private static readonly string[] ModelStages = ["expression-transfer", "reconstruction", "rendering", "training", "reconstruction-gpu", "rendering-gpu", "training-gpu"];

    private static Tools.Result Compose(params string[] arguments)
    {
        Assert.True(Tools.Find("docker-compose") is not null,
            $"docker-compose is not installed (apt-get install docker-compose): {Tools.InstallHint}.");
        return Tools.Run("docker-compose", ["-f", "docker-compose.yml", .. arguments]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("gpu")]
    public void Docker_compose_accepts_the_file(string profile)
    {
        var result = profile.Length == 0 ? Compose("config", "-q") : Compose("--profile", profile, "config", "-q");
        Assert.True(result.ExitCode == 0, $"docker-compose config rejected docker-compose.yml: {result.Stderr}");
    }

    [Fact]
    public void Services_use_buildable_images_known_env_health_checks_and_ordered_start()
    {
        var result = Compose("--profile", "gpu", "config");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var config = Assert.Single(Tools.ParseYaml(result.Stdout, "docker-compose config"));
        var services = config.GetProperty("services").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        Assert.Equal(
            ["expression-transfer", "frame-extraction", "ingest", "model-import", "postgres", "rabbitmq", "reconstruction", "reconstruction-gpu", "rendering", "rendering-gpu", "training", "training-gpu"],
            services.Keys.Order(StringComparer.Ordinal));

        var known = RepoFacts.KnownEnvironmentVariables();
        foreach (var (name, service) in services)
        {
            var image = service.GetProperty("image").GetString()!;
            if (!RepoFacts.IsOurs(image))
            {
                Assert.Contains(image.Split(':')[0], RepoFacts.ThirdPartyImages);
                Assert.True(service.TryGetProperty("healthcheck", out _), $"{name}: no healthcheck.");
                continue;
            }

            var dockerfile = RepoFacts.DockerfileForImage(image);
            Assert.True(dockerfile is not null, $"{name}: image {image} has no Dockerfile.");
            Assert.Equal(dockerfile, service.GetProperty("build").GetProperty("dockerfile").GetString());
            Assert.Equal(RepoFacts.Root, Path.GetFullPath(service.GetProperty("build").GetProperty("context").GetString()!).TrimEnd('/'));

            foreach (var variable in service.TryGetProperty("environment", out var env) ? env.EnumerateObject().Select(p => p.Name) : [])
            {
                Assert.True(known.Contains(variable), $"{name}: env {variable} is not a variable the code reads.");
            }

            var volumes = service.GetProperty("volumes").EnumerateArray().Select(VolumeTarget).ToList();
            if (name == "model-import")
            {
                Assert.Equal(["/models"], volumes);
                continue;
            }

            var environment = service.GetProperty("environment");
            Assert.Equal("/data/media", environment.GetProperty("Media__Root").GetString());
            Assert.Contains("/data/media", volumes);
            Assert.StartsWith("Host=postgres;", environment.GetProperty("ConnectionStrings__Jobs").GetString(), StringComparison.Ordinal);
            Assert.Equal("rabbitmq", environment.GetProperty("RabbitMq__Host").GetString());
            var health = service.GetProperty("healthcheck").GetProperty("test").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Contains("http://127.0.0.1:8080/health/ready", health);

            var dependsOn = service.GetProperty("depends_on");
            Assert.Equal("service_healthy", dependsOn.GetProperty("rabbitmq").GetProperty("condition").GetString());
            if (ModelStages.Contains(name))
            {
                Assert.Contains("/models", volumes);
                Assert.Equal("service_completed_successfully", dependsOn.GetProperty("model-import").GetProperty("condition").GetString());
            }

            // Only Ingest is published; the workers are internal.
            Assert.Equal(name == "ingest", service.TryGetProperty("ports", out _));

            var gpu = name.EndsWith("-gpu", StringComparison.Ordinal);
            var device = service.TryGetProperty("deploy", out var deploy)
                ? deploy.GetProperty("resources").GetProperty("reservations").GetProperty("devices")[0]
                : default;
            Assert.Equal(gpu, device.ValueKind == JsonValueKind.Object && device.GetProperty("driver").GetString() == "nvidia");
        }

        Assert.Equal("8080", PortTarget(services["ingest"].GetProperty("ports")[0]));
        Assert.Equal("service_healthy", services["ingest"].GetProperty("depends_on").GetProperty("postgres").GetProperty("condition").GetString());
    }

    [Fact]
    public void Gpu_services_only_run_with_the_gpu_profile()
    {
        var result = Compose("config");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var config = Assert.Single(Tools.ParseYaml(result.Stdout, "docker-compose config"));
        foreach (var service in config.GetProperty("services").EnumerateObject())
        {
            var profiles = service.Value.TryGetProperty("profiles", out var p) ? p.EnumerateArray().Select(e => e.GetString()).ToList() : [];
            Assert.Equal(service.Name.EndsWith("-gpu", StringComparison.Ordinal) ? ["gpu"] : [], profiles);
        }
    }

    [Fact]
    public void Services_pass_their_start_up_checks_with_the_compose_environment_and_the_models_model_import_produces()
    {
        var result = Compose("--profile", "gpu", "config");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var config = Assert.Single(Tools.ParseYaml(result.Stdout, "docker-compose config"));
        var models = ServiceBinaries.FakeModels(m => m.IctFaceModelFiles); // model-import runs scripts/fetch-models.sh: no ICT-FaceKit
        try
        {
            foreach (var (name, service) in config.GetProperty("services").EnumerateObject().Select(p => (p.Name, p.Value)))
            {
                var dockerfile = RepoFacts.DockerfileForImage(service.GetProperty("image").GetString()!);
                if (dockerfile is null || !dockerfile.StartsWith("services/", StringComparison.Ordinal))
                {
                    continue; // third-party images and the model-import one-shot
                }

                var environment = service.GetProperty("environment").EnumerateObject()
                    .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.ToString(), StringComparer.Ordinal);
                environment.Remove("ASPNETCORE_URLS");
                environment["Models__Root"] = models;
                environment["Media__Root"] = ""; // the one setting that fails, so that the service stops after its checks

                var run = ServiceBinaries.Start(dockerfile.Split('/')[1], environment, TimeSpan.FromSeconds(60));

                Assert.True(run.ExitCode == 1, $"{name}: exit code {run.ExitCode?.ToString() ?? "(still running)"}: {run.Output}");
                var reason = Assert.Single(run.Reasons);
                Assert.Contains("Media:Root is not configured", reason, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    // docker-compose 1.x prints short syntax ("media:/data/media:rw", "8080:8080/tcp"), v2 long syntax.
    private static string VolumeTarget(JsonElement volume) =>
        volume.ValueKind == JsonValueKind.String ? volume.GetString()!.Split(':')[1] : volume.GetProperty("target").GetString()!;

    private static string PortTarget(JsonElement port) =>
        port.ValueKind == JsonValueKind.String ? port.GetString()!.Split('/')[0].Split(':')[^1] : port.GetProperty("target").ToString();
}
