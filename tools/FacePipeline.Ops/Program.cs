using FacePipeline.Orchestration.DeadLetters;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.ServiceDefaults;
using Microsoft.Extensions.Configuration;

// facepipe-ops: what operators run against a live system. The broker is the services' own settings (RabbitMq__Host,
// __Port, __VirtualHost, __Username, __Password; scripts/dead-letters.sh sets the local ones).
//   facepipe-ops dead-letters                 count the messages in every service queue's _error twin
//   facepipe-ops dead-letters replay <queue>  put one queue's dead letters back on it (after fixing their cause)
//   facepipe-ops dead-letters replay --all    every queue's
// The job store is ConnectionStrings__Jobs, as the services':
//   facepipe-ops studio show <name|id>        a studio's weight, caps and queue
//   facepipe-ops studio set <name|id> [--weight N] [--max-running N|default] [--max-queued N|default] [--max-stored-bytes N|default]
var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
var broker = configuration.GetSection(RabbitMqOptions.Section).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
var deadLetters = new DeadLetterQueues(broker);
var queues = DeadLetterQueues.QueuesOf(JobPipelines.Default);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

switch (args)
{
    case ["studio", .. var rest]:
        var jobs = configuration.GetConnectionString("Jobs");
        if (string.IsNullOrEmpty(jobs))
        {
            await Console.Error.WriteLineAsync("No job store: set ConnectionStrings__Jobs.");
            return 2;
        }

        return await FacePipeline.Ops.StudioCapsCommand.Run(jobs, rest, cancel.Token);
    case ["dead-letters"] or ["dead-letters", "list"]:
        var counts = await deadLetters.Count(queues, cancel.Token);
        foreach (var queue in queues)
        {
            Console.WriteLine($"{queue + DeadLetterQueues.ErrorSuffix,-40} {(counts.TryGetValue(queue, out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}");
        }

        Console.WriteLine($"{counts.Values.Sum(c => (long)c)} dead letter(s) in {broker.Host}:{broker.Port}{broker.VirtualHost} ('-': the queue has no error queue yet)");
        return 0;
    case ["dead-letters", "replay", var which]:
        var targets = which == "--all" ? queues : queues.Contains(which) ? [which] : null;
        if (targets is null)
        {
            await Console.Error.WriteLineAsync($"'{which}' is not a service queue; the queues are: {string.Join(", ", queues)}.");
            return 2;
        }

        var present = await deadLetters.Count(targets, cancel.Token);
        var total = 0;
        foreach (var queue in targets.Where(present.ContainsKey))
        {
            var replayed = await deadLetters.Replay(queue, cancel.Token);
            total += replayed;
            Console.WriteLine($"{queue}: {replayed} replayed");
        }

        Console.WriteLine($"{total} dead letter(s) replayed");
        return 0;
    default:
        await Console.Error.WriteLineAsync($"usage: facepipe-ops dead-letters [list] | dead-letters replay <queue>|--all | {FacePipeline.Ops.StudioCapsCommand.Usage}");
        return 2;
}
