using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Onnx;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// The single-decode design of a track job (issue 16's wall-time goal) against the floors a track job is measured
/// against, all in one run on the same clip: <see cref="OnePassTrackRenderer"/> decodes each frame once, tracks it,
/// filters its faces as the sequence does, draws the QC overlay and encodes it, the three overlapping; the whole-clip
/// steps then run on its records (<see cref="FaceSequenceBuilder"/>, streamed through files as the service streams them).
/// Beside it, timed: the extraction today's job runs first (probe and a full decode for the frame times). The floors are
/// <c>scripts/bench-scale.sh</c>'s: decode (ffmpeg to null), the landmark model (the better of one session and one
/// single-threaded session per core), x264 (ffmpeg decode + libx264 veryfast CRF 20 to null, minus the decode). The
/// overlay's landmarks are checked against the sequence the whole-clip step builds from the same raw records: the QC clip
/// shows what tracking.json would hold.
/// </summary>
internal static class OnePassTrackBenchmark
{
    public static Command Command(string[] args)
    {
        var clip = new Option<string>("--clip") { Description = "The clip (8-bit limited-range 4:2:0, BT.601/BT.709, even height: the planes path).", Required = true };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads for the tracker's sessions (0: its default, spinning on).", DefaultValueFactory = _ => 0 };
        var floorRuns = new Option<int>("--floor-runs") { Description = "Landmark-model runs per session for its floor.", DefaultValueFactory = _ => 2000 };
        var pieces = new Option<int>("--piece-frames")
        {
            Description = "Also run the pass in pieces of this many frames, one after another, each taking up the last one's state from a file and encoding its QC segment; the segments joined (0: not).",
            DefaultValueFactory = _ => 0,
        };
        var chunks = new Option<bool>("--compare-chunks") { Description = "Also track the clip as Reconstruction does (chunks of 512, the tracker restarted on each) and compare the raw records (untimed)." };
        var command = new Command("track-one-pass", "A track job's frames in one pass (decode once, track, filter, draw, encode, overlapped) against the decode, landmark and x264 floors of the same run.")
        {
            clip, threads, floorRuns, chunks, pieces,
        };
        command.SetAction(async (parse, ct) =>
        {
            Md.Header(args);
            Console.WriteLine(await RunAsync(Path.GetFullPath(parse.GetValue(clip)!), parse.GetValue(threads), parse.GetValue(floorRuns), parse.GetValue(chunks), parse.GetValue(pieces), ct));
            return 0;
        });
        return command;
    }

