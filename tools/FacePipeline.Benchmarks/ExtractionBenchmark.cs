using System.Diagnostics;
using System.Globalization;
using FacePipeline.Media;

namespace FacePipeline.Benchmarks;

/// <summary>
/// <see cref="FrameExtractor.ExtractAsync"/> against its floor: plain ffmpeg decoding the same clip to raw
/// RGB24 into /dev/null. The three variants run interleaved (rotating order) in every run, so that load from
/// elsewhere on the machine hits them alike; after one untimed warm-up round, the median and the best of
/// <c>runs</c> rounds are reported.
/// </summary>
internal static class ExtractionBenchmark
{
    /// <summary>The extractor should keep at least this share of plain ffmpeg's throughput.</summary>
    public const double Goal = 0.9;

    private const string FloorName = "ffmpeg → /dev/null (floor)";
    private const string WriteName = "FrameExtractor, chunk files";
    private const string FileName = "ffmpeg → one raw file (decode + write, no chunking)";

    public static async Task<string> RunAsync(string clip, int runs, string workParent, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        clip = Path.GetFullPath(clip);
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var options = new FrameExtractionOptions(); // the repository's defaults: 64-frame chunks, audio and timeline too
        var scratch = BenchPaths.CreateScratch(workParent, "extraction");
        try
        {
            Progress($"extraction {Path.GetFileName(clip)}: warm-up");

            // Warm-up round (also fills the page cache with the clip): its figures are not kept.
            var probe = await ExtractOnceAsync(clip, scratch, options, ct);
            await RunFfmpegAsync(clip, ct, Path.Combine(scratch, "one.rgb24"));
            var ffmpegFrames = await CountFfmpegFramesAsync(clip, probe.Result.FrameSizeBytes, ct);
            await RunFfmpegAsync(clip, ct);

            var frames = probe.Result.FrameCount;
            var samples = new Dictionary<string, List<double>> { [FloorName] = [], [WriteName] = [], [FileName] = [] };
            var variants = new (string Name, Func<Task<double>> Run)[]
            {
                (FloorName, () => RunFfmpegAsync(clip, ct)),
                (WriteName, async () => (await ExtractOnceAsync(clip, scratch, options, ct)).Seconds),
                (FileName, () => RunFfmpegAsync(clip, ct, Path.Combine(scratch, "one.rgb24"))),
            };

            for (var run = 0; run < runs; run++)
            {
                Progress($"extraction {Path.GetFileName(clip)}: run {run + 1}/{runs}");
                for (var k = 0; k < variants.Length; k++)
                {
                    var (name, measure) = variants[(run + k) % variants.Length];
                    samples[name].Add(await measure());
                }
            }

            return Report(clip, runs, scratch, probe.Result, frames, ffmpegFrames, samples);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    private static string Report(
        string clip,
        int runs,
        string scratch,
        FrameExtractionResult result,
        long frames,
        long ffmpegFrames,
        Dictionary<string, List<double>> samples)
    {
        var floor = samples[FloorName];
        var floorSummary = Summary.Of(floor);
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"### Extraction: {Path.GetFileName(clip)} ({result.Width}x{result.Height}, {frames} frames, {runs} runs)"),
            "",
            $"Command: `{Md.Command("extraction", "--clip", BenchArgs.PathArg(clip), "--runs", runs.ToString(CultureInfo.InvariantCulture))}`",
            "",
            Md.Row("variant", "median s", "min s", "frames/s (median)", "frames/s (best)", $"throughput vs ffmpeg (median of paired runs; goal ≥ {Md.F(Goal, 1)})", "best vs best"),
            Md.Separator(7, 1, 2, 3, 4, 5, 6),
        };

        foreach (var (name, times) in samples)
        {
            var s = Summary.Of(times);

            // Per run, the extractor's throughput relative to the ffmpeg run of the same round.
            var paired = Summary.Of(times.Select((t, i) => floor[i] / t).ToArray()).Median;
            var label = name switch
            {
                WriteName => string.Create(CultureInfo.InvariantCulture, $"{name} ({new FrameExtractionOptions().ChunkSize} frames each)"),
                _ => name,
            };
            lines.Add(Md.Row(
                label,
                Md.F(s.Median, 3),
                Md.F(s.Min, 3),
                Md.F(frames / s.Median, 1),
                Md.F(frames / s.Min, 1),
                name == FloorName ? "1.00" : Md.F(paired, 2),
                name == FloorName ? "1.00" : Md.F(floorSummary.Min / s.Min, 2)));
        }

        lines.Add("");
        lines.Add(
            $"Floor: `ffmpeg -v error -i {Md.ShellQuote(BenchArgs.PathArg(clip))} -f rawvideo -pix_fmt rgb24 -y /dev/null`, timed as a whole process, " +
            "interleaved with the extractor runs (rotating order) after one warm-up round. The extractor times include its ffprobe " +
            $"probe, and for chunk files the packet timeline and audio copy (repository defaults). Chunk files go to a fresh folder under {Path.GetDirectoryName(scratch)} " +
            $"(mount {BenchPaths.MountPointOf(scratch)}; clip on mount {BenchPaths.MountPointOf(clip)}), deleted after each run.");
        if (ffmpegFrames != frames)
        {
            lines.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"Note: plain ffmpeg emits {ffmpegFrames} frames for this clip, the extractor {frames} (it keeps every decoded frame, `-fps_mode passthrough`); frames/s use the extractor's count for both."));
        }

        return string.Join('\n', lines) + "\n";
    }

    private static async Task<(FrameExtractionResult Result, double Seconds)> ExtractOnceAsync(
        string clip, string scratch, FrameExtractionOptions options, CancellationToken ct)
    {
        var output = Path.Combine(scratch, "out");
        BenchPaths.DeleteQuietly(output);
        try
        {
            var start = Stopwatch.GetTimestamp();
            var result = await FrameExtractor.ExtractAsync(clip, output, options, ct);
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (result.FrameCount == 0)
            {
                throw new BenchException($"The extractor produced no frames for {clip}.");
            }

            return (result, seconds);
        }
        catch (MediaRejectedException ex)
        {
            throw new BenchException($"The extractor refused {clip}: {ex.Message}");
        }
        finally
        {
            BenchPaths.DeleteQuietly(output);
        }
    }

    /// <summary>One timed run of the floor command.</summary>
    private static async Task<double> RunFfmpegAsync(string clip, CancellationToken ct, string output = "/dev/null")
    {
        var psi = Ffmpeg(clip, output);
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(psi) ?? throw new BenchException("ffmpeg did not start.");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var errors = await stderr;
        if (output != "/dev/null")
        {
            File.Delete(output);
        }

        return process.ExitCode == 0
            ? seconds
            : throw new BenchException($"ffmpeg failed on {clip} (exit code {process.ExitCode}): {errors.Trim()}");
    }

    /// <summary>Frames plain ffmpeg emits for the clip (the floor command, output to a pipe that is counted).</summary>
    private static async Task<long> CountFfmpegFramesAsync(string clip, int frameSize, CancellationToken ct)
    {
        var psi = Ffmpeg(clip, "pipe:1");
        psi.RedirectStandardOutput = true;
        using var process = Process.Start(psi) ?? throw new BenchException("ffmpeg did not start.");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var buffer = new byte[1 << 20];
        long bytes = 0;
        int read;
        while ((read = await process.StandardOutput.BaseStream.ReadAsync(buffer, ct)) > 0)
        {
            bytes += read;
        }

        await process.WaitForExitAsync(ct);
        var errors = await stderr;
        return process.ExitCode == 0
            ? bytes / frameSize
            : throw new BenchException($"ffmpeg failed on {clip} (exit code {process.ExitCode}): {errors.Trim()}");
    }

    private static ProcessStartInfo Ffmpeg(string clip, string output)
    {
        var psi = new ProcessStartInfo("ffmpeg")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = true, // closed at once: ffmpeg must not read the terminal
        };
        foreach (var arg in new[] { "-v", "error", "-i", clip, "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", output })
        {
            psi.ArgumentList.Add(arg);
        }

        return psi;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");
}
