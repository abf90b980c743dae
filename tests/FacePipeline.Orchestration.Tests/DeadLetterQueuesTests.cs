using System.Diagnostics;
using System.Text;
using FacePipeline.Orchestration.DeadLetters;
using FacePipeline.ServiceDefaults;
using FacePipeline.TestSupport;
using RabbitMQ.Client;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Dead letters on the real RabbitMQ (a virtual host of its own): counted per queue, replayed once, unchanged.</summary>
public sealed class DeadLetterQueuesTests : IAsyncLifetime
{
    private readonly RabbitMqOptions _broker = new()
    {
        Host = TestServers.RabbitHost,
        Port = TestServers.RabbitPort,
        Username = TestServers.RabbitUser,
        Password = TestServers.RabbitPassword,
        VirtualHost = $"facepipe-dlq-{Guid.NewGuid():N}",
    };

    public Task InitializeAsync()
    {
        var info = new ProcessStartInfo(Path.Combine(RepoPaths.RepoRoot, "scripts", "infra.sh"), ["vhost", _broker.VirtualHost]) { RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Dead_letters_are_counted_per_queue_and_replayed_onto_their_queue_without_the_fault()
    {
        await using var connection = await Connect();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { "faces-reconstructed", "faces-reconstructed_error", "frames-extracted", "frames-extracted_error" })
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        }

        for (var i = 0; i < 3; i++)
        {
            var properties = new BasicProperties
            {
                MessageId = $"m{i}",
                ContentType = "application/vnd.masstransit+json",
                Headers = new Dictionary<string, object?> { ["MT-Fault-ExceptionType"] = "Npgsql.NpgsqlException", ["MT-Reason"] = "fault", ["MT-Host-MachineName"] = "ingest-1" },
            };
            await channel.BasicPublishAsync(string.Empty, "faces-reconstructed_error", mandatory: true, properties, Encoding.UTF8.GetBytes($"{{\"chunk\":{i}}}"));
        }

        var deadLetters = new DeadLetterQueues(_broker);
        var counts = await deadLetters.Count(["faces-reconstructed", "frames-extracted", "stage-fault"], default);
        Assert.Equal(new Dictionary<string, uint> { ["faces-reconstructed"] = 3, ["frames-extracted"] = 0 }, counts); // stage-fault has no error queue

        Assert.Equal(3, await deadLetters.Replay("faces-reconstructed", default));

        Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync("faces-reconstructed_error")).MessageCount);
        for (var i = 0; i < 3; i++)
        {
            var message = await channel.BasicGetAsync("faces-reconstructed", autoAck: true);
            Assert.NotNull(message);
            Assert.Equal($"{{\"chunk\":{i}}}", Encoding.UTF8.GetString(message.Body.Span));
            Assert.Equal(($"m{i}", "application/vnd.masstransit+json"), (message.BasicProperties.MessageId, message.BasicProperties.ContentType));
            var headers = message.BasicProperties.Headers!;
            Assert.DoesNotContain("MT-Fault-ExceptionType", headers.Keys);
            Assert.DoesNotContain("MT-Reason", headers.Keys);
            Assert.Contains("MT-Host-MachineName", headers.Keys);
            Assert.Contains(DeadLetterQueues.ReplayedHeader, headers.Keys);
        }
    }

    [Fact]
    public async Task A_replay_into_a_queue_that_does_not_exist_moves_nothing()
    {
        await using var connection = await Connect();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("render-track-outputs_error", durable: true, exclusive: false, autoDelete: false);
        await channel.BasicPublishAsync(string.Empty, "render-track-outputs_error", Encoding.UTF8.GetBytes("{}"));

        await Assert.ThrowsAnyAsync<Exception>(() => new DeadLetterQueues(_broker).Replay("render-track-outputs", default));

        Assert.Equal(1u, (await channel.QueueDeclarePassiveAsync("render-track-outputs_error")).MessageCount);
    }

    private Task<IConnection> Connect() => new ConnectionFactory
    {
        HostName = _broker.Host,
        Port = _broker.Port,
        VirtualHost = _broker.VirtualHost,
        UserName = _broker.Username!,
        Password = _broker.Password!,
    }.CreateConnectionAsync();
}

/// <summary>Which queues the dead-letter watch covers (no broker: the Fast lane).</summary>
public sealed class DeadLetterQueueNamesTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void Every_queue_of_every_pipeline_is_watched()
    {
        var queues = DeadLetterQueues.QueuesOf(Pipelines.JobPipelines.Default);

        Assert.Contains("extract-frames", queues);
        Assert.Contains("reconstruct-faces", queues);
        Assert.Contains("build-face-sequence", queues);
        Assert.Contains("faces-reconstructed", queues);
        Assert.Contains("train-actor-model", queues);
        Assert.Contains(QueueNames.StageFault, queues);
        Assert.Contains(QueueNames.StageFailed, queues);
        Assert.Equal(queues.Count, queues.Distinct().Count());
    }
}
