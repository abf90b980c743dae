using System.Diagnostics;
using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.NeuralRenderer;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Retarget fidelity onto a trained actor (issue 13 for the neural renderer): the actor's GAN is trained on the actor's
/// clip as the Training service trains it (<c>ActorTrainingStage</c>: default <see cref="TrainingSettings"/> with a
/// wall-time budget, its footage crops, pairs, schedule, validation and best-generator rule), exported to ONNX and run by
/// <see cref="NeuralFaceRenderer"/> as the rendering service runs it; each performer is planned and rendered onto the
/// actor with the warp renderer (the default path) and with the neural renderer, both results are tracked again by a
/// fresh tracker and measured by <see cref="FidelityBenchmark.Measure"/>, side by side.
/// </summary>
internal static class NeuralFidelityBenchmark
{
    public const string DefaultActor = "grid_lbbc2a.mp4";

    public static IReadOnlyList<string> DefaultPerformers { get; } = ["obama_wh_closeup.mp4", "new_face_video-90.mp4", "intel_headpose_male.mp4"];

    // TrainingStageOptions' defaults (services/Training reads them from configuration; none are set there).
    private const int MaxFrames = 400;
    private const int SourcesPerTarget = 4;
    private const int ProgressInterval = 10;
    private const int ValidationInterval = 100;
    private const int CheckpointInterval = 50;

    private sealed record PairResult(string Performer, string Actor, int Frames, IReadOnlyList<FeatureFidelity> Warp, double WarpMs, IReadOnlyList<FeatureFidelity> Neural, double NeuralMs);

    private sealed record Trained(
        byte[] Onnx, TrainingSettings Settings, int Steps, TimeSpan Elapsed, TrainingStopReason Reason, TimeSpan CheckpointTime, int Checkpoints,
        int KeptStep, ValidationMetrics Kept, ValidationMetrics Last, ValidationMetrics Untrained, ValidationMetrics Warp,
        int TrainingFrames, int ValidationFrames, int TrainingPairs, int ValidationPairs, string Device);

    public static async Task<string> RunAsync(string media, string actorFile, double minutes, IReadOnlyList<string> performerFiles, string? stills, string workParent, CancellationToken ct)
    {
        var scratch = BenchPaths.CreateScratch(workParent, "neural-fidelity");
        try
        {
            var models = BenchModels.Load();
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = models.OpenLandmarkModel(refined: true); // the pipeline's tracker, as in `fidelity`
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            var store = new MediaStore(scratch);
            var rig = new RetargetRig(store, detector, landmarker, mesh);

            async Task<TrackedClip> Track(string file)
            {
                var path = Path.Combine(media, file);
                if (!File.Exists(path))
                {
                    throw new BenchException($"Clip not found: {path}");
                }

                var name = Path.GetFileNameWithoutExtension(file);
                Console.Error.WriteLine($"neural-fidelity: tracking {file}…");
                var clip = await rig.TrackAsync(path, name, ct);
                var faces = ExpressionTransferStage.WithNeutral(clip.Faces, NeutralMode.Resting); // as `fidelity` (and the transfer stage) do
                Console.Error.WriteLine($"neural-fidelity: {name} neutral frame {faces.NeutralFrame} (resting: {string.Join(",", faces.RestingFrames ?? [])})");
                return clip with { Faces = faces };
            }

            var actor = await Track(actorFile);
            var performers = new List<TrackedClip>();
            foreach (var file in performerFiles)
            {
                performers.Add(await Track(file));
            }

            var settings = TrainingSettings.Default with { MaxMinutes = minutes };
            var trained = await TrainAsync(store, mesh, actor, settings, scratch, ct);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"neural-fidelity: trained {trained.Steps} steps in {trained.Elapsed.TotalMinutes:F1} min; kept step {trained.KeptStep} ({trained.Kept.Psnr:F2} dB held-out PSNR); ONNX {trained.Onnx.Length / 1e6:F1} MB"));

