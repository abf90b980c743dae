using System.CommandLine;
using System.Globalization;

namespace FacePipeline.Benchmarks;

/// <summary>
/// The sampler of <c>scripts/bench-scale.sh</c>: every interval, one line of the media store's size (<c>du -sb</c>), the summed resident
/// memory of each watched process's descendants (the ffmpeg and ffprobe it runs), each watched process's own resident
/// memory (KiB) and the time (Unix seconds), until it is stopped. It was a bash loop; each of its samples forked some thirty
/// processes (du, cat, date, subshells) and took about 175 ms of CPU, a quarter of a core at one sample every 0.5 s, taken
/// from the job it measured (docs/benchmarks.md, "Where the CPU of a track job goes"). Here a sample reads the same
/// <c>/proc</c> files in this one process and runs du alone.
/// </summary>
internal static class ProcessSampler
{
    public static Command Command()
    {
        var output = new Option<string>("--out") { Description = "The file the samples are appended to, one line each.", Required = true };
        var media = new Option<string>("--media") { Description = "The media store's root: its du -sb is the first column.", Required = true };
        var interval = new Option<double>("--interval") { Description = "Seconds between samples.", DefaultValueFactory = _ => 0.5 };
        interval.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is <= 0 or > 60)
            {
                result.AddError("--interval must be above 0 and at most 60 seconds.");
            }
        });
        var pids = new Argument<int[]>("pid") { Description = "The processes watched, in the order of the columns.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("proc-sample", "Samples the media store's size and the watched processes' and their descendants' resident memory until stopped (scripts/bench-scale.sh).")
        {
            output, media, interval, pids,
        };
        command.SetAction(async (parse, ct) =>
        {
            await RunAsync(parse.GetValue(output)!, parse.GetValue(media)!, TimeSpan.FromSeconds(parse.GetValue(interval)), parse.GetValue(pids)!, ct);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(string output, string media, TimeSpan interval, int[] pids, CancellationToken ct)
    {
        await using var writer = new StreamWriter(output, append: true) { AutoFlush = true };
        using var timer = new PeriodicTimer(interval);
        var line = new System.Text.StringBuilder();
        do
        {
            line.Clear();
            line.Append(MediaBytes(media).ToString(CultureInfo.InvariantCulture));
            foreach (var pid in pids)
            {
                line.Append(' ').Append(DescendantsRssKib(pid).ToString(CultureInfo.InvariantCulture));
            }

            foreach (var pid in pids)
            {
                line.Append(' ').Append(RssKib(pid).ToString(CultureInfo.InvariantCulture));
            }

            line.Append(' ').Append((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("F2", CultureInfo.InvariantCulture));
            await writer.WriteLineAsync(line.ToString());
        }
        while (await Next(timer, ct));
    }

    private static async Task<bool> Next(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false; // stopped (SIGTERM, Ctrl-C): every line written is whole
        }
    }

    /// <summary>
    /// <c>du -sb</c> of the root: the apparent size of what is under it, each file once however many names it has (the job's
    /// input is a hard link to the studio's upload, which stays until the upload expires: summing the names counted it
    /// twice). 0 when du fails (the root is gone).
    /// </summary>
    internal static long MediaBytes(string root)
    {
        var info = new System.Diagnostics.ProcessStartInfo("du") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-sb");
        info.ArgumentList.Add(root);
        using var du = System.Diagnostics.Process.Start(info)!;
        var errors = du.StandardError.ReadToEndAsync(); // files removed while du walks: it says so and goes on
        var output = du.StandardOutput.ReadToEnd();
        du.WaitForExit();
        _ = errors.GetAwaiter().GetResult();
        var first = output.Split('\t', 2)[0];
        return long.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0;
    }

    /// <summary>VmRSS of a process, KiB (0 when it is gone).</summary>
    internal static long RssKib(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // gone between the listing and the read
        }

        return 0;
    }

    /// <summary>The summed VmRSS of a process's descendants, KiB.</summary>
    internal static long DescendantsRssKib(int pid)
    {
        long total = 0;
        foreach (var child in Children(pid))
        {
            total += RssKib(child) + DescendantsRssKib(child);
        }

        return total;
    }

    private static IEnumerable<int> Children(int pid)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        var children = new List<int>();
        foreach (var task in tasks)
        {
            try
            {
                foreach (var word in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    children.Add(int.Parse(word, CultureInfo.InvariantCulture));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the thread ended
            }
        }

        return children;
    }
}
