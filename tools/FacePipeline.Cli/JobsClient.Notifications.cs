using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace FacePipeline.Cli;

/// <summary>The studio's webhook (<c>/v1/webhook</c>) and the live event streams (<c>/v1/jobs/{id}/events</c>).</summary>
public sealed partial class JobsClient
{
    /// <summary>Sets the webhook: PUT /v1/webhook. The answer carries the new secret, shown this once.</summary>
    public async Task<WebhookSetView> SetWebhookAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await http.PutAsJsonAsync("v1/webhook", new { url }, Json, cancellationToken);
        return await Read<WebhookSetView>(response, cancellationToken);
    }

    /// <summary>The webhook's URL (never its secret): GET /v1/webhook.</summary>
    public async Task<WebhookView> GetWebhookAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/webhook", cancellationToken);
        return await Read<WebhookView>(response, cancellationToken);
    }

    /// <summary>Removes the webhook: DELETE /v1/webhook.</summary>
    public async Task RemoveWebhookAsync(CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync("v1/webhook", cancellationToken);
        await EnsureSuccess(response, cancellationToken);
    }

    /// <summary>Sends a webhook.test delivery: POST /v1/webhook/test.</summary>
    public async Task<DeliveryView> TestWebhookAsync(CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync("v1/webhook/test", null, cancellationToken);
        return await Read<DeliveryView>(response, cancellationToken);
    }

    /// <summary>The delivery log, newest first: GET /v1/webhook/deliveries.</summary>
    public async Task<DeliveryPage> DeliveriesAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(string.Create(CultureInfo.InvariantCulture, $"v1/webhook/deliveries?page={page}&pageSize={pageSize}"), cancellationToken);
        return await Read<DeliveryPage>(response, cancellationToken);
    }

    /// <summary>
    /// A job's events as the server streams them (server-sent events), after <paramref name="lastEventId"/> (0: all),
    /// until the server ends the stream (after the job's end) or the connection drops.
    /// </summary>
    public async IAsyncEnumerable<StreamedEvent> JobEventsAsync(Guid jobId, long lastEventId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{jobId}/events");
        if (lastEventId > 0)
        {
            request.Headers.Add("Last-Event-ID", lastEventId.ToString(CultureInfo.InvariantCulture));
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                if (!line.StartsWith(':') && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                {
                    var name = line[..colon];
                    var value = line[(colon + 1)..].TrimStart(' ');
                    fields[name] = fields.TryGetValue(name, out var earlier) && name == "data" ? earlier + "\n" + value : value;
                }

                continue;
            }

            if (fields.TryGetValue("id", out var id) && fields.TryGetValue("data", out var data))
            {
                yield return new StreamedEvent(long.Parse(id, CultureInfo.InvariantCulture), fields.GetValueOrDefault("event") ?? "message", JsonDocument.Parse(data).RootElement.Clone());
            }

            fields.Clear();
        }
    }
}

/// <summary>The webhook just set: its URL and the secret its deliveries are signed with (shown this once).</summary>
public sealed record WebhookSetView(string Url, string Secret, DateTimeOffset CreatedAt, string Message);

/// <summary>The webhook as shown afterwards (never the secret).</summary>
public sealed record WebhookView(string Url, bool SecretSet);

/// <summary>One delivery of the log.</summary>
public sealed record DeliveryView(
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
    JsonElement Payload);

public sealed record DeliveryPage(IReadOnlyList<DeliveryView> Items, int Page, int PageSize, int Total);

/// <summary>One event of a stream: its id (for Last-Event-ID), its type and its data.</summary>
public sealed record StreamedEvent(long Id, string Type, JsonElement Data);
