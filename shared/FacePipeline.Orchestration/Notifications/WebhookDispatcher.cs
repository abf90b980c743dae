using System.Text;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Notifications;

/// <summary>
/// Sends the studios' webhook deliveries (<see cref="WebhookDelivery"/> rows, written in the coordinator's transaction
/// by <see cref="Events.JobEventLog"/>): the only thing in the system that talks HTTP to a studio, so a slow or dead
/// receiver never holds up a job. Every <see cref="WebhookOptions.Interval"/> it claims the due rows, POSTs each row's
/// exact <see cref="WebhookDelivery.Payload"/> signed with the studio's secret (<see cref="WebhookSignature"/>), and
/// records the attempt: <see cref="WebhookDelivery.DeliveredAt"/> on a 2xx answer, else the status or error and the next
/// attempt's time (<see cref="WebhookOptions.RetryDelay"/>), or <see cref="WebhookDelivery.GaveUpAt"/> after
/// <see cref="WebhookOptions.MaxAttempts"/>.
/// </summary>
/// <remarks>
/// <para>Several Ingest replicas may run one each: a claim takes due rows with <c>FOR UPDATE SKIP LOCKED</c> and moves
/// their next attempt past the time an attempt can take (a lease), in a short transaction; no lock is held while the
/// receivers answer. A replica that dies mid-attempt leaves its rows to be claimed again when the lease runs out (the
/// receiver may then see a delivery twice, with the same <see cref="WebhookSignature.DeliveryHeader"/>: at least once).</para>
/// <para>The secret is read from the studio's row at sending time, not kept on the delivery: after a studio sets its
/// webhook again (a new secret), the retries of older deliveries are signed with the new secret. A studio that removed
/// its webhook has no secret: its pending deliveries are given up.</para>
/// <para>Redirects are not followed (a 3xx answer is a failed attempt), so a delivery goes only to the URL the studio set.</para>
/// </remarks>
public sealed class WebhookDispatcher(
    IDbContextFactory<JobsDbContext> dbFactory,
    IHttpClientFactory httpClients,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The named <see cref="HttpClient"/> the deliveries are sent with (no redirects, no cookies; see <see cref="OrchestrationSetup"/>).</summary>
    public const string HttpClientName = "FacePipeline.Webhooks";

    /// <summary>The longest <see cref="WebhookDelivery.LastError"/> kept (the column's length).</summary>
    private const int MaxErrorLength = 1000;

    private readonly WebhookOptions _options = options.Value;

    /// <summary>
    /// Claims the deliveries due now (at most <see cref="WebhookOptions.BatchSize"/>), sends them at once and records each
    /// attempt. Returns how many it attempted (a full batch means more may be due).
    /// </summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var claimed = await Claim(cancellationToken);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var outcomes = await Task.WhenAll(claimed.Select(c => Attempt(c.Delivery, c.Secret, cancellationToken)));
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        foreach (var (delivery, outcome) in claimed.Select(c => c.Delivery).Zip(outcomes))
        {
            // Not the caller's token: an attempt that was made is recorded, also while the host stops.
            await Record(db, delivery, outcome, CancellationToken.None);
        }

        return claimed.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                // A full batch means more are due: the next round starts at once.
                if (await RoundAsync(stoppingToken) < _options.BatchSize)
                {
                    await Task.Delay(_options.Interval, clock, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops.
        }
    }

    /// <summary>One <see cref="DeliverDueAsync"/>; a failure (the database down) is logged and the next round tries again.</summary>
    private async Task<int> RoundAsync(CancellationToken stoppingToken)
    {
        try
        {
            return await DeliverDueAsync(stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Webhook dispatch failed; will retry in {Interval}", _options.Interval);
            return 0;
        }
    }

    /// <summary>
    /// Takes the due deliveries for this dispatcher: locked with SKIP LOCKED, leased (their next attempt moved past the
    /// longest an attempt takes) and committed, with each studio's current secret.
    /// </summary>
    private async Task<List<(WebhookDelivery Delivery, string? Secret)>> Claim(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.WebhookDeliveries
            .FromSql($"""
                SELECT * FROM webhook_deliveries
                WHERE "DeliveredAt" IS NULL AND "GaveUpAt" IS NULL AND "NextAttemptAt" <= {now}
                ORDER BY "NextAttemptAt" LIMIT {_options.BatchSize}
                FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return [];
        }

        var lease = now + (_options.Timeout * 2) + TimeSpan.FromSeconds(30);
        foreach (var delivery in due)
        {
            delivery.NextAttemptAt = lease;
        }

        var tenants = due.Select(d => d.TenantId).Distinct().ToList();
        var secrets = await db.Tenants.AsNoTracking().Where(t => tenants.Contains(t.Id))
            .ToDictionaryAsync(t => t.Id, t => t.WebhookSecret, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return [.. due.Select(d => (d, secrets.GetValueOrDefault(d.TenantId)))];
    }

    /// <summary>One POST of a delivery; never throws for what the receiver or the network does.</summary>
    private async Task<AttemptOutcome> Attempt(WebhookDelivery delivery, string? secret, CancellationToken cancellationToken)
    {
        if (secret is null)
        {
            return new AttemptOutcome(null, "The studio has no webhook any more (it was removed): nothing is sent.", GiveUp: true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var request = WebhookRequest(delivery, secret, clock.GetUtcNow());
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new AttemptOutcome(status, null)
                : new AttemptOutcome(status, $"The receiver answered {status} {response.ReasonPhrase}".TrimEnd() + ".");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AttemptOutcome(null, $"The receiver did not answer within {_options.Timeout.TotalSeconds:0.###} s (Webhooks:Timeout).");
        }
        catch (HttpRequestException error)
        {
            return new AttemptOutcome(null, $"The request did not reach the receiver: {error.Message}");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // A URL the handler cannot send to (an unsupported scheme after a configuration change) and the like.
            return new AttemptOutcome(null, $"The request could not be sent: {error.Message}");
        }
    }

    /// <summary>The POST of a delivery: its exact payload as the body, signed at <paramref name="at"/>.</summary>
    public static HttpRequestMessage WebhookRequest(WebhookDelivery delivery, string secret, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, delivery.Payload, at));
        request.Headers.Add(WebhookSignature.EventHeader, delivery.EventType);
        if (WebhookPayloads.IdOf(delivery.Payload) is { } id)
        {
            request.Headers.Add(WebhookSignature.DeliveryHeader, id);
        }

        return request;
    }

    /// <summary>Writes an attempt's outcome to its row: delivered, to be tried again after the backoff, or given up.</summary>
    private async Task Record(JobsDbContext db, WebhookDelivery delivery, AttemptOutcome outcome, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var attempts = delivery.Attempts + (outcome.GiveUp ? 0 : 1);
        var delivered = outcome.Error is null;
        var gaveUp = !delivered && (outcome.GiveUp || attempts >= _options.MaxAttempts);
        var next = delivered || gaveUp ? now : now + _options.RetryDelay(attempts, Random.Shared.NextDouble());
        var error = outcome.Error is { Length: > MaxErrorLength } tooLong ? tooLong[..MaxErrorLength] : outcome.Error;
        await db.WebhookDeliveries.Where(d => d.Id == delivery.Id)
            .ExecuteUpdateAsync(
                s => s.SetProperty(d => d.Attempts, attempts)
                    .SetProperty(d => d.LastStatus, outcome.Status)
                    .SetProperty(d => d.LastError, error)
                    .SetProperty(d => d.NextAttemptAt, next)
                    .SetProperty(d => d.DeliveredAt, delivered ? now : null)
                    .SetProperty(d => d.GaveUpAt, gaveUp ? now : null),
                cancellationToken);
        if (delivered)
        {
            logger.LogInformation(
                "Webhook delivery {DeliveryId} ({EventType}) to studio {TenantId} delivered on attempt {Attempt} ({Status})",
                delivery.Id, delivery.EventType, delivery.TenantId, attempts, outcome.Status);
        }
        else if (gaveUp)
        {
            logger.LogWarning(
                "Webhook delivery {DeliveryId} ({EventType}) to studio {TenantId} given up after {Attempts} attempt(s): {Error}",
                delivery.Id, delivery.EventType, delivery.TenantId, attempts, outcome.Error);
        }
        else
        {
            logger.LogInformation(
                "Webhook delivery {DeliveryId} ({EventType}) to studio {TenantId}: attempt {Attempt} failed ({Error}); next attempt at {NextAttemptAt:O}",
                delivery.Id, delivery.EventType, delivery.TenantId, attempts, outcome.Error, next);
        }
    }

    /// <summary>What one attempt came to: the receiver's status (null: no answer) and, unless it answered 2xx, why it failed.</summary>
    /// <param name="GiveUp">Sending cannot succeed later either (the studio removed its webhook): no attempt is counted, the delivery is given up.</param>
    private sealed record AttemptOutcome(int? Status, string? Error, bool GiveUp = false);
}

/// <summary>The parts of a stored webhook payload that the headers repeat.</summary>
public static class WebhookPayloads
{
    /// <summary>The payload's <c>id</c> (the <see cref="WebhookSignature.DeliveryHeader"/>), or null when it has none.</summary>
    public static string? IdOf(string payload)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