            var (width, height) = (actor.Clip.Video.Width, actor.Clip.Video.Height);
            using var neural = new NeuralFaceRenderer(trained.Onnx, mesh); // one per job, as the rendering service opens it
            var results = new List<PairResult>();
            foreach (var performer in performers)
            {
                ct.ThrowIfCancellationRequested();
                Console.Error.WriteLine($"neural-fidelity: {performer.Clip.Clip} onto {actor.Clip.Clip}: warp…");
                var (plan, warpFrames, warpMs) = await rig.RetargetAsync(performer, actor, RetargetPlanOptions.Default, RetargetSettings.Default, ct);
                var warpFidelity = FidelityBenchmark.Measure(performer, actor, rig.TrackFrames(warpFrames, width, height), plan);
                Console.Error.WriteLine($"neural-fidelity: {performer.Clip.Clip} onto {actor.Clip.Clip}: neural…");
                var (neuralPlan, neuralFrames, neuralMs) = await rig.RetargetAsync(performer, actor, RetargetPlanOptions.Default, RetargetSettings.Default, ct, neural: neural);
                if (neuralPlan.Frames.Count != plan.Frames.Count)
                {
                    throw new BenchException("The planner gave two different plans for the same pair.");
                }

                var neuralFidelity = FidelityBenchmark.Measure(performer, actor, rig.TrackFrames(neuralFrames, width, height), plan);
                results.Add(new PairResult(performer.Clip.Clip, actor.Clip.Clip, plan.Frames.Count, warpFidelity, warpMs, neuralFidelity, neuralMs));
                if (stills is not null)
                {
                    await WriteStillsAsync(store, performer, plan, warpFrames, neuralFrames, width, height, stills, $"{performer.Clip.Clip}-onto-{actor.Clip.Clip}", ct);
                }
            }

            return Report(media, actorFile, minutes, performerFiles, stills, actor, trained, results);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>
    /// Trains the actor's generator as <c>ActorTrainingStage.RunAsync</c> does (that class is the Training service's and this
    /// project does not reference it; every step below is its, in its order): footage as <c>ActorFootage.LoadAsync</c> cuts it,
    /// self-reenactment pairs, the schedule from the step budget, validation on held-out targets reached from training
    /// frames, a checkpoint every 50 steps (to the bench's scratch store, so the wall-time budget pays for it as the service's
    /// does), and the generator of the best held-out PSNR kept, exported to ONNX.
    /// </summary>
    private static async Task<Trained> TrainAsync(MediaStore store, CanonicalFaceMesh mesh, TrackedClip actor, TrainingSettings settings, string scratch, CancellationToken ct)
    {
        if (settings.Problems() is { Count: > 0 } problems)
        {
            throw new BenchException(string.Join(" ", problems));
        }

        var (frames, training, held) = await FootageAsync(store, actor, NeuralFaceRenderer.FootageScale * settings.CropSize, MaxFrames, settings.ValidationFraction, ct);
        var builder = new SelfReenactmentPairBuilder(mesh, settings.CropSize);
        var train = new SelfReenactmentPairSource(builder, frames, SelfReenactmentPairSource.RandomPairs(training, SourcesPerTarget, seed: 1));
        var validation = new SelfReenactmentPairSource(builder, frames, SelfReenactmentPairSource.RandomPairs(held, training, 1, seed: 2));
        var half = Math.Max(1, settings.MaxSteps / 2);
        var options = new TrainingOptions
        {
            BatchSize = settings.BatchSize,
            ConstantSteps = half,
            DecaySteps = Math.Max(1, settings.MaxSteps - half),
            ProgressInterval = ProgressInterval,
            ValidationInterval = ValidationInterval,
            CheckpointInterval = CheckpointInterval,
        };

        using var trainer = new GanTrainer(NeuralRendererConfig.ForCrop(settings.CropSize), options);
        var untrained = trainer.Validate(validation);
        byte[]? onnx = null;
        ValidationMetrics? kept = null;
        var keptStep = 0;
        void Offer(GanTrainer t, ValidationMetrics m)
        {
            // BestGenerator.Offer: a generator replaces the kept one only when its held-out PSNR is higher.
            if (kept is not null && kept.Psnr >= m.Psnr)
            {
                return;
            }

            (kept, keptStep, onnx) = (m, t.Step, t.ExportGeneratorOnnx());
        }

        var checkpointClock = new Stopwatch();
        var checkpoints = 0;
        void Checkpoint(GanTrainer t)
        {
            checkpointClock.Start();
            using (var pending = store.BeginWrite("actor-model/checkpoint.fpnr"))
            {
                using (var stream = File.Create(pending.TempPath))
                {
                    t.SaveCheckpoint(stream);
                }

                pending.Commit();
            }

            checkpoints++;
            checkpointClock.Stop();
        }

        Console.Error.WriteLine($"neural-fidelity: training on {training.Count} frames ({train.Count} pairs), {held.Count} held out ({validation.Count} pairs), crop {settings.CropSize}, budget {settings.MaxSteps} steps / {settings.MaxMinutes} min, device {trainer.Device.type}…");
        var result = await Task.Run(
            () => trainer.Train(
                train,
                validation,
                new TrainingBudget(settings.MaxSteps, settings.MaxMinutes is { } m ? TimeSpan.FromMinutes(m) : null),
                p =>
                {
                    if (p.Validation is not null || p.Step % 50 == 0)
                    {
                        Console.Error.WriteLine(string.Create(
                            CultureInfo.InvariantCulture,
                            $"neural-fidelity: step {p.Step}, {p.Elapsed.TotalMinutes:F1} min, L1 {p.Losses?.L1:F4}, D {p.Losses?.Discriminator:F3}{(p.Validation is { } v ? $", held-out PSNR {v.Psnr:F2} dB" : "")}"));
                    }
                },
                Checkpoint,
                ct,
                Offer),
            CancellationToken.None);
        var final = result.Validation ?? trainer.Validate(validation);
        Offer(trainer, final);
        var warp = RendererPreview.WarpMetrics(validation);
        return new Trained(
            onnx!, settings, result.Step, result.Elapsed, result.Reason, checkpointClock.Elapsed, checkpoints, keptStep, kept!, final, untrained, warp,
            training.Count, held.Count, train.Count, validation.Count, trainer.Device.type.ToString());
    }

