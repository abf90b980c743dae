using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.Orchestration.Tests;

/// <summary>A migrated job database on the real PostgreSQL, with one tenant, for a test class.</summary>
public sealed class JobStoreFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    public IDbContextFactory<JobsDbContext> Db { get; private set; } = null!;

    public Guid TenantId { get; private set; }

    public OutboxSignal Signal { get; } = new();

    public JobPipelines Pipelines { get; } = JobPipelines.Default;

    public JobCoordinator Coordinator => new(Db, Pipelines, Signal, TimeProvider.System, NullLogger<JobCoordinator>.Instance);

    public JobSubmission Submission => new(Pipelines, Signal, TimeProvider.System);

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("orch");
        var options = new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(_database.ConnectionString).Options;
        Db = new PooledDbContextFactory<JobsDbContext>(options);
        await using var db = await Db.CreateDbContextAsync();
        await db.MigrateAsync();
        TenantId = (await TenantKeys.CreateTenantAsync(db, "test studio", TimeProvider.System, default)).Tenant.Id;
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
