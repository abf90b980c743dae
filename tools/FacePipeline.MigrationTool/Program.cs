// Usage: dotnet run --project tools/FacePipeline.MigrationTool -- <MigrationName>
// Writes the migration and the updated model snapshot into shared/FacePipeline.Persistence/Migrations.
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: FacePipeline.MigrationTool <MigrationName>");
    return 2;
}

var projectDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../shared/FacePipeline.Persistence"));
using var db = new DesignTimeJobsDbContextFactory().CreateDbContext([]);
var services = new ServiceCollection()
    .AddEntityFrameworkDesignTimeServices()
    .AddDbContextDesignTimeServices(db);
new NpgsqlDesignTimeServices().ConfigureDesignTimeServices(services);
using var provider = services.BuildServiceProvider();
var scaffolder = provider.GetRequiredService<IMigrationsScaffolder>();
var migration = scaffolder.ScaffoldMigration(args[0], "FacePipeline.Persistence", "Migrations", "C#");
var files = scaffolder.Save(projectDir, migration, Path.Combine(projectDir, "Migrations"));
Console.WriteLine(files.MigrationFile);
Console.WriteLine(files.SnapshotFile);
return 0;
