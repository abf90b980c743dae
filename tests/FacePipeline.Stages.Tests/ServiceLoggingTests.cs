using FacePipeline.ServiceDefaults;
using FacePipeline.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The services' logging (docs/logging.md): the rotated log file (<see cref="RollingLogFile"/>, <see cref="FileLoggerProvider"/>),
/// the default levels (the framework's per-request and per-query lines only at Debug), <see cref="LogScope"/>'s text.
/// </summary>
[Trait("Lane", "Fast")]
public sealed class ServiceLoggingTests : IDisposable
{
    private readonly string folder = RepoPaths.NewScratchFolder("service-logging");

    // ---- the rotated file ----

    [Fact]
    public void The_file_rotates_before_a_write_that_would_pass_the_limit_and_keeps_the_newest_files_only()
    {
        var path = Path.Combine(folder, "Svc.log");
        using (var file = new RollingLogFile(path, maxFileBytes: 100, retainedFiles: 2))
        {
            for (var i = 0; i < 10; i++)
            {
                file.Write($"line {i:D2} {new string('x', 31)}\n"); // 40 bytes: two lines fit in 100, a third does not
            }
        }

        Assert.Equal(["line 08", "line 09"], Lines(path));
        Assert.Equal(["line 06", "line 07"], Lines(RollingLogFile.RotatedPath(path, 1)));
        Assert.Equal(["line 04", "line 05"], Lines(RollingLogFile.RotatedPath(path, 2)));
        Assert.False(File.Exists(RollingLogFile.RotatedPath(path, 3)));
        Assert.Equal(["Svc.1.log", "Svc.2.log", "Svc.log"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetFiles(folder), f => Assert.InRange(new FileInfo(f).Length, 1, 100));
    }

    [Fact]
    public void A_reopened_file_counts_what_it_already_holds_and_a_write_larger_than_the_limit_is_kept_whole()
    {
        var path = Path.Combine(folder, "Svc.log");
        using (var file = new RollingLogFile(path, 100, 1))
        {
            file.Write(new string('a', 79) + "\n");
        }

        using (var file = new RollingLogFile(path, 100, 1))
        {
            file.Write(new string('b', 29) + "\n"); // 80 + 30 > 100: rotates although this writer wrote nothing yet
            file.Write(new string('c', 299) + "\n"); // larger than the limit: a file of its own, never split
        }

        Assert.Equal([new string('b', 29)], File.ReadAllLines(RollingLogFile.RotatedPath(path, 1)));
        Assert.Equal([new string('c', 299)], File.ReadAllLines(path));
    }

    [Fact]
    public void Without_retained_files_the_live_file_starts_again()
    {
        var path = Path.Combine(folder, "Svc.log");
        using (var file = new RollingLogFile(path, 50, 0))
        {
            file.Write("first line of thirty bytes..\n");
            file.Write("second line of thirty bytes.\n");
        }

        Assert.Equal(["second line of thirty bytes."], File.ReadAllLines(path));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void Concurrent_writers_lose_no_line_and_split_none()
    {
        var path = Path.Combine(folder, "Svc.log");
        using (var file = new RollingLogFile(path, 4096, 1000))
        {
            Parallel.For(0, 8, t =>
            {
                for (var i = 0; i < 400; i++)
                {
                    file.Write($"thread {t} line {i:D3}\n");
                }
            });
        }

        var lines = Directory.GetFiles(folder).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(8 * 400, lines.Count);
        Assert.Equal(8 * 400, lines.Distinct().Count());
        Assert.All(lines, l => Assert.Matches(@"^thread \d line \d{3}$", l));
        Assert.All(Directory.GetFiles(folder), f => Assert.True(new FileInfo(f).Length <= 4096, f));
    }

    [Theory]
    [InlineData("Ingest.log", 3, "Ingest.3.log")]
    [InlineData("/var/log/fp/Training.log", 1, "/var/log/fp/Training.1.log")]
    [InlineData("noext", 2, "noext.2")]
    public void Rotated_files_are_numbered_before_the_extension(string path, int index, string expected)
    {
        Assert.Equal(expected, RollingLogFile.RotatedPath(path, index));
    }

    // ---- levels and the file provider, as the services set them up ----

    [Fact]
    public void By_default_the_frameworks_request_and_query_lines_stay_out_and_the_services_own_lines_go_in()
    {
        var lines = LogThroughServiceDefaults([]);

        Assert.Contains(lines, l => l.Contains("info: FacePipeline.Orchestration.OutboxDispatcher[0] Outbox published 3 message(s)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("warn: Microsoft.EntityFrameworkCore.Query[0] a warning", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Request starting", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Executed DbCommand", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("a debug line", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} (info|warn|dbug): ", l));
    }

    [Fact]
    public void Configuration_brings_the_request_lines_back_at_Debug_without_code()
    {
        var lines = LogThroughServiceDefaults(new()
        {
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:FacePipeline"] = "Debug",
        });

        Assert.Contains(lines, l => l.Contains("Request starting", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("a debug line", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Executed DbCommand", StringComparison.Ordinal)); // still at its own default
    }

    [Fact]
    public void Two_providers_of_one_process_append_to_the_same_file_through_one_writer()
    {
        var path = Path.Combine(folder, "Svc.log");
        var lines = new List<string>();
        using (var first = ServiceHost(path, []))
        using (var second = ServiceHost(path, []))
        {
            first.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FacePipeline.A").LogInformation("from the first");
            second.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FacePipeline.B").LogInformation("from the second");
            first.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FacePipeline.A").LogInformation("first again");
        }

        lines.AddRange(File.ReadAllLines(path));
        Assert.Equal(3, lines.Count);
        Assert.EndsWith("from the first", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("from the second", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("first again", lines[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Logging:File:MaxFileBytes", "10", "Logging:File:MaxFileBytes must be at least 65536")]
    [InlineData("Logging:File:RetainedFiles", "-1", "Logging:File:RetainedFiles must be between 0 and 1000")]
    [InlineData("Logging:File:FormatterName", "xml", "Logging:File:FormatterName must be 'simple' or 'json'")]
    [InlineData("Logging:File:MaxBytes", "100000", "Logging:File:MaxBytes (environment variable Logging__File__MaxBytes) is not a setting")]
    public void A_wrong_file_setting_stops_the_start_up_checks_naming_it(string key, string value, string reason)
    {
        using var host = ServiceHost(Path.Combine(folder, "Svc.log"), new() { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => StartupChecks.Run(host.Services));
        Assert.Contains(reason, StartupChecks.Reason(error), StringComparison.Ordinal);
    }

    // ---- scopes ----

    [Fact]
    public void A_scope_prints_its_names_and_values_and_enumerates_them()
    {
        var scope = new LogScope(("TenantId", Guid.Parse("0b7c5f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f")), ("Frames", 1234.5));

        Assert.Equal("TenantId:0b7c5f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f Frames:1234.5", scope.ToString());
        Assert.Equal(["TenantId", "Frames"], scope.Select(p => p.Key));
        Assert.Equal(1234.5, scope[1].Value);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static IEnumerable<string> Lines(string path) => File.ReadAllLines(path).Select(l => l[..7]);

    /// <summary>Lines of several categories and levels, written through a service's logging set-up into a file.</summary>
    private List<string> LogThroughServiceDefaults(Dictionary<string, string?> settings)
    {
        var path = Path.Combine(folder, "Svc.log");
        using (var host = ServiceHost(path, settings))
        {
            var factory = host.Services.GetRequiredService<ILoggerFactory>();
            factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogInformation("Request starting HTTP/1.1 GET http://127.0.0.1/v1/jobs/x");
            factory.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").LogInformation("Executed DbCommand (1ms) SELECT * FROM outbox");
            factory.CreateLogger("Microsoft.EntityFrameworkCore.Query").LogWarning("a warning");
            factory.CreateLogger("FacePipeline.Orchestration.OutboxDispatcher").LogInformation("Outbox published {Published} message(s)", 3);
            factory.CreateLogger("FacePipeline.Orchestration.OutboxDispatcher").LogDebug("a debug line");
        }

        return [.. File.ReadAllLines(path)];
    }

    /// <summary>A host with a service's logging set-up (<see cref="LoggingDefaults.AddLoggingDefaults"/>), a log file, the console off.</summary>
    private static IHost ServiceHost(string path, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [FileLogOptions.Section + ":Path"] = path,
            ["Logging:Console:LogLevel:Default"] = "None",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLoggingDefaults();
        return builder.Build();
    }
}
