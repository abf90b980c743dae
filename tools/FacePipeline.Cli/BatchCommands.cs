using System.CommandLine;
using System.Globalization;
using FacePipeline.Cli.Progress;
using FacePipeline.Orchestration.Batches;
using Spectre.Console;

namespace FacePipeline.Cli;

/// <summary>facepipe batch …: submit a manifest with its files, follow, retry, cancel, pause, resume and download a batch.</summary>
public static class BatchCommands
{
    public static Command Batch()
    {
        var id = new Argument<Guid>("batch-id");
        return new Command("batch", "Batches: many shots from one manifest (docs/batches.md).")
        {
            Submit(),
            Status(id),
            Change("retry", "retry-failed", "Retry every shot whose latest job failed (same settings and inputs).", id),
            Change("cancel", "cancel", "Cancel every shot that has not ended.", id),
            Change("pause", "pause", "Pause the batch: running shots finish, nothing new of it starts.", id),
            Change("resume", "resume", "Resume a paused batch.", id),
            Download(id),
        };
    }

    private static Command Submit()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "The manifest (.csv or .json); the files it names are read relative to its folder." };
        var name = new Option<string?>("--name") { Description = "The batch's name (default: the manifest's file name)." };
        var priorityClass = new Option<string?>("--class") { Description = "interactive or overnight (default overnight)." };
        var priority = new Option<int?>("--priority") { Description = "-50 (last) to 50 (first); default 0." };
        var paused = new Option<bool>("--paused") { Description = "Submit it paused: nothing starts until 'facepipe batch resume'." };
        var wait = new Option<bool>("--wait") { Description = "Follow the batch until it ends (live bars on a terminal, a line per change otherwise); exit 0 only if every shot completed." };
        var command = new Command("submit", "Submit a manifest and every local file it names as one batch.") { manifest, name, priorityClass, priority, paused, wait };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(manifest)!;
            if (!file.Exists)
            {
                throw new CliException($"No such file: {file.FullName}");
            }

            var files = ManifestFiles(file);
            using var client = CliCommands.Client(parse);
            var batch = await client.SubmitBatchAsync(file.FullName, files, new Dictionary<string, string?>
            {
                ["name"] = parse.GetValue(name),
                ["class"] = parse.GetValue(priorityClass),
                ["priority"] = parse.GetValue(priority)?.ToString(CultureInfo.InvariantCulture),
                ["paused"] = parse.GetValue(paused) ? "true" : null,
            }, ct);
            Console.WriteLine($"batch {batch.Id} submitted: {batch.ShotCount} shot(s), {files.Count} file(s) uploaded");
            return parse.GetValue(wait) ? await Follow(parse, client, batch, ct) : 0;
        });
        return command;
    }

    /// <summary>The local files the manifest names, relative to its folder; each must exist, and no two may share a file name.</summary>
    public static IReadOnlyList<string> ManifestFiles(FileInfo manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var (names, problems) = BatchManifest.LocalFiles(File.ReadAllText(manifest.FullName), manifest.Name);
        if (problems.Count > 0)
        {
            throw new CliException($"{manifest.Name}: {string.Join(" ", problems)}");
        }

        var folder = manifest.DirectoryName!;
        var paths = names.Select(n => Path.GetFullPath(Path.Combine(folder, n))).Distinct(StringComparer.Ordinal).ToList();
        if (paths.FirstOrDefault(p => !File.Exists(p)) is { } missing)
        {
            throw new CliException($"{manifest.Name} names {missing}, which does not exist (files are read relative to the manifest's folder).");
        }

        if (paths.GroupBy(Path.GetFileName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } clash)
        {
            throw new CliException($"{manifest.Name} names two files called '{clash.Key}' ({string.Join(", ", clash)}): the service tells files apart by name; rename one.");
        }

        return paths;
    }

    private static Command Status(Argument<Guid> id)
    {
        var command = new Command("status", "A batch's counts, ETA and every shot's state.") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            Print(await client.GetBatchAsync(parse.GetValue(id), ct));
            return 0;
        });
        return command;
    }

    private static Command Change(string verb, string action, string description, Argument<Guid> id)
    {
        var command = new Command(verb, description) { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = CliCommands.Client(parse);
            Console.WriteLine(BatchText.Summary(await client.ChangeBatchAsync(parse.GetValue(id), action, ct)));
            return 0;
        });
        return command;
    }

    private static Command Download(Argument<Guid> id)
    {
        var output = new Option<FileInfo?>("--out", "-o") { Description = "The ZIP file to write (default batch-<id>.zip)." };
        var command = new Command("download", "Download every completed shot's outputs as one ZIP (<shot>/<output>, with report.csv).") { id, output };
        command.SetAction(async (parse, ct) =>
        {
            var batchId = parse.GetValue(id);
            var path = parse.GetValue(output)?.FullName ?? Path.Combine(Environment.CurrentDirectory, $"batch-{batchId}.zip");
            using var client = CliCommands.Client(parse);
            await client.DownloadAsync($"v1/batches/{batchId}/outputs.zip", path, ct);
            Console.WriteLine($"outputs of batch {batchId}: {path}");
            return 0;
        });
        return command;
    }

    /// <summary>Follows the batch until it ends, with bars on a terminal or lines otherwise; 0 only if every shot completed.</summary>
    private static async Task<int> Follow(ParseResult parse, JobsClient client, BatchView batch, CancellationToken ct)
    {
        var first = true;
        var updates = JobPolling.UntilEndedAsync(
            async token =>
            {
                if (first)
                {
                    first = false;
                    return batch;
                }

                return await client.GetBatchAsync(batch.Id, token);
            },
            b => b.Ended,
            CliCommands.PollInterval(parse, TimeSpan.FromSeconds(2)),
            ct);
        IBatchProgress progress = CliCommands.Progress(parse) == ProgressStyle.Bars ? new BatchProgressBars(AnsiConsole.Console) : new BatchProgressLines(Console.Out);
        var ended = await progress.ShowAsync(updates, ct);
        return ended.Counts.Completed == ended.ShotCount ? 0 : 3;
    }

    private static void Print(BatchView batch)
    {
        Console.WriteLine(BatchText.Summary(batch));
        if (batch.EtaReason is { } reason)
        {
            Console.WriteLine($"no ETA: {reason}");
        }

        foreach (var shot in batch.Shots)
        {
            Console.WriteLine(BatchText.Line(shot));
        }
    }
}
