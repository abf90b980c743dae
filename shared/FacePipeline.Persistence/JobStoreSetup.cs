using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Persistence;

public static class JobStoreSetup
{
    /// <summary>Registers <see cref="JobsDbContext"/> (and a factory of it) on PostgreSQL.</summary>
    public static IServiceCollection AddJobStore(this IServiceCollection services, string connectionString) =>
        services.AddDbContextFactory<JobsDbContext>(o => o.UseNpgsql(connectionString));

    /// <summary>Applies pending migrations; safe to call from several processes at start-up.</summary>
    public static async Task MigrateAsync(this JobsDbContext db, CancellationToken cancellationToken = default)
    {
        // EF Core takes a database lock around migrations, so concurrent starters wait for each other.
        await db.Database.MigrateAsync(cancellationToken);
    }
}