    /// <summary>
    /// The actor's footage as <c>ActorFootage.LoadAsync</c> loads it for one clip: up to <paramref name="maxFrames"/> tracked
    /// frames spread over the clip, each a face-aligned <paramref name="footageSize"/>² crop
    /// (<see cref="NeuralFaceRenderer.FootageCrop"/>'s span) with its mesh in crop pixels; the last share held out.
    /// </summary>
    private static async Task<(List<ActorFrame> Frames, List<int> Training, List<int> Validation)> FootageAsync(
        MediaStore store, TrackedClip clip, int footageSize, int maxFrames, double validationFraction, CancellationToken ct)
    {
        var faces = new List<(int Frame, Point2[] Mesh)>();
        for (var f = 0; f < clip.Faces.Frames.Count; f++)
        {
            if (clip.Faces.Frames[f] is { } face)
            {
                faces.Add((f, [.. face.Screen.Select(p => new Point2(p.X, p.Y))]));
            }
        }

        var share = Math.Min(faces.Count, maxFrames);
        if (share < 2)
        {
            throw new BenchException($"{clip.Clip.Clip}: {faces.Count} frame(s) with a tracked face; training needs at least 2.");
        }

        var held = Math.Max(1, (int)Math.Round(share * validationFraction));
        var frames = new List<ActorFrame>();
        var training = new List<int>();
        var validation = new List<int>();
        using var reader = new ClipFrameReader(store, clip.Clip);
        var pixels = new byte[reader.FrameBytes];
        for (var k = 0; k < share; k++)
        {
            var (frame, mesh) = faces[(int)Math.Round((double)k * (faces.Count - 1) / (share - 1))];
            await reader.ReadAsync(frame, pixels, ct);
            var crop = FaceCrop.Of(mesh, footageSize, NeuralFaceRenderer.FootageSpanInEyeDistances);
            var rgb = new byte[footageSize * footageSize * 3];
            crop.Resample(pixels, reader.Width, reader.Height, rgb);
            var local = new Point2[mesh.Length];
            crop.ToCrop(mesh, local);
            (k >= share - held ? validation : training).Add(frames.Count);
            frames.Add(new ActorFrame(rgb, footageSize, footageSize, local));
        }

        if (training.Count == 0 || validation.Count == 0)
        {
            throw new BenchException($"{clip.Clip.Clip}: too little footage to train and hold frames out ({frames.Count} usable frames).");
        }

        return (frames, training, validation);
    }

