using System.Text.Json;
using FacePipeline.Orchestration.Events;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Notifications;

/// <summary>A studio's webhook as set: where deliveries go, and the secret they are signed with (shown only when set).</summary>
public sealed record WebhookSetting(string Url, string Secret, DateTimeOffset CreatedAt);

/// <summary>A page of a studio's delivery log, newest first, and how many deliveries it has in all.</summary>
public sealed record DeliveryPage(IReadOnlyList<WebhookDelivery> Items, int Total);

/// <summary>
/// A studio's webhook (<see cref="Tenant.WebhookUrl"/>, <see cref="Tenant.WebhookSecret"/>): set with a new secret,
/// removed, tested, and its delivery log. What <c>/v1/webhook</c> does; the sending is <see cref="WebhookDispatcher"/>'s.
/// </summary>
public sealed class StudioWebhooks(IDbContextFactory<JobsDbContext> dbFactory, TimeProvider clock, IOptions<WebhookOptions> options)
{
    /// <summary>The type of the delivery <see cref="SendTest"/> enqueues (no job or batch: its payload has neither).</summary>
    public const string TestEventType = "webhook.test";

    /// <summary>The longest URL a studio may set (the column's length).</summary>
    public const int MaxUrlLength = 2000;

    /// <summary>
    /// Why <paramref name="url"/> cannot be a webhook URL, as a sentence the studio can act on; null when it can: an
    /// absolute https URL (http too with <see cref="WebhookOptions.AllowHttp"/>) with a host, without user name or password
    /// (the signature authenticates the service; credentials in a URL end up in logs) and without a fragment.
    /// </summary>
    public static string? UrlProblem(string? url, bool allowHttp)
    {
        var schemes = allowHttp ? "https:// (or http://)" : "https://";
        if (string.IsNullOrWhiteSpace(url))
        {
            return $"Send the webhook's address in 'url', an absolute {schemes} URL such as https://hooks.example.com/facepipeline.";
        }

        if (url.Length > MaxUrlLength)
        {
            return $"The webhook URL is {url.Length} characters long; at most {MaxUrlLength} are taken.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return $"'url' must be an absolute {schemes} URL such as https://hooks.example.com/facepipeline (got {Quote(url)}).";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(allowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri.Scheme == Uri.UriSchemeHttp
                ? $"The webhook URL must use https:// (got {Quote(url)}): the deliveries carry your jobs' states and are signed, and this service does not send them in clear."
                : $"The webhook URL must be an {schemes} URL (got the scheme '{uri.Scheme}').";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "The webhook URL must not carry a user name or password: the FacePipeline-Signature header authenticates each delivery (verify it with your secret).";
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            return $"The webhook URL must not have a fragment ('{uri.Fragment}'): it is never sent to a server.";
        }

        return null;
    }

    /// <summary>
    /// Sets the studio's webhook to <paramref name="url"/> (checked with <see cref="UrlProblem"/> by the caller) with a new
    /// secret, replacing any earlier URL and secret. Returns the setting, secret included: the only time it is shown.
    /// </summary>
    public async Task<WebhookSetting> Set(Guid tenantId, string url, CancellationToken cancellationToken)
    {
        if (UrlProblem(url, options.Value.AllowHttp) is { } problem)
        {
            throw new ArgumentException(problem, nameof(url));
        }

        var secret = WebhookSignature.NewSecret();
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Tenants.Where(t => t.Id == tenantId)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookUrl, url).SetProperty(t => t.WebhookSecret, secret), cancellationToken);
        return new WebhookSetting(url, secret, now);
    }

    /// <summary>The studio's webhook URL, or null when none is set.</summary>
    public async Task<string?> Url(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.WebhookUrl).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Removes the studio's webhook (URL and secret): no new deliveries are written, and the pending ones are given up.
    /// Returns false when none was set.
    /// </summary>
    public async Task<bool> Remove(Guid tenantId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await db.Tenants.Where(t => t.Id == tenantId && t.WebhookUrl != null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookUrl, (string?)null).SetProperty(t => t.WebhookSecret, (string?)null), cancellationToken);
        await db.WebhookDeliveries.Where(d => d.TenantId == tenantId && d.DeliveredAt == null && d.GaveUpAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.GaveUpAt, now).SetProperty(d => d.LastError, "The studio removed its webhook before this delivery went out."), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return removed > 0;
    }

    /// <summary>
    /// Enqueues a <see cref="TestEventType"/> delivery to the studio's webhook (an event row of no job or batch, and its
    /// delivery), sent by the dispatcher like any other. Returns null when the studio has no webhook.
    /// </summary>
    public async Task<WebhookDelivery?> SendTest(Guid tenantId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var url = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.WebhookUrl).SingleOrDefaultAsync(cancellationToken);
        if (url is null)
        {
            return null;
        }

        var payload = new WebhookPayload(Guid.NewGuid(), TestEventType, now, tenantId, null, null);
        var row = new JobEvent { TenantId = tenantId, Type = TestEventType, Data = JsonSerializer.Serialize(payload, JobEventLog.Json), CreatedAt = now };
        var delivery = new WebhookDelivery
        {
            TenantId = tenantId,
            Event = row,
            EventType = TestEventType,
            Url = url,
            Payload = row.Data,
            NextAttemptAt = now,
            CreatedAt = now,
        };
        db.JobEvents.Add(row);
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(cancellationToken);
        return delivery;
    }

    /// <summary>The studio's deliveries, newest first: page <paramref name="page"/> (from 1) of <paramref name="pageSize"/>.</summary>
    public async Task<DeliveryPage> Deliveries(Guid tenantId, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var deliveries = db.WebhookDeliveries.AsNoTracking().Where(d => d.TenantId == tenantId);
        var total = await deliveries.CountAsync(cancellationToken);
        var items = await deliveries.OrderByDescending(d => d.Id).Skip((int)(((long)page - 1) * pageSize)).Take(pageSize).ToListAsync(cancellationToken);
        return new DeliveryPage(items, total);
    }

    private static string Quote(string value) => $"'{(value.Length > 60 ? value[..60] + "…" : value)}'";
}
