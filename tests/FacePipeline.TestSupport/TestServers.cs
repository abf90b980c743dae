using Npgsql;
using Polly;
using Polly.Retry;

namespace FacePipeline.TestSupport;

/// <summary>
/// The real PostgreSQL and RabbitMQ that scripts/infra.sh starts on loopback. Tests read the same
/// environment variables as the services (scripts/infra.sh env), with the script's defaults.
/// </summary>
public static class TestServers
{
    public static string JobsConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Jobs")
        ?? "Host=127.0.0.1;Port=55432;Database=facepipe;Username=facepipe;Password=facepipe";

    /// <summary>The folder of PostgreSQL's Unix socket (scripts/infra.sh: $FACEPIPE_DATA/postgres-run), where the superuser connects.</summary>
    public static string PostgresSocketDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("FACEPIPE_DATA") is { Length: > 0 } data ? data : Path.Combine(RepoPaths.RepoRoot, ".data"), "postgres-run");

    public static string RabbitHost => Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "127.0.0.1";

    public static ushort RabbitPort => ushort.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "55672", System.Globalization.CultureInfo.InvariantCulture);

    public static string RabbitUser => Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "facepipe";

    public static string RabbitPassword => Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "facepipe";
}

/// <summary>A fresh PostgreSQL database for one test class, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private TestDatabase(string name, string adminConnectionString, string connectionString)
    {
        Name = name;
        _adminConnectionString = adminConnectionString;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(string label)
    {
        var builder = new NpgsqlConnectionStringBuilder(TestServers.JobsConnectionString);
        var name = $"fp_{label}_{Guid.NewGuid():N}".ToLowerInvariant();
        name = name.Length > 63 ? name[..63] : name;
        var admin = builder.ConnectionString;
        await using (var connection = new NpgsqlConnection(admin))
        {
            try
            {
                await connection.OpenAsync();
            }
            catch (NpgsqlException ex)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL is not reachable at {builder.Host}:{builder.Port}. Start it with scripts/infra.sh start (the test command does).", ex);
            }

            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        builder.Database = name;
        builder.Pooling = true;
        builder.MaxPoolSize = 60;
        return new TestDatabase(name, admin, builder.ConnectionString);
    }

    /// <summary>
    /// Drops the database. <c>WITH (FORCE)</c> ends the test's own sessions, but PostgreSQL refuses
    /// to end a process the application role may not signal: an autovacuum worker that happens to be
    /// in the database ("permission denied to terminate process", 42501), or a session that outlives
    /// the five seconds DROP waits (55006). Both leave of their own accord in moments, so the drop is
    /// tried again until it succeeds, for at most about a minute.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await DropRetry.ExecuteAsync(async cancellationToken =>
        {
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync(cancellationToken);
        });
    }

    private static readonly ResiliencePipeline DropRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<PostgresException>(ex =>
                ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse),
            MaxRetryAttempts = 40,
            Delay = TimeSpan.FromMilliseconds(250),
            BackoffType = DelayBackoffType.Linear,
            MaxDelay = TimeSpan.FromSeconds(2),
        })
        .Build();
}