    /// <summary>Three output frames of a pair: the performer's frame (scaled to the actor's height) | warp | neural.</summary>
    private static async Task WriteStillsAsync(MediaStore store, TrackedClip performer, RetargetPlan plan, List<byte[]> warp, List<byte[]> neural, int width, int height, string folder, string name, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        using var reader = new ClipFrameReader(store, performer.Clip);
        var source = new byte[reader.FrameBytes];
        var scaledWidth = Math.Max(1, (int)Math.Round((double)reader.Width * height / reader.Height));
        var total = scaledWidth + (2 * width);
        foreach (var k in new[] { warp.Count / 4, warp.Count / 2, 3 * warp.Count / 4 })
        {
            var sourceFrame = Math.Clamp((int)Math.Round(plan.Frames[k].SourcePosition), 0, reader.FrameCount - 1);
            await reader.ReadAsync(sourceFrame, source, ct);
            var picture = new byte[total * height * 3];
            for (var y = 0; y < height; y++)
            {
                var sy = Math.Min(reader.Height - 1, (int)((y + 0.5) * reader.Height / height));
                for (var x = 0; x < scaledWidth; x++)
                {
                    var sx = Math.Min(reader.Width - 1, (int)((x + 0.5) * reader.Width / scaledWidth));
                    Array.Copy(source, ((sy * reader.Width) + sx) * 3, picture, ((y * total) + x) * 3, 3);
                }

                Array.Copy(warp[k], y * width * 3, picture, ((y * total) + scaledWidth) * 3, width * 3);
                Array.Copy(neural[k], y * width * 3, picture, ((y * total) + scaledWidth + width) * 3, width * 3);
            }

            await FacePipeline.Media.StillImageWriter.WriteAsync(picture, total, height, Path.Combine(folder, $"{name}-{k:D4}.png"), ct);
        }
    }

