using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// What a reconstruction chunk's size costs (issue 16): the first N frames of a clip tracked chunk by chunk as the
/// Reconstruction service tracks them (<see cref="ChunkFaceTracking.TrackAsync"/>: each chunk decoded from the upload by
/// its own ffmpeg run, sought to its key frame, a fresh tracker), one worker, for each chunk size; beside it the same
/// chunks only decoded (<see cref="FrameRangeReader"/>), and the one-piece decode of the N frames. The decoder's start
/// per chunk (process, seek, the frames from the key frame) is the cost a larger chunk spreads.
/// </summary>
internal static class ChunkSizeBenchmark
{
    public static Command Command(string[] args)
    {
        var clip = new Option<string>("--clip") { Description = "The clip (any the pipeline accepts).", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames from the clip's start tracked per chunk size.", DefaultValueFactory = _ => 2048 };
        var sizes = new Option<string>("--sizes") { Description = "Chunk sizes, comma-separated.", DefaultValueFactory = _ => "64,128,256,512,1024" };
        var command = new Command("chunk-size", "Reconstruction's chunks of N frames (decode from the upload + tracking, one worker) against chunk size; decode alone beside it.") { clip, frames, sizes };
        command.SetAction(async (parse, ct) =>
        {
            Md.Header(args);
            var list = parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Console.WriteLine(await RunAsync(Path.GetFullPath(parse.GetValue(clip)!), parse.GetValue(frames), list, ct));
            return 0;
        });
        return command;
    }

    public static async Task<string> RunAsync(string clip, int frames, IReadOnlyList<int> sizes, CancellationToken ct)
    {
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var scratch = BenchPaths.CreateScratch(BenchPaths.DefaultWorkDirectory(), "chunk-size");
        try
        {
            // The timeline only: the extractor's chunk files are not read (a chunk decodes from the upload).
            var extraction = await BenchClip.ExtractAsync(clip, scratch, ct);
            var timeline = FrameTimeline.Load(extraction.TimelinePath);
            var (w, h) = (extraction.Width, extraction.Height);
            frames = Math.Min(frames, timeline.FrameCount);
            var models = BenchModels.Load();
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = models.OpenLandmarkModel(refined: models.HasRefinedFaceLandmarks);
            var tracking = new ChunkFaceTracking(detector, landmarker);

            // Warm-up: one chunk tracked (JIT, ORT's first runs).
            _ = await tracking.TrackAsync(clip, timeline, w, h, 0, Math.Min(64, frames), new FaceTrackerOptions(), ct);

            var onePiece = Stopwatch.StartNew();
            await DecodeAsync(clip, timeline, w, h, 0, frames, ct);
            var onePieceS = onePiece.Elapsed.TotalSeconds;

            var rows = new List<string>
            {
                $"### Reconstruction chunk size: {Path.GetFileName(clip)} ({w}x{h}), first {frames} frames, {landmarker.Name}, one worker",
                "",
                Md.Row("chunk frames", "chunks", "decode only s", "decode ms/frame", "decode / one-piece decode", "tracked s", "tracked ms/frame", "tracked / largest chunk's"),
                Md.Separator(8, 1, 2, 3, 4, 5, 6, 7),
            };
            var results = new List<(int Size, int Chunks, double Decode, double Tracked)>();
            foreach (var size in sizes)
            {
                ct.ThrowIfCancellationRequested();
                var chunks = (frames + size - 1) / size;
                Progress($"chunk-size {size}: decode");
                var decode = Stopwatch.StartNew();
                for (var first = 0; first < frames; first += size)
                {
                    await DecodeAsync(clip, timeline, w, h, first, Math.Min(size, frames - first), ct);
                }

                var decodeS = decode.Elapsed.TotalSeconds;
                Progress($"chunk-size {size}: tracking");
                var tracked = Stopwatch.StartNew();
                for (var first = 0; first < frames; first += size)
                {
                    _ = await tracking.TrackAsync(clip, timeline, w, h, first, Math.Min(size, frames - first), new FaceTrackerOptions(), ct);
                }

                results.Add((size, chunks, decodeS, tracked.Elapsed.TotalSeconds));
            }

            var best = results.MaxBy(r => r.Size).Tracked;
            foreach (var r in results)
            {
                rows.Add(Md.Row(
                    r.Size.ToString(CultureInfo.InvariantCulture), r.Chunks.ToString(CultureInfo.InvariantCulture),
                    Md.F(r.Decode, 2), Md.F(r.Decode * 1000 / frames, 2), Md.F(r.Decode / onePieceS, 2),
                    Md.F(r.Tracked, 2), Md.F(r.Tracked * 1000 / frames, 2), Md.F(r.Tracked / best, 2)));
            }

            rows.Add("");
            rows.Add(FormattableString.Invariant(
                $"One-piece decode of the same {frames} frames to RGB24 (one `FrameRangeReader` run from frame 0): {onePieceS:0.00} s ({onePieceS * 1000 / frames:0.00} ms/frame). ") +
                "Each chunk is decoded by its own ffmpeg run sought to the key frame before it (16 frames of margin), as the service decodes it; " +
                "tracked = decode + detector + landmark model per chunk, a fresh tracker per chunk (`ChunkFaceTracking.TrackAsync`, what `ReconstructFaces` runs, without the message round trip and the record write).");
            return string.Join(Environment.NewLine, rows) + Environment.NewLine;
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    private static async Task DecodeAsync(string clip, FrameTimeline timeline, int w, int h, int first, int count, CancellationToken ct)
    {
        await foreach (var _ in FrameRangeReader.ReadAllAsync(clip, timeline, w, h, first, count, null, cancellationToken: ct))
        {
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");
}
