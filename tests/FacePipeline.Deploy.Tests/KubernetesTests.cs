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
        Assert.Equal(["reconstruct-faces"], queues["Reconstruction"]);
        Assert.Equal(["transfer-expressions"], queues["ExpressionTransfer"]);
        Assert.Equal(["render-retarget-outputs", "render-track-outputs"], queues["Rendering"]);
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

    private static IEnumerable<JsonElement> Of(IEnumerable<JsonElement> docs, string kind) => docs.Where(d => Kind(d) == kind);

    private static string? Kind(JsonElement doc) => doc.TryGetProperty("kind", out var k) ? k.GetString() : null;

    private static string Name(JsonElement doc) =>
        doc.TryGetProperty("metadata", out var m) && m.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
}
