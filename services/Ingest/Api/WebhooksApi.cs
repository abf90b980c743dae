using System.Text.Json;
using FacePipeline.Orchestration.Notifications;
using FacePipeline.Persistence;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// The studio's webhook (<c>/v1/webhook</c>): set it (a new secret, shown once), read it, remove it, send a test, and
/// read the delivery log. The deliveries themselves are <see cref="WebhookDispatcher"/>'s (docs/batches.md).
/// </summary>
public static class WebhooksApi
{
    public static WebApplication MapWebhooksApi(this WebApplication app)
    {
        var webhook = app.MapGroup("/v1/webhook").RequireAuthorization().WithTags("Webhook");
        webhook.MapPut("/", SetWebhook)
            .Produces<WebhookSetResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Set the studio's webhook: JSON {\"url\": \"https://…\"}. Answers the URL and a new signing secret, shown this once (setting the webhook again replaces both).");
        webhook.MapGet("/", GetWebhook)
            .Produces<WebhookResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The studio's webhook URL (never its secret).");
        webhook.MapDelete("/", DeleteWebhook)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Remove the studio's webhook: nothing more is sent, pending deliveries are given up.");
        webhook.MapPost("/test", SendTest)
            .Produces<WebhookDeliveryResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Send a signed webhook.test delivery to the studio's webhook; its outcome shows in the delivery log.");
        webhook.MapGet("/deliveries", ListDeliveries)
            .Produces<WebhookDeliveryPageResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The studio's webhook deliveries, newest first, with their attempts, last status and error, and payload; paged: 'page' (from 1) and 'pageSize' (1 to Ingest:MaxPageSize, default 20).");
        return app;
    }

    private static async Task<IResult> SetWebhook(HttpContext http, StudioWebhooks webhooks, IOptions<WebhookOptions> options)
    {
        string? url = null;
        try
        {
            var body = await http.Request.ReadFromJsonAsync<JsonElement>(http.RequestAborted);
            if (body.ValueKind != JsonValueKind.Object || body.EnumerateObject().Any(p => p.Name != "url"))
            {
                return ApiProblems.BadRequest("PUT /v1/webhook takes a JSON object with one field, 'url': {\"url\": \"https://hooks.example.com/facepipeline\"}.");
            }

            url = body.TryGetProperty("url", out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null;
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            return ApiProblems.BadRequest("PUT /v1/webhook takes a JSON body (Content-Type: application/json): {\"url\": \"https://hooks.example.com/facepipeline\"}.");
        }

        if (StudioWebhooks.UrlProblem(url, options.Value.AllowHttp) is { } problem)
        {
            return ApiProblems.BadRequest(problem);
        }

        var set = await webhooks.Set(http.User.TenantId(), url!, http.RequestAborted);
        return Results.Ok(new WebhookSetResponse(
            set.Url,
            set.Secret,
            set.CreatedAt,
            "Keep the secret now: it is not shown again. Verify each delivery's FacePipeline-Signature header with it (docs/batches.md)."));
    }

    private static async Task<IResult> GetWebhook(HttpContext http, StudioWebhooks webhooks) =>
        await webhooks.Url(http.User.TenantId(), http.RequestAborted) is { } url
            ? Results.Ok(new WebhookResponse(url, SecretSet: true))
            : NoWebhook();

    private static async Task<IResult> DeleteWebhook(HttpContext http, StudioWebhooks webhooks) =>
        await webhooks.Remove(http.User.TenantId(), http.RequestAborted) ? Results.NoContent() : NoWebhook();

    private static async Task<IResult> SendTest(HttpContext http, StudioWebhooks webhooks) =>
        await webhooks.SendTest(http.User.TenantId(), http.RequestAborted) is { } delivery
            ? Results.Accepted("/v1/webhook/deliveries", WebhookDeliveryResponse.From(delivery))
            : NoWebhook();

    private static async Task<IResult> ListDeliveries(HttpContext http, StudioWebhooks webhooks, IOptions<IngestOptions> options)
    {
        var (page, refusal) = PageQuery.Read(http.Request.Query, options.Value.MaxPageSize, "GET /v1/webhook/deliveries");
        if (refusal is not null)
        {
            return refusal;
        }

        var deliveries = await webhooks.Deliveries(http.User.TenantId(), page.Page, page.PageSize, http.RequestAborted);
        return Results.Ok(new WebhookDeliveryPageResponse([.. deliveries.Items.Select(WebhookDeliveryResponse.From)], page.Page, page.PageSize, deliveries.Total));
    }

    private static IResult NoWebhook() =>
        ApiProblems.NotFound("Your studio has no webhook: set one with PUT /v1/webhook {\"url\": \"https://…\"} (or 'facepipe webhook set <url>').");
}

/// <summary>The webhook just set, with its signing secret: the only answer that ever shows the secret.</summary>
public sealed record WebhookSetResponse(string Url, string Secret, DateTimeOffset CreatedAt, string Message);

/// <summary>The studio's webhook as it is shown afterwards: the URL, and that a secret is set (never the secret).</summary>
public sealed record WebhookResponse(string Url, bool SecretSet);

/// <summary>One delivery of the log: what was sent where, how often, the last answer or error, and the exact payload.</summary>
public sealed record WebhookDeliveryResponse(
    long Id,
    string EventType,
    string Url,
    int Attempts,
    int? LastStatus,
    string? LastError,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? GaveUpAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt,
    JsonElement Payload)
{
    public static WebhookDeliveryResponse From(WebhookDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        using var payload = JsonDocument.Parse(delivery.Payload);
        var pending = delivery.DeliveredAt is null && delivery.GaveUpAt is null;
        return new WebhookDeliveryResponse(
            delivery.Id,
            delivery.EventType,
            delivery.Url,
            delivery.Attempts,
            delivery.LastStatus,
            delivery.LastError,
            delivery.DeliveredAt,
            delivery.GaveUpAt,
            pending ? delivery.NextAttemptAt : null,
            delivery.CreatedAt,
            payload.RootElement.Clone());
    }
}

/// <summary>A page of the delivery log, newest first.</summary>
public sealed record WebhookDeliveryPageResponse(IReadOnlyList<WebhookDeliveryResponse> Items, int Page, int PageSize, int Total);