    private static string Report(string media, string actorFile, double minutes, IReadOnlyList<string> performerFiles, string? stills, TrackedClip actor, Trained t, List<PairResult> results)
    {
        var args = new List<string> { "neural-fidelity", "--media", BenchArgs.PathArg(media) };
        if (actorFile != DefaultActor)
        {
            args.AddRange(["--actor", actorFile]);
        }

        if (minutes != 6)
        {
            args.AddRange(["--minutes", minutes.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!performerFiles.SequenceEqual(DefaultPerformers))
        {
            args.AddRange(["--performers", string.Join(',', performerFiles)]);
        }

        if (stills is not null)
        {
            args.AddRange(["--stills", stills]);
        }

        var video = actor.Clip.Video;
        var tracked = actor.Faces.Frames.Count(f => f is not null);
        var msPerStep = t.Elapsed.TotalMilliseconds / Math.Max(1, t.Steps);
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"### Retarget fidelity onto a trained actor: warp renderer against the neural renderer ({actorFile}, {video.Width}x{video.Height}, {video.FrameCount} frames)"),
            "",
            $"Command: `{Md.Command([.. args])}`",
            "",
            string.Create(
                CultureInfo.InvariantCulture,
                $"Training, as the Training service trains an actor (`TrainingSettings` defaults: crop {t.Settings.CropSize}, batch {t.Settings.BatchSize}, at most {t.Settings.MaxSteps} steps, held-out share {t.Settings.ValidationFraction:F2}; `maxMinutes` {minutes:0.##}): "
                + $"{t.TrainingFrames} training frames of the {tracked} with a tracked face ({t.TrainingPairs} pairs, {SourcesPerTarget} sources per frame), the last {t.ValidationFrames} held out ({t.ValidationPairs} pairs: held-out targets warped from training frames), "
                + $"footage crops {NeuralFaceRenderer.FootageScale * t.Settings.CropSize} px over {NeuralFaceRenderer.FootageSpanInEyeDistances:0} inter-ocular distances. "
                + $"**{t.Steps} steps in {t.Elapsed.TotalMinutes:F1} min ({msPerStep:F0} ms/step on {t.Device}, validations, ONNX exports of each better generator and {t.Checkpoints} checkpoint{(t.Checkpoints == 1 ? "" : "s")} (every {CheckpointInterval} steps and at the end; {t.CheckpointTime.TotalSeconds:F1} s) included), stopped by the {(t.Reason == TrainingStopReason.TimeBudget ? "time" : "step")} budget.** "
                + $"Learning rate constant for the first {Math.Max(1, t.Settings.MaxSteps / 2)} steps (the schedule follows the step budget)."),
            "",
            Md.Row("held-out pairs (retarget protocol)", "L1 in face mask", "PSNR dB", "SSIM"),
            Md.Separator(4, 1, 2, 3),
            Md.Row("warp renderer", Md.F(t.Warp.L1, 4), Md.F(t.Warp.Psnr, 2), Md.F(t.Warp.Ssim, 3)),
            Md.Row("GAN, untrained", Md.F(t.Untrained.L1, 4), Md.F(t.Untrained.Psnr, 2), Md.F(t.Untrained.Ssim, 3)),
            Md.Row($"GAN, last step ({t.Steps.ToString(CultureInfo.InvariantCulture)})", Md.F(t.Last.L1, 4), Md.F(t.Last.Psnr, 2), Md.F(t.Last.Ssim, 3)),
            Md.Row($"GAN kept (best held-out PSNR, step {t.KeptStep.ToString(CultureInfo.InvariantCulture)}): the one rendered below", Md.F(t.Kept.L1, 4), Md.F(t.Kept.Psnr, 2), Md.F(t.Kept.Ssim, 3)),
            "",
            "Each cell: r(performer, result) / range ratio (result p95–p5 over the performer's) / leakage r(actor, result). "
            + $"Goals: r ≥ {FidelityGoals.MinR:F1}, ratio {FidelityGoals.MinRangeRatio:F2}–{FidelityGoals.MaxRangeRatio:F2}, leakage ≤ {FidelityGoals.MaxLeakage:F1}; "
            + $"a feature the performer moves less than {FidelityGoals.MinSpan:F3} IOD (p95–p5) is not judged (–). ✓: all three goals met. Gaze (iris in the eye, in eye widths; needs irises): goal r ≥ {FidelityGoals.MinGazeR:F1}.",
            "",
            Md.Row([.. new[] { "performer → actor", "renderer", "frames" }.Concat(FidelityGoals.Followed.Select(ExpressionFeatures.Label)).Concat(["gaze across / down: r (frames)", "brows R / L: r", "r(performer, actor): mouth / width", "render ms/frame", "goals met"])]),
            Md.Separator(FidelityGoals.Followed.Count + 8, 2, FidelityGoals.Followed.Count + 6),
        };

        var totals = new Dictionary<string, (int Met, int Judged, List<double> R)> { ["warp"] = (0, 0, []), ["neural"] = (0, 0, []) };
        foreach (var pair in results)
        {
            foreach (var (renderer, fidelity, ms) in new[] { ("warp", pair.Warp, pair.WarpMs), ("neural", pair.Neural, pair.NeuralMs) })
            {
                var (row, met, judged) = Row($"{pair.Performer} → {pair.Actor}", renderer, fidelity, pair.Frames, ms);
                lines.Add(row);
                var total = totals[renderer];
                total.R.AddRange(fidelity.Where(f => (FidelityGoals.Followed.Contains(f.Feature) || FidelityGoals.Gaze.Contains(f.Feature)) && f.Moves).Select(f => f.PerformerR).Where(double.IsFinite));
                totals[renderer] = (total.Met + met, total.Judged + judged, total.R);
            }
        }

        lines.Add("");
        lines.Add(string.Join(" ", totals.Select(kv => string.Create(CultureInfo.InvariantCulture,
            $"{(kv.Key == "warp" ? "Warp renderer" : "Neural renderer")}: {kv.Value.Judged} features judged, all goals met on {kv.Value.Met}, mean r(performer, result) {(kv.Value.R.Count > 0 ? kv.Value.R.Average() : double.NaN):F2}."))));
        lines.Add("");
        lines.Add("Both renderers render the same plan (resting neutrals, full intensity, the target's pose, ping-pong, as `facepipe-bench fidelity`), and both results are tracked again by a fresh tracker and measured as `fidelity` measures them. "
            + "Warp: the rendering stage's default path (the actor's resting face, one round of the closed loop, gaze painted). "
            + "Neural: `RetargetFrameRenderer` with the actor's generator (`NeuralFaceRenderer` over ONNX Runtime, CPU), as the rendering service runs a job that names a trained model: each target frame's own face is the generator's input, no closed loop, no gaze painting. "
            + "Render ms/frame: per output frame, target frame reads included; the first pair carries the JIT and ONNX Runtime's first runs.");
        if (stills is not null)
        {
            lines.Add("");
            lines.Add($"Stills (performer | warp | neural, three frames per pair): `{stills}`.");
        }

        return string.Join('\n', lines) + "\n";
    }

    private static (string Row, int Met, int Judged) Row(string pair, string renderer, IReadOnlyList<FeatureFidelity> fidelity, int frames, double ms)
    {
        var (featureCells, met, judged) = FidelityBenchmark.FeatureCells(fidelity);
        var cells = new List<string> { pair, renderer, $"{fidelity[0].Frames}/{frames}" };
        cells.AddRange(featureCells);
        cells.Add(Md.F(ms, 1));
        cells.Add($"{met} of {judged}");
        return (Md.Row([.. cells]), met, judged);
    }

    private static string R(double r) => double.IsNaN(r) ? "n/a" : r.ToString("F2", CultureInfo.InvariantCulture);
}
