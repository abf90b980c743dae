using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.NeuralRenderer;
using FacePipeline.Retarget;
using TorchSharp;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Quality of an actor's neural renderer against the warp renderer on held-out frames of one clip: the clip is
/// decoded and tracked by the pipeline's own stages, the last <c>holdOut</c> share of its frames (in time) is kept
/// apart, the GAN trains on self-reenactment pairs of the other frames within a budget, and both renderers are
/// measured on self-reenactment pairs of the held-out frames (sources and targets both held out): L1, PSNR and
/// SSIM inside the face mask. Writes a PNG of real | warp | GAN for a few held-out pairs.
/// </summary>
internal static class NeuralQualityBenchmark
{
    public static async Task<string> RunAsync(
        string clip, int crop, int baseChannels, GeneratorOutput output, TimeSpan duration, int? steps, double holdOut, bool trainingSources, double jitter, int shift, int threads, string? preview, string workParent, CancellationToken ct)
    {
        if (threads > 0)
        {
            torch.set_num_threads(threads);
        }

        var scratch = BenchPaths.CreateScratch(workParent, "neural-quality");
        try
        {
            var models = BenchModels.Load();
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            var extraction = await BenchClip.ExtractAsync(clip, scratch, ct);
            var frames = new List<ActorFrame>();
            using (var detector = new BlazeFaceDetector(models.FaceDetector))
            using (var landmarker = new FaceLandmarker(models.FaceLandmarks))
            using (var source = new FrameSource(extraction))
            {
                var tracker = new FaceTracker(detector, landmarker);
                for (var f = 0; f < source.FrameCount; f++)
                {
                    var rgb = new byte[extraction.FrameSizeBytes];
                    source.Read(f, rgb);
                    var face = tracker.Process(rgb, extraction.Width, extraction.Height)
                        .OrderByDescending(t => Area(t.Landmarks.Points)).FirstOrDefault();
                    if (face is not null)
                    {
                        frames.Add(new ActorFrame(rgb, extraction.Width, extraction.Height, [.. face.Landmarks.Points.Select(p => new Point2(p.X, p.Y))]));
                    }
                }
            }

            var split = (int)Math.Round(frames.Count * (1 - holdOut));
            if (frames.Count < 10 || split < 5 || frames.Count - split < 3)
            {
                throw new BenchException($"{Path.GetFileName(clip)}: {frames.Count} frames with a face, too few to train and hold out.");
            }

            var builder = new SelfReenactmentPairBuilder(mesh, crop);
            var train = new SelfReenactmentPairSource(builder, frames, SelfReenactmentPairSource.RandomPairs([.. Enumerable.Range(0, split)], 4, seed: 1));
            int[] heldOut = [.. Enumerable.Range(split, frames.Count - split)];
            var validation = new SelfReenactmentPairSource(
                new SelfReenactmentPairBuilder(mesh, crop),
                frames,
                trainingSources
                    ? SelfReenactmentPairSource.RandomPairs(heldOut, [.. Enumerable.Range(0, split)], 1, seed: 2)
                    : SelfReenactmentPairSource.RandomPairs(heldOut, 1, seed: 2));
            var warp = RendererPreview.WarpMetrics(validation);

            var device = TorchDevices.Preferred();
            using var trainer = new GanTrainer(
                NeuralRendererConfig.ForCrop(crop, baseChannels: baseChannels, output: output),
                new TrainingOptions { ProgressInterval = 50, ValidationInterval = 250, CheckpointInterval = int.MaxValue, ColourJitter = jitter, MaxShiftPixels = shift },
                device);
            var before = trainer.Validate(validation);
            byte[]? bestGenerator = null;
            var result = trainer.Train(
                train,
                validation,
                new TrainingBudget(steps, duration),
                p => Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"neural-quality: step {p.Step}, {p.Elapsed.TotalMinutes:F1} min, L1 {p.Losses?.L1:F4}, D {p.Losses?.Discriminator:F3}{(p.Validation is { } v ? $", validation PSNR {v.Psnr:F2} dB" : "")}")),
                cancellationToken: ct,
                improved: (t, _) =>
                {
                    using var state = new MemoryStream();
                    t.Generator.save(state);
                    bestGenerator = state.ToArray();
                });
            var gan = result.Validation!;
            var best = result.BestValidation!;
            if (bestGenerator is not null)
            {
                trainer.Generator.load(new MemoryStream(bestGenerator));
            }

