using System.Diagnostics;
using System.Globalization;
using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.Benchmarks;

/// <summary>
/// The neural renderer's speed: a training step (generator + discriminator, batch of pairs) per crop size, and the
/// generator's inference per frame with ONNX Runtime through <see cref="GeneratorSession.Run"/> (copies in and out)
/// against the raw session run on the same bound tensors (<see cref="GeneratorSession.RunBound"/>), with TorchSharp's
/// forward pass beside them. Inputs are random planes in [0, 1]: the cost does not depend on the content.
/// </summary>
internal static class NeuralRendererBenchmark
{
    private const int WarmupSteps = 2;
    private const int WarmupFrames = 3;

    public static string Run(int[] sizes, int baseChannels, int batch, int steps, int frames, int inferenceBatch, CancellationToken ct)
    {
        var device = TorchDevices.Preferred();
        var training = new List<string>();
        var inference = new List<string>();
        foreach (var size in sizes)
        {
            ct.ThrowIfCancellationRequested();
            Console.Error.WriteLine($"neural: {size}x{size}, training…");
            var config = NeuralRendererConfig.ForCrop(size, baseChannels: baseChannels);
            var pairs = RandomPairs(Math.Max(batch, 4), size);
            using var trainer = new GanTrainer(config, new TrainingOptions { BatchSize = batch }, device);
            var stepMs = new List<double>();
            for (var s = 0; s < WarmupSteps + steps; s++)
            {
                ct.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                trainer.TrainStep(pairs);
                if (s >= WarmupSteps)
                {
                    stepMs.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            var step = Summary.Of(stepMs);
            var gParams = trainer.Generator.parameters().Sum(p => p.numel());
            var dParams = trainer.Discriminator.parameters().Sum(p => p.numel());
            training.Add(Md.Row(
                $"{size}x{size}",
                device.type.ToString(),
                Md.F(gParams / 1e6, 2) + " M / " + Md.F(dParams / 1e6, 2) + " M",
                batch.ToString(CultureInfo.InvariantCulture),
                $"{Md.F(step.Median, 0)} / {Md.F(step.Mean, 0)} / {Md.F(step.Min, 0)}",
                Md.F(step.Median / batch, 0),
                Md.F(3_600_000 / step.Median, 0)));

            Console.Error.WriteLine($"neural: {size}x{size}, inference…");
            inference.Add(Inference(trainer.Generator, size, frames, inferenceBatch, ct));
        }

        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"### Neural renderer: training step and generator inference ({baseChannels} base channels, {ConditioningLayout.Channels} input planes)"),
            "",
            $"Command: `{Md.Command("neural", "--sizes", string.Join(',', sizes), "--base-channels", Inv(baseChannels), "--batch", Inv(batch), "--steps", Inv(steps), "--frames", Inv(frames), "--inference-batch", Inv(inferenceBatch))}`",
            "",
            Md.Row("crop", "device", "parameters G / D", "pairs/step", "step ms (median / mean / min)", "ms per pair", "steps/hour"),
            Md.Separator(7, 3, 4, 5, 6),
        };
        lines.AddRange(training);
        lines.Add("");
        lines.Add(string.Create(
            CultureInfo.InvariantCulture,
            $"A step = generator forward, discriminator LSGAN update, generator update (L1 in/out of the mask, LSGAN, feature matching), Adam on both. {WarmupSteps} warm-up steps, then {steps} timed."));
        lines.Add("");
        lines.Add(Md.Row("crop", "provider", "batch", "GeneratorSession.Run ms/frame (median / mean / min)", "raw ORT run ms/frame (median / mean / min)", "Run/raw median", "TorchSharp forward ms/frame (median)"));
        lines.Add(Md.Separator(7, 2, 3, 4, 5, 6));
        lines.AddRange(inference);
        lines.Add("");
        lines.Add(string.Create(
            CultureInfo.InvariantCulture,
            $"Per batch, interleaved (order alternating): `GeneratorSession.Run` (copy the planes in, run, copy the RGB planes out) and the raw session run on the same bound tensors; then, in a loop of its own, TorchSharp's forward (no gradients) on the same values. Times divided by the batch. {WarmupFrames} warm-up batches, {frames} timed."));
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    private static string Inference(UNetGenerator generator, int size, int frames, int batch, CancellationToken ct)
    {
        using var session = new GeneratorSession(GeneratorOnnxExporter.Export(generator, size, size), batch);
        var plane = ConditioningLayout.Channels * size * size;
        var rng = new Random(3);
        var input = new float[batch * plane];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)rng.NextDouble();
        }

        var rgb = new float[batch * 3 * size * size];
        using var tensor = torch.tensor(input, [batch, ConditioningLayout.Channels, size, size]).to(generator.parameters().First().device);
        generator.eval();
        List<double> run = [], raw = [], torchMs = [];

        // ONNX Runtime first, the two ways interleaved (order alternating per batch); TorchSharp after, in its own
        // loop, so that neither runtime's idle worker threads (ORT's spinning, OpenMP's spin-wait) slow the other.
        for (var f = 0; f < WarmupFrames + frames; f++)
        {
            ct.ThrowIfCancellationRequested();
            double a = 0, b = 0;
            for (var k = 0; k < 2; k++)
            {
                var clock = Stopwatch.StartNew();
                if ((k == 0) == (f % 2 == 0))
                {
                    session.Run(input, batch, rgb);
                    a = clock.Elapsed.TotalMilliseconds;
                }
                else
                {
                    input.CopyTo(session.Input);
                    clock.Restart();
                    session.RunBound(batch);
                    b = clock.Elapsed.TotalMilliseconds;
                }
            }

            if (f >= WarmupFrames)
            {
                run.Add(a / batch);
                raw.Add(b / batch);
            }
        }

        for (var f = 0; f < WarmupFrames + frames; f++)
        {
            ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            using (torch.no_grad())
            using (var scope = torch.NewDisposeScope())
            {
                _ = generator.forward(tensor).cpu();
            }

            if (f >= WarmupFrames)
            {
                torchMs.Add(clock.Elapsed.TotalMilliseconds / batch);
            }
        }

        var (sr, sw, st) = (Summary.Of(run), Summary.Of(raw), Summary.Of(torchMs));
        return Md.Row(
            $"{size}x{size}",
            session.Provider,
            Inv(batch),
            $"{Md.F(sr.Median, 1)} / {Md.F(sr.Mean, 1)} / {Md.F(sr.Min, 1)}",
            $"{Md.F(sw.Median, 1)} / {Md.F(sw.Mean, 1)} / {Md.F(sw.Min, 1)}",
            Md.F(sr.Median / sw.Median, 2),
            Md.F(st.Median, 1));
    }

    internal static InMemoryPairSource RandomPairs(int count, int size)
    {
        var rng = new Random(7);
        var plane = size * size;
        float[] R(int n)
        {
            var a = new float[n];
            for (var i = 0; i < n; i++)
            {
                a[i] = (float)rng.NextDouble();
            }

            return a;
        }

        var mask = new float[plane];
        for (var y = size / 8; y < size - size / 8; y++)
        {
            Array.Fill(mask, 1f, y * size + size / 8, size - size / 4);
        }

        return new InMemoryPairSource(
            Enumerable.Range(0, count).Select(_ => new TrainingPair(R(ConditioningLayout.Channels * plane), R(3 * plane), mask)).ToArray(),
            ConditioningLayout.Channels,
            size,
            size);
    }

    private static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);
}
