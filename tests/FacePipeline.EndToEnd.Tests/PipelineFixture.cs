using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// The whole pipeline for a test run: a fresh database and RabbitMQ virtual host on the real
/// servers, a media folder, every service as its own process, and two studios (tenants).
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Every service, in start order (Ingest first: it applies the migrations).</summary>
    public static readonly string[] ServiceNames = ["Ingest", "FrameExtraction", "Reconstruction", "ExpressionTransfer", "Rendering", "Training"];

    private TestDatabase? _database;
    private TcpLink? _databaseLink;
    private readonly List<ServiceProcess> _services = [];

    public string MediaRoot { get; } = RepoPaths.NewScratchFolder("e2e-media");

    public string LogFolder { get; } = RepoPaths.NewScratchFolder("e2e-logs");

    public ServiceProcess Ingest => Service("Ingest");

    public ServiceProcess Reconstruction => Service("Reconstruction");

    /// <summary>The services reach the job database through this link, which a test can cut (an outage) and restore.</summary>
    public TcpLink DatabaseLink => _databaseLink!;

    /// <summary>The test's own way to the job database (not through <see cref="DatabaseLink"/>).</summary>
    public string DatabaseConnectionString => _database!.ConnectionString;

    /// <summary>The services' environment: database, broker virtual host, media and model folders.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public HttpClient StudioA { get; private set; } = null!;

    public HttpClient StudioB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("e2e");
        var direct = new Npgsql.NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _databaseLink = new TcpLink(direct.Host!, direct.Port);
        var throughLink = new Npgsql.NpgsqlConnectionStringBuilder(_database.ConnectionString) { Host = "127.0.0.1", Port = _databaseLink.Port };
        var vhost = $"facepipe-e2e-{Guid.NewGuid():N}";
        RunInfra("vhost", vhost);
        Environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Jobs"] = throughLink.ConnectionString,
            ["RabbitMq__Host"] = TestServers.RabbitHost,
            ["RabbitMq__Port"] = TestServers.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RabbitMq__Username"] = TestServers.RabbitUser,
            ["RabbitMq__Password"] = TestServers.RabbitPassword,
            ["RabbitMq__VirtualHost"] = vhost,
            ["Media__Root"] = MediaRoot,
            ["Models__Root"] = RepoPaths.Models,
            ["StudioApp__TusClientFolder"] = RepoPaths.TusClientDist,
            ["Ingest__ChunkSize"] = "16",
            ["Training__CheckpointInterval"] = "5", // frequent checkpoints, so a killed training resumes close to where it was
            ["Training__ValidationInterval"] = "20",
            ["MASSTRANSIT_USAGE_TELEMETRY"] = "false",
        };

        foreach (var name in ServiceNames)
        {
            var service = new ServiceProcess(name, FreePort(), Environment, LogFolder);
            _services.Add(service);
            service.Start();
            if (name == "Ingest")
            {
                await service.WaitReadyAsync(TimeSpan.FromSeconds(90));
            }
        }

        foreach (var service in _services)
        {
            await service.WaitReadyAsync(TimeSpan.FromSeconds(90));
        }

        StudioA = await NewStudioClient("studio A");
        StudioB = await NewStudioClient("studio B");
    }

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            service.Dispose();
        }

        if (_databaseLink is not null)
        {
            await _databaseLink.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        Directory.Delete(MediaRoot, recursive: true);
    }

    public async Task<JsonElement> Submit(HttpClient studio, string path, int? chunkSize = null, string kind = "track")
    {
        await using var file = File.OpenRead(path);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(kind), "kind" },
            { new StreamContent(file), "clip", Path.GetFileName(path) },
        };
        if (chunkSize is { } n)
        {
            form.Add(new StringContent(n.ToString(System.Globalization.CultureInfo.InvariantCulture)), "chunkSize");
        }

        using var response = await studio.PostAsync("v1/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json);
    }

    /// <summary>Creates an actor (or, with <paramref name="actorId"/>, trains its next version) and returns the HTTP response.</summary>
    public static async Task<HttpResponseMessage> PostActor(HttpClient studio, IReadOnlyList<string> clips, IReadOnlyDictionary<string, string> fields, string? actorId = null)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        for (var i = 0; i < clips.Count; i++)
        {
            form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(clips[i])), $"clip-{i + 1}", Path.GetFileName(clips[i]));
        }

        return await studio.PostAsync(actorId is null ? "v1/actors" : $"v1/actors/{actorId}/models", form);
    }

    /// <summary>Submits a retarget job and returns the HTTP response (the caller checks the status).</summary>
    public static async Task<HttpResponseMessage> PostRetarget(HttpClient studio, string? source, string? target, IReadOnlyDictionary<string, string>? fields = null)
    {
        using var form = new MultipartFormDataContent { { new StringContent("retarget"), "kind" } };
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            form.Add(new StringContent(value), name);
        }

        foreach (var (part, path) in new[] { ("source", source), ("target", target) })
        {
            if (path is not null)
            {
                form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(path)), part, Path.GetFileName(path));
            }
        }

        return await studio.PostAsync("v1/jobs", form);
    }

    public async Task<JsonElement> Job(HttpClient studio, string id) =>
        await studio.GetFromJsonAsync<JsonElement>($"v1/jobs/{id}", Json);

    /// <summary>Waits until the job ends (completed, failed or cancelled) and returns it.</summary>
    public async Task<JsonElement> WaitForEnd(HttpClient studio, string id, TimeSpan timeout)
    {
        JsonElement job = default;
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                job = await Job(studio, id);
                return job.GetProperty("state").GetString() is "completed" or "failed" or "cancelled";
            }, timeout, $"job {id} to end");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last status {job}; logs:\n{string.Join("\n---\n", _services.Select(s => s.Name + ":\n" + s.Tail(15)))}", ex);
        }

        return job;
    }

    public ServiceProcess Service(string name) => _services.Single(s => s.Name == name);

    public async Task<string> NewStudioKey(string name)
    {
        await using var db = new JobsDbContext(new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(_database!.ConnectionString).Options);
        return (await TenantKeys.CreateTenantAsync(db, name, TimeProvider.System, default)).ApiKey;
    }

    public static HttpClient StudioClient(ServiceProcess ingest, string key)
    {
        var client = new HttpClient { BaseAddress = ingest.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private async Task<HttpClient> NewStudioClient(string name) => StudioClient(Ingest, await NewStudioKey(name));

    private static void RunInfra(params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(RepoPaths.RepoRoot, "scripts", "infra.sh"), args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra.sh {string.Join(' ', args)} failed: {error}");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
