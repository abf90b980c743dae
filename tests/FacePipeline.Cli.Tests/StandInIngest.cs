using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Cli.Tests;

/// <summary>
/// A stand-in for the Ingest API on 127.0.0.1 (Kestrel, a free port), answering the few routes the CLI's own
/// behaviour is tested on: a job polled through a scripted run, a batch, 404 for anything else, and a route that
/// misbehaves by echoing the request's API key in a 502 (as a badly configured proxy might).
/// </summary>
internal sealed class StandInIngest : IAsyncDisposable
{
    public const string EchoingJob = "5e1f0000-0000-0000-0000-00000000e502";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Guid, Queue<JobView>> _jobs = new();
    private readonly ConcurrentDictionary<Guid, BatchView> _batches = new();

    private StandInIngest(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The API keys the requests carried, in order.</summary>
    public ConcurrentQueue<string> KeysSeen { get; } = new();

    public static async Task<StandInIngest> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var ingest = new StandInIngest(app);
        app.Use(async (context, next) =>
        {
            ingest.KeysSeen.Enqueue(context.Request.Headers["X-Api-Key"].ToString());
            await next(context);
        });
        app.MapGet($"/v1/jobs/{EchoingJob}", (HttpRequest request) =>
            Results.Text($"{{\"error\":\"upstream refused the request with X-Api-Key {request.Headers["X-Api-Key"]}\"}}", "application/json", statusCode: StatusCodes.Status502BadGateway));
        app.MapGet("/v1/jobs/{id:guid}", (Guid id) => ingest.NextView(id) is { } job ? Results.Json(job) : Results.Json(new { error = "No such job." }, statusCode: 404));
        app.MapGet("/v1/batches/{id:guid}", (Guid id) => ingest._batches.TryGetValue(id, out var batch) ? Results.Json(batch) : Results.Json(new { error = "No such batch." }, statusCode: 404));
        await app.StartAsync();
        ingest.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return ingest;
    }

    /// <summary>The job answers these views one per request, then the last one for ever.</summary>
    public void AddJob(Guid id, IEnumerable<JobView> run) => _jobs[id] = new Queue<JobView>(run);

    public void AddBatch(BatchView batch) => _batches[batch.Id] = batch;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private JobView? NextView(Guid id)
    {
        if (!_jobs.TryGetValue(id, out var run))
        {
            return null;
        }

        lock (run)
        {
            return run.Count > 1 ? run.Dequeue() : run.Peek();
        }
    }
}
