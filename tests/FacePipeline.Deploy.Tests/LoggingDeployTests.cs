using System.Text.Json;

namespace FacePipeline.Deploy.Tests;

/// <summary>
/// In containers the services log JSON lines to standard output (docs/logging.md): docker-compose.yml and the Kubernetes
/// ConfigMap select the JSON console format, and a service started with the compose environment writes nothing else.
/// </summary>
public sealed class LoggingDeployTests
{
    [Fact]
    public void The_Kubernetes_ConfigMap_selects_the_JSON_console_format()
    {
        var configMap = Assert.Single(Tools.ParseYaml(File.ReadAllText(Path.Combine(RepoFacts.Root, "k8s", "base", "configmap.yaml")), "k8s/base/configmap.yaml"));
        Assert.Equal("json", configMap.GetProperty("data").GetProperty("Logging__Console__FormatterName").GetString());
    }

    [Fact]
    public void A_service_with_the_compose_environment_writes_only_JSON_lines_with_its_values()
    {
        Assert.True(Tools.Find("docker-compose") is not null, $"docker-compose is not installed: {Tools.InstallHint}.");
        var result = Tools.Run("docker-compose", ["-f", "docker-compose.yml", "config"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var config = Assert.Single(Tools.ParseYaml(result.Stdout, "docker-compose config"));
        var environment = config.GetProperty("services").GetProperty("frame-extraction").GetProperty("environment").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.ToString(), StringComparer.Ordinal);
        Assert.Equal("json", environment["Logging__Console__FormatterName"]);
        environment.Remove("ASPNETCORE_URLS");
        environment["Media__Root"] = ""; // refused at start-up: the service logs its reason and stops

        var run = ServiceBinaries.Start("FrameExtraction", environment, TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode?.ToString() ?? "(still running)"}: {run.Output}");
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.Equal(lines.Length, run.JsonLines.Count); // every line is one JSON object
        var refusal = Assert.Single(run.JsonLines, l => l.GetProperty("LogLevel").GetString() == "Critical");
        Assert.Contains("refuses to start", refusal.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Media:Root is not configured", refusal.GetProperty("State").GetProperty("Reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("Media:Root is not configured", Assert.Single(run.Reasons), StringComparison.Ordinal);
    }
}