            string? previewNote = null;
            if (preview is not null)
            {
                int[] shown = [.. Enumerable.Range(0, validation.Count).Where((_, k) => k % Math.Max(1, validation.Count / 4) == 0).Take(4)];
                var (png, w, h) = RendererPreview.Compose(validation, shown, trainer.Generate(validation, shown));
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(preview))!);
                using (var file = File.Create(preview))
                {
                    RendererPreview.WritePng(file, png, w, h);
                }

                previewNote = $"Preview (real | warp | GAN at its best validation step {result.BestStep}, held-out pairs): `{preview}`.";
            }

            var args = new List<string> { "neural-quality", "--clip", BenchArgs.PathArg(clip), "--crop", Inv(crop), "--base-channels", Inv(baseChannels), "--output", output.ToString(), "--minutes", Md.F(duration.TotalMinutes, 1), "--jitter", Md.F(jitter, 2), "--shift", Inv(shift) };
            if (trainingSources)
            {
                args.Add("--training-sources");
            }

            if (steps is { } s)
            {
                args.AddRange(["--steps", Inv(s)]);
            }

            var lines = new List<string>
            {
                string.Create(CultureInfo.InvariantCulture, $"### Neural renderer quality: {Path.GetFileName(clip)} ({extraction.Width}x{extraction.Height}, {frames.Count} frames with a face; trained on the first {split}, measured on the last {frames.Count - split})"),
                "",
                $"Command: `{Md.Command([.. args])}`",
                "",
                Md.Row("renderer", "L1 in face mask", "PSNR dB", "SSIM"),
                Md.Separator(4, 1, 2, 3),
                Md.Row("warp renderer", Md.F(warp.L1, 4), Md.F(warp.Psnr, 2), Md.F(warp.Ssim, 3)),
                Md.Row("GAN, untrained", Md.F(before.L1, 4), Md.F(before.Psnr, 2), Md.F(before.Ssim, 3)),
                Md.Row(string.Create(CultureInfo.InvariantCulture, $"GAN after {result.Step} steps ({result.Elapsed.TotalMinutes:F1} min, {device.type})"), Md.F(gan.L1, 4), Md.F(gan.Psnr, 2), Md.F(gan.Ssim, 3)),
                Md.Row(string.Create(CultureInfo.InvariantCulture, $"GAN at its best validation (step {result.BestStep})"), Md.F(best.L1, 4), Md.F(best.Psnr, 2), Md.F(best.Ssim, 3)),
                "",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{crop}x{crop} crops, {baseChannels} base channels, generator output {output}, batch 4, Adam 2e-4 (β 0.5, 0.999); {train.Count} training pairs (4 random sources per training frame), {validation.Count} validation pairs ({(trainingSources ? "held-out targets warped from training frames, as a retarget warps the actor's footage" : "source and target both held out")}). " +
                    $"Augmentation: colour jitter ±{jitter:F2}, shift ≤ {shift} px. Validation every 250 steps. GAN − warp: {gan.Psnr - warp.Psnr:+0.00;-0.00} dB PSNR at the end, {best.Psnr - warp.Psnr:+0.00;-0.00} dB at the best step. {result.Elapsed.TotalMilliseconds / Math.Max(1, result.StepsThisCall):F0} ms/step{(threads > 0 ? $", {threads} torch thread(s)" : "")}."),
            };
            if (previewNote is not null)
            {
                lines.Add("");
                lines.Add(previewNote);
            }

            return string.Join(Environment.NewLine, lines) + Environment.NewLine;
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    private static double Area(Landmark[] points)
    {
        var (minX, maxX) = (points.Min(p => p.X), points.Max(p => p.X));
        var (minY, maxY) = (points.Min(p => p.Y), points.Max(p => p.Y));
        return (maxX - minX) * (double)(maxY - minY);
    }

    private static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);
}
