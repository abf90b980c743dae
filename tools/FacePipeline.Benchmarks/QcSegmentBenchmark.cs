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
/// decoding the same frames and encoding them with the same x264 settings (no pipes, no RGB). Decode and decode + encode
/// are timed both ways the frames can travel: the 4:2:0 planes the QC overlay is drawn on (<see cref="QcOverlay.Pixels"/>)
/// and the RGB24 round trip it used before.
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
            int[] triangles = mesh.TriangleIndices();
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

            async IAsyncEnumerable<ReadOnlyMemory<byte>> Decoded(int first, int count, bool draw, RawPixelFormat pixels = QcOverlay.Pixels)
            {
                var buffer = new byte[pixels.FrameBytes(w, h)];
                await using var reader = FrameRangeReader.Open(clip, timeline, w, h, first, count, pixels: pixels);
                while (await reader.ReadNextAsync(buffer, ct))
                {
                    if (draw)
                    {
                        QcOverlay.Draw(buffer, w, h, record, triangles);
                    }

                    yield return buffer;
                }
            }

            async Task Drain(int first, int count, bool draw, RawPixelFormat pixels = QcOverlay.Pixels)
            {
                await foreach (var _ in Decoded(first, count, draw, pixels))
                {
                }
            }

            Task Encode(int first, int count, bool draw, RawPixelFormat pixels = QcOverlay.Pixels) =>
                ClipSegments.EncodeH264SegmentAsync(Decoded(first, count, draw, pixels), w, h, rate, null, first, count, output, new H264EncodeOptions { Input = pixels }, ct);

            Progress("warm-up");
            await Encode(0, Math.Min(30, frames), draw: true);
            Progress("floor: one ffmpeg, decode + x264");
            var floor = await Time((first, count) => FloorAsync(clip, timeline, first, count, ct));
            Progress("decode, RGB24");
            var decodeRgb = await Time((first, count) => Drain(first, count, draw: false, RawPixelFormat.Rgb24));
            Progress("decode, 4:2:0");
            var decode = await Time((first, count) => Drain(first, count, draw: false));
            Progress("decode + draw");
            var drawn = await Time((first, count) => Drain(first, count, draw: true));
            Progress("decode + encode, RGB24");
            var encodedRgb = await Time((first, count) => Encode(first, count, draw: false, RawPixelFormat.Rgb24));
            Progress("decode + encode, 4:2:0");
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
                Line("decode to RGB24 (FrameRangeReader; the QC path before)", decodeRgb),
                Line("decode to 4:2:0 planes (FrameRangeReader, QcOverlay.Pixels)", decode),
                Line("decode to 4:2:0 + overlay drawn", drawn),
                Line("decode + encode, no overlay, RGB24 round trip (before)", encodedRgb),
                Line("decode + encode, no overlay, 4:2:0 planes", encoded),
                Line("whole segment (QcSegmentRenderStage's work: 4:2:0, overlay drawn)", whole),
                "",
                FormattableString.Invariant($"Overlay alone: {(drawn - decode) * 1000 / frames:0.00} ms/frame. Against the floor, the pipes in and out of .NET cost {(encoded - floor) * 1000 / frames:0.00} ms/frame with 4:2:0 planes and {(encodedRgb - floor) * 1000 / frames:0.00} ms/frame with the RGB24 round trip (conversion to RGB24 and back included): 4:2:0 saves {(encodedRgb - encoded) * 1000 / frames:0.00} ms/frame."),
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
