using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Where a QC segment's time goes (issue 16: the render stage's distance from its floor): the frames of a clip, segment by
/// segment as <see cref="QcSegmentRenderStage"/> renders them, timed as decode only (<see cref="QcOverlay.DrawnFramesAsync"/>'s
/// decoder, <see cref="FrameRangeReader"/>), decode + the overlay drawn, decode + encode without the overlay
/// (<see cref="ClipSegments.EncodeH264SegmentAsync"/>), and the whole segment; beside them the floor, one ffmpeg process
/// decoding the same frames and encoding them with the same x264 settings (no pipes, no RGB).
/// </summary>
internal static class QcSegmentBenchmark
{
    public static Command Command(string[] args)
    {
        var clip = new Option<string>("--clip") { Description = "The clip (any the pipeline accepts).", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames from the clip's start rendered.", DefaultValueFactory = _ => 1200 };
        var segment = new Option<int>("--segment") { Description = "Frames per segment (the track job's QC segment).", DefaultValueFactory = _ => 300 };
        var command = new Command("qc-segment", "A track job's QC segments: decode, draw, encode and the whole segment against the one-process decode + x264 floor.") { clip, frames, segment };
        command.SetAction(async (parse, ct) =>
        {
            Md.Header(args);
            Console.WriteLine(await RunAsync(Path.GetFullPath(parse.GetValue(clip)!), parse.GetValue(frames), parse.GetValue(segment), ct));
            return 0;
        });
        return command;
    }

    public static async Task<string> RunAsync(string clip, int frames, int segment, CancellationToken ct)
    {
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var scratch = BenchPaths.CreateScratch(BenchPaths.DefaultWorkDirectory(), "qc-segment");
        try
        {
            var extraction = await BenchClip.ExtractAsync(clip, scratch, ct);
            var timeline = FrameTimeline.Load(extraction.TimelinePath);
            var (w, h) = (extraction.Width, extraction.Height);
            var rate = extraction.FrameRate;
            frames = Math.Min(frames, timeline.FrameCount);
            var models = BenchModels.Load();
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = models.OpenLandmarkModel(refined: false);
            var tracked = await new ChunkFaceTracking(detector, landmarker).TrackAsync(clip, timeline, w, h, 0, 1, new FaceTrackerOptions(), ct);
            var record = tracked[0]; // every frame drawn with frame 0's faces: the drawing's cost, not its place
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            int[] triangles = [.. mesh.Triangles.ToArray().SelectMany(t => new[] { t.A, t.B, t.C })];
            var segments = Enumerable.Range(0, (frames + segment - 1) / segment).Select(k => (First: k * segment, Count: Math.Min(segment, frames - (k * segment)))).ToList();
            var output = Path.Combine(scratch, "segment.nut");

            async Task<double> Time(Func<int, int, Task> one)
            {
                var watch = Stopwatch.StartNew();
                foreach (var (first, count) in segments)
                {
                    ct.ThrowIfCancellationRequested();
                    await one(first, count);
                }

                return watch.Elapsed.TotalSeconds;
            }

            async IAsyncEnumerable<ReadOnlyMemory<byte>> Decoded(int first, int count, bool draw)
            {
                var buffer = new byte[w * h * 3];
                await using var reader = FrameRangeReader.Open(clip, timeline, w, h, first, count);
                while (await reader.ReadNextAsync(buffer, ct))
                {
                    if (draw)
                    {
                        QcOverlay.Draw(buffer, w, h, record, triangles);
                    }

                    yield return buffer;
                }
            }

            async Task Drain(int first, int count, bool draw)
            {
                await foreach (var _ in Decoded(first, count, draw))
                {
                }
            }

            Task Encode(int first, int count, bool draw) =>
                ClipSegments.EncodeH264SegmentAsync(Decoded(first, count, draw), w, h, rate, null, first, count, output, new H264EncodeOptions(), ct);

            Progress("warm-up");
            await Encode(0, Math.Min(30, frames), draw: true);
            Progress("floor: one ffmpeg, decode + x264");
            var floor = await Time((first, count) => FloorAsync(clip, timeline, first, count, ct));
            Progress("decode");
            var decode = await Time((first, count) => Drain(first, count, draw: false));
            Progress("decode + draw");
            var drawn = await Time((first, count) => Drain(first, count, draw: true));
            Progress("decode + encode");
            var encoded = await Time((first, count) => Encode(first, count, draw: false));
            Progress("whole segments");
            var whole = await Time((first, count) => Encode(first, count, draw: true));

            string Line(string what, double s) => Md.Row(what, Md.F(s, 2), Md.F(s * 1000 / frames, 2), Md.F(s / floor, 2));
            return string.Join(Environment.NewLine,
            [
                $"### QC segments: {Path.GetFileName(clip)} ({w}x{h}), {frames} frames in {segments.Count} segments of {segment}, one worker",
                "",
                Md.Row("what", "s", "ms/frame", "× floor"),
                Md.Separator(4, 1, 2, 3),
                Line("floor: one ffmpeg decoding and encoding (x264 veryfast, CRF 20), per segment", floor),
                Line("decode to RGB24 (FrameRangeReader)", decode),
                Line("decode + overlay drawn", drawn),
                Line("decode + encode, no overlay", encoded),
                Line("whole segment (QcSegmentRenderStage's work)", whole),
                "",
                FormattableString.Invariant($"Overlay alone: {(drawn - decode) * 1000 / frames:0.00} ms/frame; the RGB24 round trip (decode to RGB24, pipe in and out of .NET, convert back) against the floor: {(encoded - floor) * 1000 / frames:0.00} ms/frame."),
                "",
            ]);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>The same frames decoded and encoded by one ffmpeg (sought as the range reader seeks, frames counted from there).</summary>
    private static async Task FloorAsync(string clip, FrameTimeline timeline, int first, int count, CancellationToken ct)
    {
        var at = timeline.Seconds[first] - timeline.Seconds[0];
        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error" };
        if (first > 0)
        {
            arguments.AddRange(["-ss", at.ToString("0.#########", CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange(["-i", clip, "-map", "0:v:0", "-frames:v", count.ToString(CultureInfo.InvariantCulture), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-f", "null", "-"]);
        var result = await MediaProcess.RunAsync("ffmpeg", arguments, null, captureOutput: false, ct);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"ffmpeg floor failed: {result.StandardError}");
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");
}
