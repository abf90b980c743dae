using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// The Ingest service as its Program.cs builds it, hosted in process, with every setting it needs given here (they
/// override the runner's environment, where <c>scripts/infra.sh env</c> exports the shared database's connection
/// string): a fresh database, a scratch media folder, explicit broker credentials, and MassTransit's in-memory test
/// harness in place of RabbitMQ. The coordinator's consumers stay registered; no worker runs, so a job stays where the
/// test puts it. The environment is Production, as deployed (WebApplicationFactory's default would be Development).
/// </summary>
/// <param name="settings">More settings of the test class (e.g. <c>Webhooks:AllowHttp</c>).</param>
public sealed class IngestApiFactory(string connectionString, string mediaRoot, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environments.Production);
        builder.UseSetting("ConnectionStrings:Jobs", connectionString);
        builder.UseSetting("Media:Root", mediaRoot);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }

        // The bus is the in-memory one, but the start-up checks still validate the broker's settings: outside
        // Development they want credentials, and not RabbitMQ's guest account.
        builder.UseSetting("RabbitMq:Host", "127.0.0.1");
        builder.UseSetting("RabbitMq:Username", "ingest-tests");
        builder.UseSetting("RabbitMq:Password", "unused-in-memory-bus");
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness(bus =>
        {
            bus.AddJobCoordinatorConsumers();
            bus.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(10), testInactivityTimeout: TimeSpan.FromSeconds(20));
        }));
    }
}

/// <summary>
/// One Ingest host for a test class: its database, media folder and two studios (tenants), A and B. A derived fixture
/// gives the host settings of its own (<see cref="Settings"/>, or the settings passed to the protected constructor).
/// </summary>
public class IngestApiFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IReadOnlyDictionary<string, string>? _settings;
    private TestDatabase? _database;

    public IngestApiFixture()
    {
    }

    /// <summary>A host with more settings (a fixture of its own for the test classes that need them).</summary>
    protected IngestApiFixture(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    public string MediaRoot { get; } = RepoPaths.NewScratchFolder("ingest-api-media");

    public IngestApiFactory Factory { get; private set; } = null!;

    public HttpClient StudioA { get; private set; } = null!;

    public HttpClient StudioB { get; private set; } = null!;

    /// <summary>The in-memory bus's record of what was published (the outbox dispatcher publishes the job's commands).</summary>
    public ITestHarness Harness => Factory.Services.GetRequiredService<ITestHarness>();

    public JobCoordinator Coordinator => Factory.Services.GetRequiredService<JobCoordinator>();

    /// <summary>Settings the host is given beyond the fixture's own (none here, unless given to the protected constructor).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => _settings ?? new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("ingest_api");
        Factory = new IngestApiFactory(_database.ConnectionString, MediaRoot, Settings);
        _ = Factory.Server; // starts the host: Program.cs runs its start-up checks and migrates the fresh database
        await Harness.Start();
        StudioA = await NewStudioClient("studio A");
        StudioB = await NewStudioClient("studio B");
    }

    public async Task DisposeAsync()
    {
        StudioA?.Dispose();
        StudioB?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        try
        {
            Directory.Delete(MediaRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A context on the host's database (the one the API uses).</summary>
    public Task<JobsDbContext> Db() => Factory.Services.GetRequiredService<IDbContextFactory<JobsDbContext>>().CreateDbContextAsync();

    public async Task<JsonElement> Job(HttpClient studio, string id) =>
        await studio.GetFromJsonAsync<JsonElement>($"v1/jobs/{id}", Json);

    public static async Task<JsonElement> Body(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(Json);

    /// <summary>A new studio and a client sending its API key (the caller disposes it).</summary>
    public async Task<(HttpClient Client, Guid TenantId)> NewStudio(string name)
    {
        await using var db = await Db();
        var (tenant, key) = await TenantKeys.CreateTenantAsync(db, name, TimeProvider.System, CancellationToken.None);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return (client, tenant.Id);
    }

    private async Task<HttpClient> NewStudioClient(string name) => (await NewStudio(name)).Client;
}