    public static async Task<string> RunAsync(string clip, int threads, int floorRuns, bool compareChunks, int pieceFrames, CancellationToken ct)
    {
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var scratch = BenchPaths.CreateScratch(BenchPaths.DefaultWorkDirectory(), "track-one-pass");
        try
        {
            Progress("extraction (as the job's first stage: probe, full decode for the frame times)");
            var (extractionS, extractionCpu, extraction) = await TimedAsync(() => BenchClip.ExtractAsync(clip, scratch, ct));
            var timeline = FrameTimeline.Load(extraction.TimelinePath);
            if (timeline.PlanesMatrix is null)
            {
                throw new BenchException($"{Path.GetFileName(clip)} does not decode as exact 4:2:0 planes: the one-pass design needs them.");
            }

            var (w, h, frames) = (extraction.Width, extraction.Height, timeline.FrameCount);
            var rate = extraction.FrameRate;
            var timing = FrameTiming.FromTimeline(timeline, extraction.Duration.TotalSeconds);
            var models = BenchModels.Load();
            var refined = models.HasRefinedFaceLandmarks;

            Progress("floor: decode");
            var (decodeS, decodeCpu, _) = await TimedAsync(async () => { await BenchClip.RunFfmpegAsync(["-v", "error", "-i", clip, "-map", "0:v:0", "-f", "null", "-"], ct); return 0; });
            Progress("floor: decode + x264");
            var (encodeS, encodeCpu, _) = await TimedAsync(async () => { await BenchClip.RunFfmpegAsync(["-v", "error", "-i", clip, "-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-f", "null", "-"], ct); return 0; });
            var x264S = encodeS - decodeS;
            Progress("floor: landmark model");
            var (_, _, landmarkMs) = await TimedAsync(() => LandmarkFloorBenchmark.FloorMsPerFrameAsync(clip, floorRuns, refined ? LandmarkFloorBenchmark.Refined : LandmarkFloorBenchmark.Mesh, ct));
            var landmarkS = landmarkMs * frames / 1000;
            var floors = decodeS + landmarkS + x264S;

            var settings = new InferenceSettings(IntraOpNumThreads: threads);
            using var detector = new BlazeFaceDetector(models.FaceDetector, new FaceDetectorOptions { Inference = settings });
            using var landmarker = models.OpenLandmarkModel(refined, settings);
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            int[] triangles = mesh.TriangleIndices();
            var renderer = new OnePassTrackRenderer(detector, landmarker, triangles);
            var rawPath = Path.Combine(scratch, "raw.fptk");
            var drawnPath = Path.Combine(scratch, "drawn.fptk");
            var qcPath = Path.Combine(scratch, "qc.mp4");
            Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task> Mp4(string path, FrameTiming? at) =>
                (drawn, token) => H264ClipEncoder.EncodeAsync(drawn, w, h, rate, null, path, new H264EncodeOptions { Input = QcOverlay.Pixels, Timing = at }, token);

            Progress("warm-up: the one pass on the first 60 frames");
            var warmTimeline = timeline with { Pts = [.. timeline.Pts.Take(60)], Seconds = [.. timeline.Seconds.Take(60)] };
            await renderer.RunAsync(clip, warmTimeline, w, h, 0, warmTimeline.FrameCount, null, new FaceTrackerOptions(), Mp4(Path.Combine(scratch, "warm.mp4"), null), _ => { }, null, ct);

            Progress($"one pass: {frames} frames");
            var (passS, passCpu, summary) = await TimedAsync(async () =>
            {
                await using var raw = File.Create(rawPath);
                await using var shown = File.Create(drawnPath);
                using var rawWriter = new TrackingBinaryWriter(raw, frames, leaveOpen: true);
                using var shownWriter = new TrackingBinaryWriter(shown, frames, leaveOpen: true);
                var result = await renderer.RunAsync(clip, timeline, w, h, 0, frames, null, new FaceTrackerOptions(), Mp4(qcPath, timing), rawWriter.Write, shownWriter.Write, ct);
                rawWriter.Complete();
                shownWriter.Complete();
                return result;
            });

            Progress("whole-clip steps on the records (sequence: link, filter, pose, neutral, expression)");
            var sequencePath = Path.Combine(scratch, "sequence.fptk");
            var (sequenceS, sequenceCpu, _) = await TimedAsync(() =>
            {
                using var output = File.Create(sequencePath);
                using var writer = new TrackingBinaryWriter(output, frames, leaveOpen: true);
                new FaceSequenceBuilder(new MetricLandmarks(mesh)).Build(() => [ReadAll(rawPath)], w, h, FaceSequenceOptions.Default, writer.Write, scratch);
                writer.Complete();
                return Task.FromResult(0);
            });

            var (compared, differ) = Compare(drawnPath, sequencePath);
            var piecesRow = "";
            var piecesLine = "";
            if (pieceFrames > 0)
            {
                Progress($"one pass in pieces of {pieceFrames} frames, the state handed on through a file, the QC segments joined");
                var piecesRawPath = Path.Combine(scratch, "pieces-raw.fptk");
                var (piecesS, piecesCpu, pieceCount) = await TimedAsync(async () =>
                {
                    await using var raw = File.Create(piecesRawPath);
                    using var rawWriter = new TrackingBinaryWriter(raw, frames, leaveOpen: true);
                    var segments = new List<EncodedSegment>();
                    TrackPassState? state = null;
                    var statePath = Path.Combine(scratch, "state.bin");
                    for (var first = 0; first < frames; first += pieceFrames)
                    {
                        var (at, count, segment) = (first, Math.Min(pieceFrames, frames - first), Path.Combine(scratch, $"qc-{first:D6}.nut"));
                        var piece = await renderer.RunAsync(
                            clip, timeline, w, h, at, count, state, new FaceTrackerOptions(),
                            (drawn, token) => ClipSegments.EncodeH264SegmentAsync(drawn, w, h, rate, timing, at, count, segment, new H264EncodeOptions { Input = QcOverlay.Pixels }, token),
                            rawWriter.Write, null, ct);
                        await using (var file = File.Create(statePath))
                        {
                            piece.End.Write(file);
                        }

                        await using (var file = File.OpenRead(statePath))
                        {
                            state = TrackPassState.Read(file);
                        }

                        segments.Add(new EncodedSegment(segment, at, count));
                    }

                    rawWriter.Complete();
                    await ClipSegments.JoinH264Async(segments, w, h, rate, timing, null, Path.Combine(scratch, "qc-joined.mp4"), new H264EncodeOptions { Input = QcOverlay.Pixels }, ct, consume: true);
                    return segments.Count;
                });
                var (same, apart) = SameRecords(rawPath, piecesRawPath);
                piecesRow = Row($"the same pass in {pieceCount} pieces of {pieceFrames} (state handed on through a file, QC segments joined by stream copy)", piecesS, piecesCpu, Ratio(piecesS));
                var joinedFrames = await CountFramesAsync(Path.Combine(scratch, "qc-joined.mp4"), ct);
                piecesLine = string.Create(CultureInfo.InvariantCulture, $"Pieces against one run: {same} frames' records identical, {apart} not; joined QC clip frames: {joinedFrames}.") + Environment.NewLine;
            }

            var chunkLine = compareChunks ? await CompareChunksAsync(clip, timeline, w, h, detector, landmarker, rawPath, ct) : "";
            var qcFrames = await CountFramesAsync(qcPath, ct);
            var staged = extractionS + passS + sequenceS;
            string Row(string what, double s, double cpu, string floorRatio) =>
                Md.Row(what, Md.F(s, 1), Md.F(s * 1000 / frames, 2), Md.F(cpu, 1), Md.F(cpu / s, 2), floorRatio);
            string Ratio(double s) => Md.F(s / floors, 2) + " ×";
            return string.Join(Environment.NewLine,
            [
                string.Create(CultureInfo.InvariantCulture, $"### One-pass track: {Path.GetFileName(clip)} ({w}x{h}), {frames} frames, {landmarker.Name}, tracker sessions with {(threads == 0 ? "ONNX Runtime's default threads" : $"{threads} thread(s)")}"),
                "",
                Md.Row("what", "s", "ms/frame", "CPU s (with ffmpeg)", "cores busy", "× Σ floors"),
                Md.Separator(6, 1, 2, 3, 4, 5),
                Row("floor: decode (ffmpeg → null)", decodeS, decodeCpu, ""),
                Md.Row("floor: landmark model (" + Md.F(landmarkMs, 3) + " ms/frame × frames: the better of 1 session and 1 single-threaded session per core)", Md.F(landmarkS, 1), Md.F(landmarkMs, 2), "", "", ""),
                Row("floor: x264 (decode + x264 → null, minus the decode)", x264S, encodeCpu - decodeCpu, ""),
                Md.Row("**Σ floors**", Md.F(floors, 1), Md.F(floors * 1000 / frames, 2), "", "", "1.00 ×"),
                Row("one pass: decode once, track, filter, draw, x264 (overlapped)", passS, passCpu, Ratio(passS)),
                Row("whole-clip steps on the records (FaceSequenceBuilder, streamed)", sequenceS, sequenceCpu, Ratio(sequenceS)),
                Row("extraction as today's job runs it (probe, decode for the frame times)", extractionS, extractionCpu, Ratio(extractionS)),
                Row("**one pass + whole-clip steps + today's extraction**", staged, extractionCpu + passCpu + sequenceCpu, Ratio(staged)),
                Row("one pass + whole-clip steps (extraction's decode folded into the pass)", passS + sequenceS, passCpu + sequenceCpu, Ratio(passS + sequenceS)),
                .. pieceFrames > 0 ? new[] { piecesRow } : [],
                "",
                piecesLine,
                string.Create(CultureInfo.InvariantCulture,
                    $"Frames with a face: {summary.FramesWithFaces} of {summary.FrameCount}; QC clip frames: {qcFrames}. Overlay against the sequence built from the same records: {compared} faces compared, {differ} with a landmark or box that differs."),
                "",
                chunkLine,
            ]);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>
    /// The clip tracked as Reconstruction tracks it (chunks of 512 frames, the tracker restarted on each), against the one
    /// pass's raw records: frames with a face in each, and how far apart the largest face's landmarks are where both have one.
    /// </summary>
    private static async Task<string> CompareChunksAsync(
        string clip, FrameTimeline timeline, int w, int h, BlazeFaceDetector detector, FaceLandmarkModel landmarker, string rawPath, CancellationToken ct)
    {
        const int chunkSize = 512;
        Progress("tracking as Reconstruction does, in chunks (for comparison, untimed)");
        var tracking = new ChunkFaceTracking(detector, landmarker);
        using var onePass = ReadAll(rawPath).GetEnumerator();
        var (chunkFaces, passFaces, both, sum, worst) = (0, 0, 0, 0.0, 0.0);
        for (var first = 0; first < timeline.FrameCount; first += chunkSize)
        {
            await tracking.TrackAsync(clip, timeline, w, h, first, Math.Min(chunkSize, timeline.FrameCount - first), new FaceTrackerOptions(), chunked =>
            {
                onePass.MoveNext();
                var single = onePass.Current;
                chunkFaces += chunked.Faces.Count > 0 ? 1 : 0;
                passFaces += single.Faces.Count > 0 ? 1 : 0;
                if (chunked.Faces.Count > 0 && single.Faces.Count > 0)
                {
                    var (a, b) = (chunked.Faces[0].Landmarks, single.Faces[0].Landmarks);
                    var d = a.Zip(b).Average(p => Math.Sqrt(Math.Pow(p.First[0] - p.Second[0], 2) + Math.Pow(p.First[1] - p.Second[1], 2)));
                    (both, sum, worst) = (both + 1, sum + d, Math.Max(worst, d));
                }
            }, ct);
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"Tracked as Reconstruction tracks (chunks of {chunkSize}, the tracker restarted on each): {chunkFaces} frames with a face, against the one pass's {passFaces}; where both have one, the largest face's landmarks are {(both == 0 ? 0 : sum / both):0.000} px apart on average (largest {worst:0.00} px).") + Environment.NewLine;
    }

    private static IEnumerable<FrameRecord> ReadAll(string path)
    {
        using var reader = new TrackingBinaryReader(File.OpenRead(path));
        foreach (var frame in reader.ReadAll())
        {
            yield return frame;
        }
    }

    /// <summary>Frames whose records (faces, ids, landmarks, irises) are the same in both files, and frames whose are not.</summary>
    private static (int Same, int Apart) SameRecords(string aPath, string bPath)
    {
        var (same, apart) = (0, 0);
        using var b = ReadAll(bPath).GetEnumerator();
        foreach (var a in ReadAll(aPath))
        {
            var equal = b.MoveNext() && a.Index == b.Current.Index && a.Faces.Count == b.Current.Faces.Count
                && a.Faces.Zip(b.Current.Faces).All(f => f.First.TrackId == f.Second.TrackId
                    && f.First.Landmarks.SelectMany(p => p).SequenceEqual(f.Second.Landmarks.SelectMany(p => p))
                    && (f.First.Irises ?? []).SelectMany(p => p).SequenceEqual((f.Second.Irises ?? []).SelectMany(p => p)));
            (same, apart) = equal ? (same + 1, apart) : (same, apart + 1);
        }

        return (same, apart);
    }

    /// <summary>Faces compared, and faces whose drawn landmarks or box differ from the sequence's (exact).</summary>
    private static (int Compared, int Differ) Compare(string drawnPath, string sequencePath)
    {
        var (compared, differ) = (0, 0);
        using var drawn = ReadAll(drawnPath).GetEnumerator();
        foreach (var frame in ReadAll(sequencePath))
        {
            if (!drawn.MoveNext() || drawn.Current.Index != frame.Index || drawn.Current.Faces.Count != frame.Faces.Count)
            {
                throw new BenchException($"The overlay's records and the sequence part at frame {frame.Index}.");
            }

            for (var i = 0; i < frame.Faces.Count; i++)
            {
                var (a, b) = (drawn.Current.Faces[i], frame.Faces[i]);
                compared++;
                var same = a.Box == b.Box && a.Landmarks.Length == b.Landmarks.Length && a.Landmarks.Zip(b.Landmarks).All(p => p.First.AsSpan().SequenceEqual(p.Second));
                differ += same ? 0 : 1;
            }
        }

        return (compared, differ);
    }

    private static async Task<long> CountFramesAsync(string path, CancellationToken ct)
    {
        var probe = await MediaProbe.ProbeAsync(path, null, ct);
        return probe.Video?.DeclaredFrameCount ?? -1;
    }

    private static async Task<(double Wall, double Cpu, T Result)> TimedAsync<T>(Func<Task<T>> work)
    {
        var before = ProcessCpu.Seconds();
        var clock = Stopwatch.StartNew();
        var result = await work();
        var wall = clock.Elapsed.TotalSeconds;
        var after = ProcessCpu.Seconds();
        return (wall, after.Self + after.Children - before.Self - before.Children, result);
    }


    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");
}
