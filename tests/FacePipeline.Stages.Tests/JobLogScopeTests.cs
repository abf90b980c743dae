using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// A consumer's log lines carry the values of the job's scope (JobId, MessageType, CorrelationId), not a dictionary's type
/// name: a stage consumer in MassTransit's in-memory harness behind the services' own <see cref="JobContextFilter{T}"/>,
/// logging through the services' logging set-up (<see cref="LoggingDefaults"/>) into the log file, which formats with the
/// very console formatters that write standard output (simple lines locally, JSON lines in containers).
/// </summary>
public sealed class JobLogScopeTests : IDisposable
{
    private readonly string folder = RepoPaths.NewScratchFolder("job-log-scope");

    [Fact]
    public async Task A_consumers_line_in_the_simple_format_names_the_job_id_and_the_message_type()
    {
        var (jobId, correlationId, lines) = await ConsumeOne("simple");

        var line = Assert.Single(lines, l => l.Contains("7 frames", StringComparison.Ordinal));
        Assert.Contains($"JobId:{jobId}", line, StringComparison.Ordinal);
        Assert.Contains("MessageType:DoWork", line, StringComparison.Ordinal);
        Assert.Contains($"CorrelationId:{correlationId:N}", line, StringComparison.Ordinal);
        Assert.Contains("info: FacePipeline.Stages.Tests.StageConsumerTests.ToyStageConsumer", line, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("System.Collections.Generic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_consumers_line_in_the_JSON_format_has_the_job_id_as_a_scope_value()
    {
        var (jobId, correlationId, lines) = await ConsumeOne("json");

        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList(); // every line is one JSON object
        var done = Assert.Single(events, e => e.GetProperty("Message").GetString() == "7 frames");
        Assert.Equal("Information", done.GetProperty("LogLevel").GetString());
        var scope = Assert.Single(done.GetProperty("Scopes").EnumerateArray(), s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("JobId", out _));
        Assert.Equal(jobId.ToString(), scope.GetProperty("JobId").GetString());
        Assert.Equal("DoWork", scope.GetProperty("MessageType").GetString());
        Assert.Equal(correlationId.ToString("N"), scope.GetProperty("CorrelationId").GetString());
        Assert.Equal($"JobId:{jobId} MessageType:DoWork CorrelationId:{correlationId:N}", scope.GetProperty("Message").GetString());
        Assert.DoesNotContain(lines, l => l.Contains("System.Collections.Generic", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>One DoWork consumed by the toy stage consumer (which logs "7 frames"); the log file's lines.</summary>
    private async Task<(Guid JobId, Guid CorrelationId, IReadOnlyList<string> Lines)> ConsumeOne(string format)
    {
        var path = Path.Combine(folder, format + ".log");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [FileLogOptions.Section + ":Path"] = path,
            [FileLogOptions.Section + ":FormatterName"] = format,
            ["Logging:Console:LogLevel:Default"] = "None", // the file says it all; keep the test output quiet
        });
        builder.AddLoggingDefaults();
        builder.Services.AddSingleton(new StageConsumerTests.ToyStage(_ => Task.FromResult<StageConsumerTests.Done?>(new StageConsumerTests.Done(Guid.Empty, 7))));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EndedJobs>(); // the job context filter's (AddMessageBus registers it)
        builder.Services.AddMassTransitTestHarness(x =>
        {
            x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(2), testInactivityTimeout: TimeSpan.FromSeconds(20));
            x.AddConsumer<StageConsumerTests.ToyStageConsumer>();
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseJobContext(context); // what every service's bus uses
                cfg.ConfigureEndpoints(context);
            });
        });

        var jobId = Guid.NewGuid();
        var correlationId = NewId.NextGuid();
        using (var host = builder.Build())
        {
            var harness = host.Services.GetRequiredService<ITestHarness>();
            await harness.Start();
            await harness.Bus.Publish(new StageConsumerTests.DoWork(jobId, "log"), c => c.MessageId = correlationId);
            Assert.True(await harness.Published.Any<StageConsumerTests.Done>(m => m.Context.Message.JobId == jobId)); // logged before it is published
            await harness.Stop();
        }

        return (jobId, correlationId, [.. File.ReadAllLines(path).Where(l => l.Length > 0)]);
    }
}
