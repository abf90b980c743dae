using FacePipeline.TestSupport;
using Npgsql;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// The per-class test databases are dropped as the application role. CI once failed two class
/// clean-ups with "permission denied to terminate process": an autovacuum worker was in the database
/// and only a superuser may end it. A superuser session stands in for that worker here.
/// </summary>
public sealed class TestDatabaseTests
{
    [Fact]
    public async Task A_test_database_is_dropped_even_while_a_process_the_application_role_may_not_end_is_in_it()
    {
        var database = await TestDatabase.CreateAsync("drop");
        var superuser = new NpgsqlConnectionStringBuilder
        {
            Host = TestServers.PostgresSocketDirectory,
            Port = new NpgsqlConnectionStringBuilder(TestServers.JobsConnectionString).Port,
            Username = "postgres",
            Database = database.Name,
            Pooling = false,
        }.ConnectionString;
        var session = new NpgsqlConnection(superuser);
        await session.OpenAsync();
        var sessionEnds = EndAfterAMomentAsync(session);

        await database.DisposeAsync();

        await sessionEnds;
        Assert.False(await ExistsAsync(database.Name));
    }

    /// <summary>The session is in the database from the moment it opened; it leaves two seconds later.</summary>
    private static async Task EndAfterAMomentAsync(NpgsqlConnection session)
    {
        await using (session)
        {
            await using var busy = new NpgsqlCommand("SELECT pg_sleep(2)", session);
            await busy.ExecuteNonQueryAsync();
        }
    }

    private static Task<bool> ExistsAsync(string name) =>
        ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @name)", name);

    private static async Task<T> ScalarAsync<T>(string sql, string name)
    {
        await using var connection = new NpgsqlConnection(TestServers.JobsConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", name);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
