using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// What Reconstruction's chunks cost by how their frames leave the decoder (issue 16): the first N frames of a clip tracked
/// chunk by chunk as a Reconstruction slot tracks them (<see cref="ChunkFaceTracking"/>, one single-threaded session per
/// model) by its two paths: RGB24 converted by ffmpeg (a clip whose timeline names no planes matrix) and the 4:2:0 planes
/// with only what the models read converted, the two interleaved run by run. CPU is the process's own plus its reaped
/// ffmpeg children's (/proc/self/stat): on a machine whose cores are all busy during a job, CPU is what a chunk costs.
/// Beside it, how far the landmarks of the two paths are apart.
/// </summary>
internal static class ChunkPixelsBenchmark
{
    private const int ChunkSize = 512;

    public static Command Command(string[] args)
    {
        var clip = new Option<string>("--clip") { Description = "The clip (any the pipeline accepts).", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames from the clip's start tracked per run.", DefaultValueFactory = _ => 3072 };
        var runs = new Option<int>("--runs") { Description = "Runs of each path, interleaved.", DefaultValueFactory = _ => 3 };
        var command = new Command("chunk-pixels", "Reconstruction's chunks tracked from RGB24 (ffmpeg converts) against 4:2:0 planes (the tracker converts what it reads): wall and CPU per frame.") { clip, frames, runs };
        command.SetAction(async (parse, ct) =>
        {
            Md.Header(args);
            Console.WriteLine(await RunAsync(Path.GetFullPath(parse.GetValue(clip)!), parse.GetValue(frames), parse.GetValue(runs), ct));
            return 0;
        });
        return command;
    }

    public static async Task<string> RunAsync(string clip, int frames, int runs, CancellationToken ct)
    {
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var scratch = BenchPaths.CreateScratch(BenchPaths.DefaultWorkDirectory(), "chunk-pixels");
        try
        {
            var extraction = await BenchClip.ExtractAsync(clip, scratch, ct);
            var timeline = FrameTimeline.Load(extraction.TimelinePath);
            var (w, h) = (extraction.Width, extraction.Height);
            frames = Math.Min(frames, timeline.FrameCount);
            var models = BenchModels.Load();
            var slot = new InferenceSettings(IntraOpNumThreads: 1, AllowThreadSpinning: false); // as FaceReconstructionSlots runs each slot
            using var detector = new BlazeFaceDetector(models.FaceDetector, new FaceDetectorOptions { Inference = slot });
            using var landmarker = models.OpenLandmarkModel(refined: models.HasRefinedFaceLandmarks, slot);
            var tracking = new ChunkFaceTracking(detector, landmarker);

            // The service's own path for each: the timeline's planesMatrix picks the planes, its absence RGB24 from ffmpeg.
            var rgbTimeline = timeline with { PlanesMatrix = null };
            if (timeline.PlanesMatrix is null)
            {
                throw new BenchException($"{Path.GetFileName(clip)} does not decode as 4:2:0 planes (8-bit limited-range BT.601/BT.709, even height): nothing to compare.");
            }

            async Task<List<FrameRecord>> TrackAsync(FrameTimeline how)
            {
                var records = new List<FrameRecord>(frames);
                for (var first = 0; first < frames; first += ChunkSize)
                {
                    await tracking.TrackAsync(clip, how, w, h, first, Math.Min(ChunkSize, frames - first), new FaceTrackerOptions(), records.Add, ct);
                }

                return records;
            }

            Task<List<FrameRecord>> PlanesAsync() => TrackAsync(timeline);
            Task<List<FrameRecord>> Rgb24Async() => TrackAsync(rgbTimeline);

            Progress("warm-up");
            _ = await PlanesAsync(); // JIT, ONNX Runtime's first runs, the page cache
            var rgb = new List<Measured>();
            var planes = new List<Measured>();
            List<FrameRecord>? rgbRecords = null, planeRecords = null;
            for (var run = 0; run < runs; run++)
            {
                Progress($"run {run + 1}/{runs}: RGB24");
                var (m1, r1) = await TimedAsync(Rgb24Async);
                rgb.Add(m1);
                rgbRecords ??= r1;
                Progress($"run {run + 1}/{runs}: 4:2:0");
                var (m2, r2) = await TimedAsync(PlanesAsync);
                planes.Add(m2);
                planeRecords ??= r2;
            }

            var rows = new List<string>
            {
                $"### Reconstruction chunks by pixel format: {Path.GetFileName(clip)} ({w}x{h}), first {frames} frames in chunks of {ChunkSize}, {landmarker.Name}, one slot, {runs} runs of each interleaved",
                "",
                Md.Row("frames leave the decoder as", "wall ms/frame (runs)", "CPU core-ms/frame (runs)", "mean CPU: the service's process", "mean CPU: its ffmpeg children", "mean CPU core-ms/frame"),
                Md.Separator(6, 1, 2, 3, 4, 5),
                Row("RGB24, converted by ffmpeg (clips without `planesMatrix`)", rgb, frames),
                Row("4:2:0 planes, converted where read, as ffmpeg would", planes, frames),
                "",
            };
            var (meanPx, worstPx, facesDiffer) = Compare(rgbRecords!, planeRecords!);
            var cpuBefore = rgb.Average(m => m.Self + m.Children);
            var cpuAfter = planes.Average(m => m.Self + m.Children);
            rows.Add(FormattableString.Invariant(
                $"CPU per frame {cpuAfter * 1000 / frames:0.00} against {cpuBefore * 1000 / frames:0.00} core-ms ({(cpuAfter / cpuBefore) - 1:+0.0%;-0.0%}). ") +
                FormattableString.Invariant(
                $"Landmarks of the two paths: mean {meanPx:0.000} px apart, largest {worstPx:0.00} px; frames whose face count differs: {facesDiffer}."));
            return string.Join(Environment.NewLine, rows) + Environment.NewLine;
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    private readonly record struct Measured(double Wall, double Self, double Children);

    private static async Task<(Measured, List<FrameRecord>)> TimedAsync(Func<Task<List<FrameRecord>>> work)
    {
        var before = ProcessCpu.Seconds();
        var clock = Stopwatch.StartNew();
        var records = await work();
        var wall = clock.Elapsed.TotalSeconds;
        var after = ProcessCpu.Seconds();
        return (new Measured(wall, after.Self - before.Self, after.Children - before.Children), records);
    }

    private static string Row(string what, List<Measured> runs, int frames) => Md.Row(
        what,
        string.Join(", ", runs.Select(m => Md.F(m.Wall * 1000 / frames, 2))),
        string.Join(", ", runs.Select(m => Md.F((m.Self + m.Children) * 1000 / frames, 2))),
        Md.F(runs.Average(m => m.Self) * 1000 / frames, 2),
        Md.F(runs.Average(m => m.Children) * 1000 / frames, 2),
        Md.F(runs.Average(m => m.Self + m.Children) * 1000 / frames, 2));

    private static (double MeanPx, double WorstPx, int FacesDiffer) Compare(List<FrameRecord> a, List<FrameRecord> b)
    {
        var (sum, count, worst, differ) = (0.0, 0L, 0.0, 0);
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            if (a[i].Faces.Count != b[i].Faces.Count)
            {
                differ++;
                continue;
            }

            for (var f = 0; f < a[i].Faces.Count; f++)
            {
                var (p, q) = (a[i].Faces[f].Landmarks, b[i].Faces[f].Landmarks);
                for (var k = 0; k < p.Length; k++)
                {
                    var d = Math.Sqrt(Math.Pow(p[k][0] - q[k][0], 2) + Math.Pow(p[k][1] - q[k][1], 2));
                    sum += d;
                    count++;
                    worst = Math.Max(worst, d);
                }
            }
        }

        return (count == 0 ? 0 : sum / count, worst, differ + Math.Abs(a.Count - b.Count));
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");
}
