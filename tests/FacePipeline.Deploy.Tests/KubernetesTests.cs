using System.Text.Json;

namespace FacePipeline.Deploy.Tests;

/// <summary>k8s/: every file parses; base and overlays render offline (kubectl kustomize) and agree with the code.</summary>
public sealed class KubernetesTests
{
    private static readonly Lazy<IReadOnlyList<JsonElement>> Base = new(() => Tools.Kustomize("k8s/base"));
    private static readonly Lazy<IReadOnlyList<JsonElement>> Dev = new(() => Tools.Kustomize("k8s/overlays/dev"));
    private static readonly Lazy<IReadOnlyList<JsonElement>> Prod = new(() => Tools.Kustomize("k8s/overlays/prod"));

    private static readonly string[] Workers = ["expression-transfer", "frame-extraction", "reconstruction", "rendering", "training"];
    private static readonly string[] GpuStages = ["reconstruction", "rendering", "training"];

    public static TheoryData<string> Renderings() => new() { "base", "dev", "prod" };

    private static IReadOnlyList<JsonElement> Rendered(string which) => which switch
    {
        "base" => Base.Value,
        "dev" => Dev.Value,
        "prod" => Prod.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    [Fact]
    public void Every_manifest_file_parses_and_has_kind_and_name()
    {
        var files = Directory.GetFiles(Path.Combine(RepoFacts.Root, "k8s"), "*.yaml", SearchOption.AllDirectories);
        Assert.True(files.Length >= 10, "k8s/ holds too few manifests.");
        foreach (var file in files)
        {
            var docs = Tools.ParseYaml(File.ReadAllText(file), Path.GetRelativePath(RepoFacts.Root, file));
            Assert.NotEmpty(docs);
            foreach (var doc in docs)
            {
                Assert.True(doc.TryGetProperty("kind", out _), $"{file}: a document without kind.");
                if (doc.GetProperty("kind").GetString() != "Kustomization")
                {
                    Assert.False(string.IsNullOrEmpty(Name(doc)), $"{file}: a document without metadata.name.");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Deployments_probe_health_on_their_port_with_resources_known_env_and_buildable_images(string which)
    {
        var docs = Rendered(which);
        var known = RepoFacts.KnownEnvironmentVariables();
        var deployments = Of(docs, "Deployment").ToList();
        Assert.Equal(["expression-transfer", "frame-extraction", "ingest", "reconstruction", "rendering", "training"], deployments.Select(Name).Order(StringComparer.Ordinal));

        foreach (var deployment in deployments)
        {
            var name = Name(deployment);
            var pod = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec");
            var container = Assert.Single(pod.GetProperty("containers").EnumerateArray());
            var image = container.GetProperty("image").GetString()!;
            Assert.True(RepoFacts.DockerfileForImage(image) is { } df && File.Exists(Path.Combine(RepoFacts.Root, df)),
                $"{which}/{name}: image {image} has no Dockerfile.");

            var port = Assert.Single(container.GetProperty("ports").EnumerateArray());
            var containerPort = port.GetProperty("containerPort").GetInt32();
            var portName = port.TryGetProperty("name", out var n) ? n.GetString() : null;
            foreach (var (probe, path) in new[] { ("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live") })
            {
                Assert.True(container.TryGetProperty(probe, out var p), $"{which}/{name}: no {probe}.");
                var get = p.GetProperty("httpGet");
                Assert.Equal(path, get.GetProperty("path").GetString());
                var probePort = get.GetProperty("port");
                Assert.True(probePort.ValueKind == JsonValueKind.Number ? probePort.GetInt32() == containerPort : probePort.GetString() == portName,
                    $"{which}/{name}: {probe} is not on the container port {containerPort}.");
            }

            var resources = container.GetProperty("resources");
            foreach (var part in new[] { "requests", "limits" })
            {
                Assert.True(resources.GetProperty(part).TryGetProperty("cpu", out _), $"{which}/{name}: no cpu {part}.");
                Assert.True(resources.GetProperty(part).TryGetProperty("memory", out _), $"{which}/{name}: no memory {part}.");
            }

            if (Workers.Contains(name))
            {
                Assert.True(pod.GetProperty("terminationGracePeriodSeconds").GetInt32() >= 120, $"{which}/{name}: grace period shorter than a chunk.");
            }

            foreach (var env in container.TryGetProperty("env", out var e) ? e.EnumerateArray() : default(JsonElement.ArrayEnumerator))
            {
                var variable = env.GetProperty("name").GetString()!;
                Assert.True(known.Contains(variable), $"{which}/{name}: env {variable} is not a variable the services read.");
            }

            foreach (var source in container.GetProperty("envFrom").EnumerateArray())
            {
                var configMap = Of(docs, "ConfigMap").Single(c => Name(c) == source.GetProperty("configMapRef").GetProperty("name").GetString());
                foreach (var key in configMap.GetProperty("data").EnumerateObject())
                {
                    Assert.True(known.Contains(key.Name), $"{which}: ConfigMap key {key.Name} is not a variable the services read.");
                }
            }

            foreach (var initContainer in pod.TryGetProperty("initContainers", out var ic) ? ic.EnumerateArray() : default(JsonElement.ArrayEnumerator))
            {
                Assert.NotNull(RepoFacts.DockerfileForImage(initContainer.GetProperty("image").GetString()!));
            }

            // One PodDisruptionBudget per Deployment.
            Assert.Contains(Of(docs, "PodDisruptionBudget"), pdb => Name(pdb) == name);
        }

        var job = Assert.Single(Of(docs, "Job"));
        Assert.Equal("facepipe/model-import", RepoFacts.StripImage(job.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString()!));

        var ingest = Of(docs, "Service").Single(s => Name(s) == "ingest");
        Assert.Equal("http", ingest.GetProperty("spec").GetProperty("ports")[0].GetProperty("targetPort").GetString());

        foreach (var doc in docs.Where(d => Kind(d) is not ("Namespace")))
        {
            Assert.Equal("facepipe", doc.GetProperty("metadata").GetProperty("namespace").GetString());
        }

        foreach (var claim in new[] { "media", "models" })
        {
            var pvc = Of(docs, "PersistentVolumeClaim").Single(p => Name(p) == claim);
            var modes = pvc.GetProperty("spec").GetProperty("accessModes").EnumerateArray().Select(m => m.GetString()).ToList();
            Assert.Equal(which == "dev" ? "ReadWriteOnce" : "ReadWriteMany", Assert.Single(modes));
        }
    }

    [Fact]
    public void Prod_scales_each_worker_with_KEDA_on_the_queue_its_consumer_declares()
    {
        var queues = RepoFacts.WorkerQueues();
        Assert.Equal(["extract-frames"], queues["FrameExtraction"]);
        Assert.Equal(["build-face-sequence", "reconstruct-faces"], queues["Reconstruction"].Order());
        Assert.Equal(["transfer-expressions"], queues["ExpressionTransfer"]);
        Assert.Equal(["render-qc-segment", "render-retarget-outputs", "render-retarget-segment", "render-track-outputs"], queues["Rendering"].Order());
        Assert.Equal(["train-actor-model"], queues["Training"]);
        Assert.Equal(5, queues.Count);

        var scaled = Of(Prod.Value, "ScaledObject").ToDictionary(Name);
        Assert.Equal(Workers, scaled.Keys.Order(StringComparer.Ordinal));
        foreach (var (service, serviceQueues) in queues)
        {
            var so = scaled[RepoFacts.Kebab(service)].GetProperty("spec");
            Assert.Equal(RepoFacts.Kebab(service), so.GetProperty("scaleTargetRef").GetProperty("name").GetString());
            var triggers = so.GetProperty("triggers").EnumerateArray().ToList();
            Assert.Equal(serviceQueues, triggers.Select(t => t.GetProperty("metadata").GetProperty("queueName").GetString()!).Order(StringComparer.Ordinal));
            foreach (var trigger in triggers)
            {
                Assert.Equal("rabbitmq", trigger.GetProperty("type").GetString());
                Assert.False(trigger.GetProperty("metadata").TryGetProperty("host", out _), "the broker URI belongs in the Secret, not the manifest.");
                var auth = trigger.GetProperty("authenticationRef").GetProperty("name").GetString();
                Assert.Contains(Of(Prod.Value, "TriggerAuthentication"), t => Name(t) == auth);
            }

            Assert.True(so.GetProperty("maxReplicaCount").GetInt32() >= 1);
            var min = so.GetProperty("minReplicaCount").GetInt32();
            Assert.True(GpuStages.Contains(RepoFacts.Kebab(service)) ? min == 0 : min >= 1, $"{service}: minReplicaCount {min}.");
        }
    }

    [Fact]
    public void Prod_runs_the_gpu_stages_on_gpu_nodes_with_gpu_images()
    {
        foreach (var deployment in Of(Prod.Value, "Deployment"))
        {
            var name = Name(deployment);
            var pod = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec");
            var container = pod.GetProperty("containers")[0];
            var gpu = GpuStages.Contains(name);
            Assert.Equal(gpu, container.GetProperty("resources").GetProperty("limits").TryGetProperty("nvidia.com/gpu", out _));
            Assert.Equal(gpu, RepoFacts.StripImage(container.GetProperty("image").GetString()!).EndsWith("-gpu", StringComparison.Ordinal));
            Assert.Equal(gpu, pod.TryGetProperty("nodeSelector", out _));
            Assert.Equal(gpu, pod.TryGetProperty("tolerations", out var tolerations)
                && tolerations.EnumerateArray().Any(t => t.GetProperty("key").GetString() == "nvidia.com/gpu"));
        }

        Assert.DoesNotContain(Prod.Value, d => Kind(d) == "Secret"); // created out of band
        Assert.DoesNotContain(Prod.Value, d => Kind(d) == "StatefulSet"); // operator / managed service
    }

    [Fact]
    public void Dev_has_one_replica_each_no_gpu_no_keda_and_its_own_servers()
    {
        Assert.DoesNotContain(Dev.Value, d => Kind(d) is "ScaledObject" or "TriggerAuthentication");
        foreach (var deployment in Of(Dev.Value, "Deployment"))
        {
            Assert.Equal(1, deployment.GetProperty("spec").GetProperty("replicas").GetInt32());
            Assert.DoesNotContain("nvidia.com/gpu", deployment.GetRawText(), StringComparison.Ordinal);
            Assert.False(RepoFacts.StripImage(deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString()!).EndsWith("-gpu", StringComparison.Ordinal));
        }

        Assert.Equal(["postgres", "rabbitmq"], Of(Dev.Value, "StatefulSet").Select(Name).Order(StringComparer.Ordinal));
        var secret = Assert.Single(Of(Dev.Value, "Secret"));
        Assert.Equal("facepipe-secrets", Name(secret));
    }

    [Fact]
    public void No_secret_values_in_base_or_template()
    {
        Assert.DoesNotContain(Base.Value, d => Kind(d) == "Secret");
        var template = Assert.Single(Tools.ParseYaml(File.ReadAllText(Path.Combine(RepoFacts.Root, "k8s", "secret.template.yaml")), "k8s/secret.template.yaml"));
        var known = RepoFacts.KnownEnvironmentVariables();
        foreach (var entry in template.GetProperty("stringData").EnumerateObject())
        {
            Assert.Contains("REPLACE_ME", entry.Value.GetString(), StringComparison.Ordinal);
            Assert.True(known.Contains(entry.Name) || entry.Name == "rabbitmq-amqp-uri", $"secret key {entry.Name} is not read by anything.");
        }
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Every_deployment_passes_its_start_up_checks_with_the_rendered_environment_and_the_imported_models(string which)
    {
        var docs = Rendered(which);
        var models = ServiceBinaries.FakeModels(m => m.IctFaceModelFiles); // what the model-import Job produces (no ICT-FaceKit)
        try
        {
            foreach (var deployment in Of(docs, "Deployment"))
            {
                var service = ServiceOf(deployment);
                var environment = ContainerEnvironment(docs, deployment);
                environment["Models__Root"] = models;
                environment["Media__Root"] = ""; // the one setting that fails, so that the service stops after its checks

                var run = ServiceBinaries.Start(service, environment, TimeSpan.FromSeconds(60));

                Assert.True(run.ExitCode == 1, $"{which}/{Name(deployment)}: exit code {run.ExitCode?.ToString() ?? "(still running)"}: {run.Output}");
                var reason = Assert.Single(run.Reasons);
                Assert.Contains("Media:Root is not configured", reason, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public void Init_containers_wait_for_every_model_the_worker_refuses_to_start_without()
    {
        var docs = Base.Value;
        var empty = TestSupport.RepoPaths.NewScratchFolder("k8s-no-models");
        try
        {
            foreach (var deployment in Of(docs, "Deployment"))
            {
                var name = Name(deployment);
                var environment = ContainerEnvironment(docs, deployment);
                environment["Models__Root"] = empty;
                environment["Media__Root"] = "";

                var run = ServiceBinaries.Start(ServiceOf(deployment), environment, TimeSpan.FromSeconds(60));

                Assert.True(run.ExitCode == 1, $"{name}: exit code {run.ExitCode?.ToString() ?? "(still running)"}: {run.Output}");
                Assert.All(run.Reasons, r => Assert.True(r.StartsWith("Model missing: ", StringComparison.Ordinal) || r.Contains("Media:Root", StringComparison.Ordinal), $"{name}: {r}"));
                var pod = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec");
                var waits = pod.TryGetProperty("initContainers", out var init)
                    ? string.Join(" ", init.EnumerateArray().SelectMany(c => c.TryGetProperty("command", out var command) ? command.EnumerateArray().Select(a => a.GetString()) : []))
                    : "";
                foreach (var model in run.MissingModels)
                {
                    var inVolume = "/models/" + Path.GetRelativePath(empty, model).Replace('\\', '/');
                    Assert.True(waits.Contains($"[ -s {inVolume} ]", StringComparison.Ordinal), $"{name} refuses to start without {inVolume}, which its init container does not wait for: {waits}");
                }

                Assert.True(Workers.Contains(name) || name == "ingest", name);
                Assert.Equal(waits.Length > 0, run.MissingModels.Count > 0); // an init container only where there are models to wait for
            }
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    /// <summary>The service whose image the deployment runs (services/&lt;Service&gt;/Dockerfile[.gpu]).</summary>
    private static string ServiceOf(JsonElement deployment)
    {
        var image = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString()!;
        var dockerfile = RepoFacts.DockerfileForImage(image) ?? throw new InvalidOperationException($"{image} has no Dockerfile.");
        return dockerfile.Split('/')[1];
    }

    /// <summary>
    /// The container's environment as the cluster gives it: its ConfigMaps (envFrom), its own variables, the Secret's keys
    /// (the rendered Secret, else k8s/secret.template.yaml's placeholders). ASPNETCORE_URLS is left to the test.
    /// </summary>
    private static Dictionary<string, string> ContainerEnvironment(IReadOnlyList<JsonElement> docs, JsonElement deployment)
    {
        var container = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.TryGetProperty("envFrom", out var envFrom) ? envFrom.EnumerateArray() : default(JsonElement.ArrayEnumerator))
        {
            var configMap = Of(docs, "ConfigMap").Single(c => Name(c) == source.GetProperty("configMapRef").GetProperty("name").GetString());
            foreach (var entry in configMap.GetProperty("data").EnumerateObject())
            {
                environment[entry.Name] = entry.Value.GetString()!;
            }
        }

        foreach (var variable in container.TryGetProperty("env", out var env) ? env.EnumerateArray() : default(JsonElement.ArrayEnumerator))
        {
            var name = variable.GetProperty("name").GetString()!;
            environment[name] = variable.TryGetProperty("value", out var value)
                ? value.GetString()!
                : SecretValue(docs, variable.GetProperty("valueFrom").GetProperty("secretKeyRef"));
        }

        environment.Remove("ASPNETCORE_URLS");
        return environment;
    }

    private static string SecretValue(IReadOnlyList<JsonElement> docs, JsonElement reference)
    {
        var key = reference.GetProperty("key").GetString()!;
        if (Of(docs, "Secret").SingleOrDefault(s => Name(s) == reference.GetProperty("name").GetString()) is { ValueKind: JsonValueKind.Object } secret)
        {
            return secret.TryGetProperty("stringData", out var plain) && plain.TryGetProperty(key, out var text)
                ? text.GetString()!
                : System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret.GetProperty("data").GetProperty(key).GetString()!));
        }

        var template = Assert.Single(Tools.ParseYaml(File.ReadAllText(Path.Combine(RepoFacts.Root, "k8s", "secret.template.yaml")), "k8s/secret.template.yaml"));
        return template.GetProperty("stringData").GetProperty(key).GetString()!;
    }

    private static IEnumerable<JsonElement> Of(IEnumerable<JsonElement> docs, string kind) => docs.Where(d => Kind(d) == kind);

    private static string? Kind(JsonElement doc) => doc.TryGetProperty("kind", out var k) ? k.GetString() : null;

    private static string Name(JsonElement doc) =>
        doc.TryGetProperty("metadata", out var m) && m.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
}
