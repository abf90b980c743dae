using System.Globalization;
using FacePipeline.Orchestration.Notifications;
using FacePipeline.Persistence;
using Microsoft.AspNetCore.Http.Features;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// The live event streams (server-sent events, <c>text/event-stream</c>): <c>GET /v1/jobs/{id}/events</c> and
/// <c>GET /v1/batches/{id}/events</c>. Each event is <c>id</c>, <c>event</c> (its type) and <c>data</c> (the job's state
/// and stages, or the batch's counts), in id order; a client that reconnects with <c>Last-Event-ID</c> gets what came
/// after it. The job stream ends after the job's end, the batch stream after <c>batch.ended</c>
/// (<see cref="JobEventStream"/>, docs/batches.md).
/// </summary>
public static class EventsApi
{
    public static WebApplication MapEventsApi(this WebApplication app)
    {
        MapStream(app.MapGet("/v1/jobs/{id:guid}/events", JobEvents),
            "The job's events as server-sent events (job.queued, job.started, job.progress, then job.completed, job.failed or job.cancelled, which ends the stream). Send Last-Event-ID to resume after an event.");
        MapStream(app.MapGet("/v1/batches/{id:guid}/events", BatchEvents),
            "The batch's events as server-sent events: its shots' job events, then batch.ended, which ends the stream. Send Last-Event-ID to resume after an event.");
        return app;
    }

    private static void MapStream(RouteHandlerBuilder stream, string summary) =>
        stream.RequireAuthorization()
            .WithTags("Events")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary(summary);

    private static async Task<IResult> JobEvents(Guid id, HttpContext http, JobEventStream stream, IHostApplicationLifetime lifetime, JobsDbContext db) =>
        await Stream(http, stream, lifetime, EventStreamSubject.Job(id)) ?? await DeletionApi.MissingJob(db, http, id);

    private static async Task<IResult> BatchEvents(Guid id, HttpContext http, JobEventStream stream, IHostApplicationLifetime lifetime) =>
        await Stream(http, stream, lifetime, EventStreamSubject.Batch(id)) ?? ApiProblems.NotFound($"No batch {id}.");

    /// <summary>
    /// Streams the subject's events, or answers a refusal before the stream starts; null when the studio has no such job
    /// or batch (the caller says which). The stream stops when the client goes away, and ends when the service stops (the
    /// client reconnects, to another replica, with Last-Event-ID).
    /// </summary>
    private static async Task<IResult?> Stream(HttpContext http, JobEventStream stream, IHostApplicationLifetime lifetime, EventStreamSubject subject)
    {
        if (http.Request.Query.Count > 0)
        {
            return ApiProblems.BadRequest($"GET {http.Request.Path} takes no query parameters: resume with the Last-Event-ID header.");
        }

        var afterId = 0L;
        var lastEventId = http.Request.Headers["Last-Event-ID"];
        if (lastEventId.Count > 0 && (lastEventId.Count > 1 || !long.TryParse(lastEventId[0], NumberStyles.None, CultureInfo.InvariantCulture, out afterId)))
        {
            return ApiProblems.BadRequest($"Last-Event-ID must be the id of an event this stream sent, a whole number (got {ApiProblems.Quote(lastEventId.ToString())}).");
        }

        if (await stream.Ended(http.User.TenantId(), subject, http.RequestAborted) is not { } endedAtStart)
        {
            return null;
        }

        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies such as nginx pass each event on at once
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(http.RequestAborted);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            await foreach (var row in stream.Follow(subject, afterId, endedAtStart, stop.Token))
            {
                await response.WriteAsync(row is null ? JobEventStream.KeepAliveFrame : JobEventStream.Frame(row), stop.Token);
                await response.Body.FlushAsync(stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client went away (the stream stops with it), or the service stops (the response ends; the client resumes elsewhere).
        }

        return Results.Empty;
    }
}
