using System.CommandLine;
using System.Globalization;
using FacePipeline.Cli.Progress;
using Spectre.Console;

namespace FacePipeline.Cli.Uploads;

/// <summary>
/// A job's inputs as the command line names them: a local file, or <c>upload:&lt;id&gt;</c> (an upload already made,
/// by <c>facepipe upload</c> or any tus client). A file of <see cref="ResumableFromBytes"/> or more (or any file with
/// --resumable) goes up first as a resumable upload and is named by its reference; a smaller one goes in the job's form.
/// </summary>
public static class JobInputs
{
    public const long ResumableFromBytes = 64L * 1024 * 1024;

    public const string ReferencePrefix = "upload:";

    /// <summary>The form's file parts (part → path) and reference fields (part → upload:&lt;id&gt;) for <paramref name="inputs"/>.</summary>
    public static async Task<(Dictionary<string, string> Files, Dictionary<string, string?> References)> PrepareAsync(
        ParseResult parse, JobsClient client, IEnumerable<(string Part, string Input)> inputs, bool resumable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var references = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (part, input) in inputs)
        {
            if (input.StartsWith(ReferencePrefix, StringComparison.Ordinal))
            {
                references[part] = input;
                continue;
            }

            var file = new FileInfo(input);
            if (!file.Exists)
            {
                throw new CliException($"No such file: {file.FullName} (an upload already made is named upload:<id>).");
            }

            if (resumable || file.Length >= ResumableFromBytes)
            {
                references[part] = (await UploadAsync(parse, client, file, cancellationToken)).Reference;
            }
            else
            {
                files[part] = file.FullName;
            }
        }

        return (files, references);
    }

    /// <summary>Uploads <paramref name="file"/> resumably with a progress display; says where it resumed from.</summary>
    public static async Task<UploadedFile> UploadAsync(ParseResult parse, JobsClient client, FileInfo file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(file);
        var uploader = client.Uploader(UploadResumeStore.Default(), CliCommands.ChunkBytes(parse));
        UploadedFile uploaded;
        if (CliCommands.Progress(parse) == ProgressStyle.Bars)
        {
            uploaded = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask(Markup.Escape($"upload {file.Name}"), maxValue: Math.Max(1, file.Length));
                    return await uploader.UploadAsync(file, new Progress<long>(sent => bar.Value = sent), cancellationToken);
                });
        }
        else
        {
            var quarter = -1;
            uploaded = await uploader.UploadAsync(
                file,
                new SynchronousProgress(sent =>
                {
                    var now = file.Length == 0 ? 4 : (int)(4 * sent / file.Length);
                    if (now != quarter)
                    {
                        quarter = now;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload {file.Name}: {sent} of {file.Length} bytes ({(file.Length == 0 ? 100 : 100 * sent / file.Length)} %)"));
                    }
                }),
                cancellationToken);
        }

        Console.WriteLine(uploaded.ResumedFrom > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{file.Name}: {uploaded.Reference} (resumed at byte {uploaded.ResumedFrom})")
            : $"{file.Name}: {uploaded.Reference}");
        return uploaded;
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; posts to the thread pool and may reorder lines).</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
