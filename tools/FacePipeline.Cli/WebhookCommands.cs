using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace FacePipeline.Cli;

/// <summary>
/// <c>facepipe webhook set|show|remove|test|deliveries</c> and <c>facepipe events &lt;job-id&gt;</c>: the studio's
/// webhook and a job's live events (docs/batches.md).
/// </summary>
public static class WebhookCommands
{
    /// <summary>How often <c>facepipe events</c> reconnects (with Last-Event-ID) when a stream drops before the job's end.</summary>
    private const int MaxReconnects = 5;

    public static Command Webhook()
    {
        var command = new Command("webhook", "Your studio's webhook: where job and batch ends are POSTed, signed (docs/batches.md).");
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(Test());
        command.Subcommands.Add(Deliveries());
        return command;
    }

    public static Command Events()
    {
        var id = new Argument<Guid>("job-id");
        var command = new Command("events", "Follow a job's events live, one line each, until it ends (exit status 0 when it completed, 1 when it failed or was cancelled).") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            var lastId = 0L;
            for (var connection = 0; connection <= MaxReconnects; connection++)
            {
                await foreach (var e in client.JobEventsAsync(parse.GetValue(id), lastId, ct))
                {
                    lastId = e.Id;
                    Console.WriteLine(EventLine(e));
                    if (e.Type is "job.completed" or "job.failed" or "job.cancelled")
                    {
                        return e.Type == "job.completed" ? 0 : 1;
                    }
                }

                if (await client.GetAsync(parse.GetValue(id), ct) is { IsTerminal: true } ended)
                {
                    return ended.State == "completed" ? 0 : 1; // it ended before this stream (re)started: nothing more will come
                }
            }

            throw new CliException($"The event stream dropped {MaxReconnects + 1} times before the job ended; see 'facepipe status {parse.GetValue(id)}'.");
        });
        return command;
    }

    /// <summary>An event as one line: id, type, state, each stage's progress, and a failure's reason.</summary>
    public static string EventLine(StreamedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var state = e.Data.TryGetProperty("state", out var s) ? s.GetString() : null;
        var stages = e.Data.TryGetProperty("stages", out var list) && list.ValueKind == JsonValueKind.Array
            ? string.Join(", ", list.EnumerateArray().Select(st => string.Create(CultureInfo.InvariantCulture,
                $"{st.GetProperty("name").GetString()} {st.GetProperty("framesDone").GetInt32()}/{st.GetProperty("framesTotal").GetInt32()}")))
            : null;
        var failure = e.Data.TryGetProperty("failure", out var f) && f.ValueKind == JsonValueKind.Object && f.TryGetProperty("reason", out var reason)
            ? $" — {reason.GetString()}"
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{e.Id} {e.Type} {state}{(stages is null ? string.Empty : $" [{stages}]")}{failure}");
    }

    private static Command Set()
    {
        var url = new Argument<string>("url") { Description = "Where to POST the notifications: an https:// URL of yours." };
        var command = new Command("set", "Set the webhook (replacing any earlier one) and print its new signing secret, shown this once.") { url };
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            var set = await client.SetWebhookAsync(parse.GetValue(url)!, ct);
            Console.WriteLine($"webhook set: {set.Url}");
            Console.WriteLine($"secret: {set.Secret}");
            Console.WriteLine("Keep this secret now: it will not be shown again. Verify each delivery's FacePipeline-Signature header with it; to get a new one, set the webhook again.");
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var command = new Command("show", "Show the webhook's URL (the secret is never shown again).");
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            var webhook = await client.GetWebhookAsync(ct);
            Console.WriteLine($"webhook: {webhook.Url}");
            Console.WriteLine($"secret: {(webhook.SecretSet ? "set (not shown; 'facepipe webhook set' makes a new one)" : "none")}");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var command = new Command("remove", "Remove the webhook: nothing more is sent, pending deliveries are given up.");
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            await client.RemoveWebhookAsync(ct);
            Console.WriteLine("webhook removed");
            return 0;
        });
        return command;
    }

    private static Command Test()
    {
        var command = new Command("test", "Send a signed webhook.test delivery; 'facepipe webhook deliveries' shows how it went.");
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            var delivery = await client.TestWebhookAsync(ct);
            Console.WriteLine($"delivery {delivery.Id} ({delivery.EventType}) to {delivery.Url} queued");
            return 0;
        });
        return command;
    }

    private static Command Deliveries()
    {
        var page = new Option<int>("--page") { Description = "Page, from 1.", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--page-size") { Description = "Deliveries per page.", DefaultValueFactory = _ => 20 };
        var command = new Command("deliveries", "The webhook's delivery log, newest first: each delivery's event, attempts, and last answer or error.") { page, size };
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            var log = await client.DeliveriesAsync(parse.GetValue(page), parse.GetValue(size), ct);
            foreach (var d in log.Items)
            {
                Console.WriteLine(DeliveryLine(d));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"page {log.Page}, {log.Items.Count} of {log.Total} deliveries"));
            return 0;
        });
        return command;
    }

    /// <summary>A delivery as one line: id, event, when, outcome (delivered, given up, or the next attempt), attempts and the last answer.</summary>
    public static string DeliveryLine(DeliveryView d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var outcome = d.DeliveredAt is { } delivered ? $"delivered {delivered:u}"
            : d.GaveUpAt is { } gaveUp ? $"given up {gaveUp:u}"
            : $"pending, next attempt {d.NextAttemptAt:u}";
        var last = d.LastError ?? (d.LastStatus is { } status ? string.Create(CultureInfo.InvariantCulture, $"answered {status}") : "not sent yet");
        return string.Create(CultureInfo.InvariantCulture, $"{d.Id} {d.EventType} {d.CreatedAt:u} {outcome}, {d.Attempts} attempt(s): {last}");
    }
}
