using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace FacePipeline.Persistence;

/// <summary>Lets EF Core's design-time tooling (migration scaffolding) build the context without a host.</summary>
public sealed class DesignTimeJobsDbContextFactory : IDesignTimeDbContextFactory<JobsDbContext>
{
    public JobsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<JobsDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only")
            .Options);
}
