using static FacePipeline.Orchestration.Tests.CoordinatorEvents;
using System.Net.Sockets;
using FacePipeline.Contracts;
using FacePipeline.Persistence;
using FacePipeline.ServiceDefaults;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// The coordinator's consumers while the job database is unavailable: the event is retried until the database answers
/// again (not failed, not dead-lettered), and a fault the database caused never fails the job.
/// </summary>
public sealed class DatabaseOutageTests(JobStoreFixture store) : IClassFixture<JobStoreFixture>
{
    [Fact]
    public async Task A_chunk_result_that_arrives_while_the_database_is_down_is_recorded_once_it_is_back()
    {
        var jobId = await SubmitAndExtract(chunks: 2);
        var database = new FlakyDbFactory(store.Db, failures: 2); // down for the first two attempts
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new JobCoordinator(database, store.Pipelines, store.Signal, TimeProvider.System, NullLogger<JobCoordinator>.Instance))
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(2), testInactivityTimeout: TimeSpan.FromSeconds(30));
                x.AddConsumer<StepEventConsumer<FacesReconstructed>, StepEventConsumerDefinition<FacesReconstructed>>();
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseMessageRetry(ServiceDefaultsExtensions.ConsumeRetry); // what every service's bus uses
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(Detected(jobId, 0));

        Assert.True(await harness.Consumed.Any<FacesReconstructed>(m => m.Context.Message.JobId == jobId));
        Assert.Equal(3, database.Attempts);
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        Assert.Empty(await harness.Published.SelectAsync<Fault<FacesReconstructed>>(now.Token).ToListAsync()); // what was published: no waiting
        await using var db = await store.Db.CreateDbContextAsync();
        Assert.True((await db.JobChunks.SingleAsync(c => c.JobId == jobId && c.Index == 0)).Reconstructed);
    }

    [Fact]
    public async Task A_result_that_outlasted_the_retries_of_a_database_outage_does_not_fail_the_job()
    {
        var jobId = await SubmitAndExtract(chunks: 2);
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(store.Coordinator)
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<DatabaseDownConsumer>();
                x.AddConsumer<StepFaultConsumer<FacesReconstructed>>();
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(Detected(jobId, 1));

        Assert.True(await harness.GetConsumerHarness<StepFaultConsumer<FacesReconstructed>>().Consumed.Any<Fault<FacesReconstructed>>());
        await using var db = await store.Db.CreateDbContextAsync();
        Assert.Equal(JobState.Reconstructing, (await db.Jobs.SingleAsync(j => j.Id == jobId)).State); // the watchdog's to recover
    }

    private async Task<Guid> SubmitAndExtract(int chunks)
    {
        var jobId = Guid.NewGuid();
        await using (var db = await store.Db.CreateDbContextAsync())
        {
            await store.Submission.SubmitTrackJob(db, jobId, store.TenantId, "clip.mp4", MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 1000, ChunkSize, CancellationToken.None);
        }

        await store.Coordinator.Handle(Extracted(jobId, chunks));
        return jobId;
    }

    /// <summary>The coordinator's handling of a result, with the database down past every retry.</summary>
    public sealed class DatabaseDownConsumer : IConsumer<FacesReconstructed>
    {
        public Task Consume(ConsumeContext<FacesReconstructed> context) =>
            throw new NpgsqlException("Failed to connect to 127.0.0.1:55432", new SocketException(111));
    }

    /// <summary>The real job store, unreachable (connection refused) for its first <c>failures</c> attempts.</summary>
    private sealed class FlakyDbFactory(IDbContextFactory<JobsDbContext> real, int failures) : IDbContextFactory<JobsDbContext>
    {
        private int _attempts;

        public int Attempts => _attempts;

        public JobsDbContext CreateDbContext() => throw new NotSupportedException("the coordinator opens its contexts asynchronously");

        public Task<JobsDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _attempts) <= failures
                ? throw new NpgsqlException("Failed to connect to 127.0.0.1:55432", new SocketException(111))
                : real.CreateDbContextAsync(cancellationToken);
    }
}

/// <summary>What counts as a database outage (no database: the Fast lane).</summary>
public sealed class DatabaseFaultsTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void Only_an_unavailable_database_counts_as_an_outage()
    {
        Assert.True(DatabaseFaults.IsUnavailable(new NpgsqlException("Failed to connect", new SocketException(111))));
        Assert.True(DatabaseFaults.IsUnavailable(new InvalidOperationException("wrapped", new NpgsqlException("Exception while reading from stream", new TimeoutException()))));
        Assert.True(DatabaseFaults.IsUnavailable(new DbUpdateException("save", new NpgsqlException("Exception while reading from stream", new IOException("reset")))));
        Assert.False(DatabaseFaults.IsUnavailable(new InvalidOperationException("a bug")));
        Assert.False(DatabaseFaults.IsUnavailable(new NpgsqlException("bad SQL"))); // no transient cause: a bug, not an outage
    }
}
