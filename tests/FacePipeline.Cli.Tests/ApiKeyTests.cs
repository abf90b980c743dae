using FacePipeline.TestSupport;

using System.CommandLine;

namespace FacePipeline.Cli.Tests;

/// <summary>The API key (and the database's connection string) never reach the terminal: not in help, not in errors.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class ApiKeyTests
{
    private const string Key = "fp_secret_key_that_must_never_be_printed_0123456789";
    private const string Connection = "Host=db;Username=facepipe;Password=db_password_never_printed";

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Help_of_every_command_says_where_the_key_comes_from_and_never_its_value()
    {
        var root = CliCommands.Root();
        var paths = Paths(root, []).ToList();
        Assert.True(paths.Count > 25, $"only {paths.Count} commands found");

        using (ProcessEnvironment.Set(CliCommands.ApiKeyVariable, Key))
        using (ProcessEnvironment.Set("ConnectionStrings__Jobs", Connection))
        {
            foreach (var path in paths)
            {
                var output = new StringWriter();
                var exit = await root.Parse([.. path, "--help"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });

                var help = output.ToString();
                Assert.Equal(0, exit);
                Assert.DoesNotContain(Key, help, StringComparison.Ordinal);
                Assert.DoesNotContain("db_password_never_printed", help, StringComparison.Ordinal);
                Assert.Contains("--key", help, StringComparison.Ordinal);
                Assert.Contains(CliCommands.ApiKeyVariable, help, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_server_answer_that_echoes_the_key_is_printed_with_the_key_blanked_out()
    {
        await using var ingest = await StandInIngest.StartAsync();

        var fromEnvironment = await CliProcess.RunAsync(
            new Dictionary<string, string?> { [CliCommands.ApiKeyVariable] = Key }, "status", StandInIngest.EchoingJob, "--api", ingest.BaseUrl);
        var fromOption = await CliProcess.RunAsync(
            new Dictionary<string, string?>(), "status", StandInIngest.EchoingJob, "--api", ingest.BaseUrl, "--key", Key);

        foreach (var run in new[] { fromEnvironment, fromOption })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"502 Bad Gateway: upstream refused the request with X-Api-Key {CliSecrets.Placeholder}", run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, run.Everything, StringComparison.Ordinal);
        }

        Assert.Equal([Key, Key], ingest.KeysSeen); // the key did go where it belongs: the request's header
    }

    [Fact]
    public async Task Without_a_key_a_command_says_how_to_give_one()
    {
        var run = await CliProcess.RunAsync(new Dictionary<string, string?>(), "status", Guid.NewGuid().ToString(), "--api", "http://127.0.0.1:9");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"facepipe: No API key: pass --key or set {CliCommands.ApiKeyVariable} (create one with 'facepipe tenant create <name>').", run.Error.Trim());
    }

    private static IEnumerable<string[]> Paths(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands)
        {
            foreach (var inner in Paths(sub, [.. path, sub.Name]))
            {
                yield return inner;
            }
        }
    }
}
