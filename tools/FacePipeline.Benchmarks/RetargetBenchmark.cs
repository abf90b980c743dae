using System.Diagnostics;
using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Retargeting, in-process with the pipeline's own classes: expression-transfer and warp-rendering
/// ms/frame against the encode floor (libx264 alone on the same rendered frames), the cycle
/// expression error (the result reconstructed again, against the transferred face) and the jitter
/// of a result rendered on a still target.
/// </summary>
internal static class RetargetBenchmark
{
    /// <summary>Source and targets of the default run: the README's pair, a 720p target, and the 720p target upscaled to 2160p.</summary>
    public const string DefaultSource = "obama_wh_closeup.mp4";
    public const string DefaultSmallTarget = "grid_lbbc2a.mp4";
    public const string DefaultHdTarget = "obama_wh_medium.mp4";

    /// <summary>Frames rendered and encoded at 2160p (each frame is 24 MiB; they are kept in memory for the encode floor).</summary>
    private const int UhdFrames = 48;

    private static readonly int[] Rigid = [.. JitterBenchmark.Forehead, .. JitterBenchmark.NoseBridge];

    public static async Task<string> RunAsync(string source, string smallTarget, string hdTarget, string workParent, CancellationToken ct)
    {
        var scratch = BenchPaths.CreateScratch(workParent, "retarget");
        try
        {
            var models = BenchModels.Load();
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = new FaceLandmarker(models.FaceLandmarks);
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            var bench = new Bench(new MediaStore(scratch), detector, landmarker, mesh);

            var uhd = Path.Combine(scratch, "uhd.mp4");
            await BenchClip.RunFfmpegAsync(["-v", "error", "-i", hdTarget, "-vf", "scale=3840:2160:flags=lanczos", "-frames:v", UhdFrames.ToString(CultureInfo.InvariantCulture), "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", uhd], ct);
            var still = Path.Combine(scratch, "still.png");
            await BenchClip.RunFfmpegAsync(["-v", "error", "-i", smallTarget, "-frames:v", "1", still], ct);
            var stillClip = Path.Combine(scratch, "still.mp4");
            await BenchClip.RunFfmpegAsync(JitterBenchmark.StillArguments(still, stillClip), ct);

            var performer = await bench.TrackAsync(source, "source", ct);
            var runs = new List<Run>();
            foreach (var (path, name, label) in new[]
            {
                (smallTarget, "small", Path.GetFileName(smallTarget)),
                (hdTarget, "hd", Path.GetFileName(hdTarget)),
                (uhd, "uhd", $"{Path.GetFileName(hdTarget)} upscaled to 3840x2160 ({UhdFrames} frames)"),
                (stillClip, "still", $"a still of {Path.GetFileName(smallTarget)} (5 s, noisy)"),
            })
            {
                var target = await bench.TrackAsync(path, name, ct);
                runs.Add(await bench.RetargetAsync(performer, target, label, ct));
            }

            return Report(source, smallTarget, hdTarget, performer, runs);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    private static string Report(string source, string smallTarget, string hdTarget, TrackedClip performer, List<Run> runs)
    {
        var lines = new List<string>
        {
            $"### Retarget: {Path.GetFileName(source)} ({performer.Clip.Video.Width}x{performer.Clip.Video.Height}, {performer.Clip.Video.FrameCount} frames) onto each target",
            string.Empty,
            Md.Row("target", "output", "transfer ms/frame", "warp ms/frame", "x264 ms/frame (floor)", "warp / floor", "crop px (median)"),
            Md.Separator(7, 2, 3, 4, 5, 6),
        };
        foreach (var run in runs)
        {
            lines.Add(Md.Row(
                run.Label,
                $"{run.Width}x{run.Height}, {run.Frames} frames",
                Md.F(run.TransferMs, 3),
                Md.F(run.WarpMs, 2),
                Md.F(run.EncodeMs, 2),
                Md.F(run.WarpMs / run.EncodeMs, 2),
                run.CropPixels.ToString("N0", CultureInfo.InvariantCulture)));
        }

        lines.Add(string.Empty);
        lines.Add(Md.Row("target", "cycle error (cm)", "cycle error / IOD", "expression change (cm)", "change / IOD", "change recovered (3D)", "2D motion recovered", "frames measured"));
        lines.Add(Md.Separator(8, 1, 2, 3, 4, 5, 6, 7));
        foreach (var run in runs)
        {
            lines.Add(Md.Row(run.Label, Md.F(run.Cycle.ErrorCm, 3), Pct(run.Cycle.ErrorCm / run.Cycle.IodCm), Md.F(run.Cycle.ChangeCm, 3), Pct(run.Cycle.ChangeCm / run.Cycle.IodCm), Md.F(run.Cycle.Recovered, 2), Md.F(run.Cycle.ScreenRecovered, 2), run.Cycle.Frames.ToString(CultureInfo.InvariantCulture)));
        }

        var still = runs[^1];
        lines.Add(string.Empty);
        lines.Add(Md.Row("still target", "rigid-point RMS motion / IOD: the still target itself", "the result"));
        lines.Add(Md.Separator(3, 1, 2));
        lines.Add(Md.Row(still.Label, Pct(still.TargetJitter), Pct(still.ResultJitter)));
        lines.Add(string.Empty);
        lines.Add(string.Join(
            " ",
            $"Command: `{Md.Command("retarget", "--source", BenchArgs.PathArg(source), "--small-target", BenchArgs.PathArg(smallTarget), "--hd-target", BenchArgs.PathArg(hdTarget))}`.",
            "Both clips are decoded by `FrameExtractor` and tracked by a fresh `FaceTracker`, then built into 3D face records as in a job (untimed).",
            "*transfer*: `RetargetPlanner.Plan` (neutrals, gap filling, deformation transfer, pose, destination meshes), best of 3, per output frame.",
            "*warp*: `RetargetFrameRenderer` per output frame (reading the target frame and any donor frames from the chunk files, donor selection, `WarpRenderer` in the face crop), best of 2.",
            "*x264 floor*: `H264ClipEncoder` (libx264 veryfast, CRF 20, no audio) alone on the same rendered frames held in memory.",
            "*cycle error*: the result frames are tracked again (fresh tracker, same sequence step); per frame, the mean distance between the result's pose-free landmarks and the transferred face the renderer aimed at, averaged over frames (both in the canonical frame, cm). *expression change*: the same distance between the target's own face and the transferred face: what the renderer had to move. *change recovered (3D)*: Σ (result − target's own)·(transferred − target's own) / Σ |transferred − target's own|² over the pose-free landmarks (1: the reconstruction of the result shows all of the asked change). *2D motion recovered*: the same in the image, raw landmarks of the result against the destination meshes (what the landmark model sees of the warp).",
            "*jitter*: RMS frame-to-frame motion of the 8 rigid points (forehead 10, 151, 9, 8; nose bridge 168, 6, 197, 195) / inter-ocular distance, raw tracking, on the noisy still target and on the result retargeted onto it (whose head does not move).",
            "IOD: the target neutral's inter-ocular distance."));
        return string.Join('\n', lines) + "\n";
    }

    private static string Pct(double fraction) => Md.F(fraction * 100, 2) + "%";

    /// <param name="Recovered">How much of the asked change (transferred − target's own face) the result's reconstruction shows: Σ (result − own)·(asked) / Σ |asked|² (1: all of it, 0: none).</param>
    /// <param name="ScreenRecovered">The same in the image: how much of the asked 2D landmark motion the result's raw tracking shows.</param>
    private sealed record CycleError(double ErrorCm, double ChangeCm, double IodCm, int Frames, double Recovered, double ScreenRecovered = 0);

    private sealed record Run(string Label, int Width, int Height, int Frames, double TransferMs, double WarpMs, double EncodeMs, long CropPixels, CycleError Cycle, double TargetJitter, double ResultJitter);

    private sealed class Bench(MediaStore store, BlazeFaceDetector detector, FaceLandmarker landmarker, CanonicalFaceMesh mesh)
    {
        private readonly RetargetRig _rig = new(store, detector, landmarker, mesh);

        /// <summary>Extracts a clip into the store (as a job would), tracks it and builds its 3D face records.</summary>
        public Task<TrackedClip> TrackAsync(string path, string name, CancellationToken ct) => _rig.TrackAsync(path, name, ct);

        public async Task<Run> RetargetAsync(TrackedClip source, TrackedClip target, string label, CancellationToken ct)
        {
            var planner = new RetargetPlanner(mesh);
            var options = RetargetPlanOptions.Default;
            RetargetPlan plan = null!;
            var transfer = double.MaxValue;
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                plan = planner.Plan(source.Faces, target.Faces, options);
                transfer = Math.Min(transfer, clock.Elapsed.TotalMilliseconds / plan.Frames.Count);
            }

            var command = new TransferExpressions(Guid.Empty, source.Clip, target.Clip, RetargetSettings.Default, "transfer.json");
            var document = ExpressionTransferStage.Document(command, plan);
            var render = new RenderRetargetOutputs(Guid.Empty, source.Clip, target.Clip, RetargetSettings.Default, "transfer.json", "result.mp4", "review.mp4", null);
            var (width, height) = (target.Clip.Video.Width, target.Clip.Video.Height);
            var frames = new List<byte[]>(plan.Frames.Count);
            var warp = double.MaxValue;
            var crops = new List<long>();
            for (var pass = 0; pass < 2; pass++)
            {
                frames.Clear();
                crops.Clear();
                using var renderer = new RetargetFrameRenderer(store, render, document, new WarpRenderer(mesh));
                var elapsed = TimeSpan.Zero;
                for (var i = 0; i < plan.Frames.Count; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var frame = await renderer.RenderAsync(i, ct);
                    elapsed += Stopwatch.GetElapsedTime(started);
                    frames.Add(frame.ToArray());
                    crops.Add(renderer.LastCrop.Area);
                }

                warp = Math.Min(warp, elapsed.TotalMilliseconds / plan.Frames.Count);
            }

            var encodeClock = Stopwatch.StartNew();
            await H264ClipEncoder.EncodeAsync(InMemory(frames), width, height, new Rational(plan.OutputRate.Numerator, plan.OutputRate.Denominator), null, store.PathFor($"{label.GetHashCode(StringComparison.Ordinal):X8}.mp4"), cancellationToken: ct);
            var encode = encodeClock.Elapsed.TotalMilliseconds / frames.Count;

            // The result, reconstructed again.
            var tracker = new FaceTracker(detector, landmarker);
            var resultRaw = frames.Select((frame, i) => Track(tracker, frame, width, height, i)).ToList();
            var result = Build(resultRaw, target.Clip.Video with { FrameCount = frames.Count });
            var cycle = Cycle(plan, target.Faces, result);
            cycle = cycle with { ScreenRecovered = ScreenRecovered(plan, target.RawRecords, resultRaw) };

            return new Run(
                label, width, height, plan.Frames.Count, transfer, warp, encode,
                (long)crops.Order().ElementAt(crops.Count / 2),
                cycle,
                Jitter(target.RawRecords),
                Jitter(resultRaw));
        }

        private RetargetClip Build(List<FrameRecord> raw, VideoInfo video) => _rig.Build(raw, video);

        private static FrameRecord Track(FaceTracker tracker, byte[] frame, int width, int height, int index) => RetargetRig.Track(tracker, frame, width, height, index);

        private static CycleError Cycle(RetargetPlan plan, RetargetClip target, RetargetClip result)
        {
            double error = 0, change = 0, along = 0, squared = 0;
            var frames = 0;
            foreach (var frame in plan.Frames)
            {
                if (frame.Transferred is not { } wanted || frame.Index >= result.Frames.Count || result.Frames[frame.Index] is not { } got || target.Frames[frame.TargetFrame] is not { } own)
                {
                    continue;
                }

                error += MeanDistance(got.PoseFree, wanted);
                change += MeanDistance(own.PoseFree, wanted);
                for (var k = 0; k < wanted.Length; k++)
                {
                    var asked = wanted[k] - own.PoseFree[k];
                    along += Vec3.Dot(got.PoseFree[k] - own.PoseFree[k], asked);
                    squared += Vec3.Dot(asked, asked);
                }

                frames++;
            }

            return new CycleError(error / Math.Max(1, frames), change / Math.Max(1, frames), FaceSize.Of(plan.TargetNeutral), frames, squared > 0 ? along / squared : 0);
        }

        /// <summary>
        /// How much of the asked 2D landmark motion (destination − the target frame's landmarks) the
        /// result's raw tracking shows in the image: Σ (result − target)·asked / Σ |asked|², raw landmarks of both.
        /// </summary>
        private static double ScreenRecovered(RetargetPlan plan, IReadOnlyList<FrameRecord> targetRaw, IReadOnlyList<FrameRecord> resultRaw)
        {
            double along = 0, squared = 0;
            foreach (var frame in plan.Frames)
            {
                if (frame.Destination is not { } destination || frame.Tracked is not { } tracked
                    || resultRaw[frame.Index].Faces.Count == 0 || targetRaw[frame.TargetFrame].Faces.Count == 0)
                {
                    continue;
                }

                var (got, own) = (resultRaw[frame.Index].Faces[0].Landmarks, targetRaw[frame.TargetFrame].Faces[0].Landmarks);
                for (var k = 0; k < destination.Length; k++)
                {
                    var (x, y) = (destination[k].X - tracked[k].X, destination[k].Y - tracked[k].Y);
                    along += ((got[k][0] - own[k][0]) * x) + ((got[k][1] - own[k][1]) * y);
                    squared += (x * x) + (y * y);
                }
            }

            return squared > 0 ? along / squared : 0;
        }

        private static double MeanDistance(Vec3[] a, Vec3[] b)
        {
            double sum = 0;
            for (var k = 0; k < a.Length; k++)
            {
                sum += (a[k] - b[k]).Length;
            }

            return sum / a.Length;
        }

        /// <summary>RMS frame-to-frame motion of the rigid points (first face, raw), as a fraction of the inter-ocular distance in pixels.</summary>
        private static double Jitter(IReadOnlyList<FrameRecord> raw)
        {
            double sum = 0;
            var count = 0;
            for (var f = 1; f < raw.Count; f++)
            {
                if (raw[f].Faces.Count == 0 || raw[f - 1].Faces.Count == 0)
                {
                    continue;
                }

                var (a, b) = (raw[f - 1].Faces[0].Landmarks, raw[f].Faces[0].Landmarks);
                var iod = PixelIod(b);
                foreach (var k in Rigid)
                {
                    var (dx, dy) = (b[k][0] - a[k][0], b[k][1] - a[k][1]);
                    sum += ((dx * dx) + (dy * dy)) / (iod * iod);
                    count++;
                }
            }

            return Math.Sqrt(sum / Math.Max(1, count));
        }

        private static double PixelIod(float[][] landmarks)
        {
            var points = landmarks.Select(p => new Vec3(p[0], p[1], 0)).ToArray();
            return FaceSize.Of(points);
        }

        private static async IAsyncEnumerable<ReadOnlyMemory<byte>> InMemory(List<byte[]> frames)
        {
            foreach (var frame in frames)
            {
                yield return frame;
            }

            await Task.CompletedTask;
        }
    }
}
