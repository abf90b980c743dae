using System.Collections.Concurrent;
using System.Net;
using FacePipeline.Orchestration.Uploads;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>
/// The Ingest service as <see cref="IngestApiFactory"/> hosts it (fresh database, scratch media folder, in-memory bus),
/// but on Kestrel at a real loopback port, so that a client in another process (tus-js-client in node) can reach it;
/// two studios, and every log line of the uploads (<see cref="UploadLog"/>) to check what the server saw.
/// </summary>
public class TusApiFixture : IAsyncLifetime
{
    private TestDatabase? _database;
    private WebApplicationFactory<Program>? _factory;

    public string MediaRoot { get; } = RepoPaths.NewScratchFolder("tus-api-media");

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The tus endpoint, as clients are given it.</summary>
    public Uri Endpoint => new(BaseAddress, "v1/uploads");

    public string StudioAKey { get; private set; } = null!;

    public HttpClient StudioA { get; private set; } = null!;

    public HttpClient StudioB { get; private set; } = null!;

    /// <summary>Every line the host logged under the uploads' categories, in order.</summary>
    public ConcurrentQueue<string> UploadLog { get; } = new();

    public IServiceProvider Services => _factory!.Services;

    public MediaStore Media => Services.GetRequiredService<MediaStore>();

    /// <summary>Settings of this host beside the factory's (e.g. the uploads' expiry).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("tus_api");
        _factory = new IngestApiFactory(_database.ConnectionString, MediaRoot).WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in Settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(UploadLog, typeof(ResumableUploads).Namespace!)));
        });
        _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
        (StudioAKey, StudioA) = await NewStudio("studio A");
        (_, StudioB) = await NewStudio("studio B");
    }

    public async Task DisposeAsync()
    {
        StudioA?.Dispose();
        StudioB?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
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

    /// <summary>A context on the host's database.</summary>
    public Task<JobsDbContext> Db() => Services.GetRequiredService<IDbContextFactory<JobsDbContext>>().CreateDbContextAsync();

    /// <summary>An HTTP client of the host without an API key.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    private async Task<(string Key, HttpClient Client)> NewStudio(string name)
    {
        await using var db = await Db();
        var (_, key) = await TenantKeys.CreateTenantAsync(db, name, TimeProvider.System, CancellationToken.None);
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return (key, client);
    }

    /// <summary>Keeps the formatted lines of the loggers whose category starts with a prefix.</summary>
    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines, string categoryPrefix) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith(categoryPrefix, StringComparison.Ordinal) ? new Capturing(lines) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Capturing(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}

/// <summary>The same host whose uploads expire two seconds after their last bytes, complete or not.</summary>
public sealed class ExpiringTusApiFixture : TusApiFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        [$"{UploadOptions.Section}:{nameof(UploadOptions.IncompleteExpiry)}"] = "00:00:02",
        [$"{UploadOptions.Section}:{nameof(UploadOptions.CompletedRetention)}"] = "00:00:02",
    };
}
