using System.Diagnostics;
using System.Globalization;
using FacePipeline.NeuralRenderer;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Issue 12's minimal reproduction and the cost of its fix: single f32 convolutions on libtorch's CPU backend with oneDNN
/// switched on (libtorch's default) and off (<see cref="LibTorchNumerics"/>), each against the same convolution in float64
/// (which libtorch never sends to oneDNN); then a training step with either setting. Prints the CPU it ran on.
/// </summary>
internal static class NeuralNumericsBenchmark
{
    private static readonly (int N, int Cin, int Cout, int H, int W, int K, int Stride)[] Cases =
    [
        (2, 20, 4, 48, 80, 3, 1),  // the generator's output layer at 48x80 (OnnxExportTests)
        (1, 24, 48, 12, 20, 4, 2), // the generator's third encoder level at 48x80
        (2, 20, 4, 16, 80, 3, 1),
        (1, 20, 4, 24, 40, 3, 1),  // 19,200 input values: under libtorch's threshold, so never sent to oneDNN
        (2, 24, 48, 12, 20, 4, 2),
        (2, 16, 4, 48, 80, 3, 1),  // 16 input planes: a whole AVX-512 block
        (2, 8, 8, 64, 64, 4, 2),   // 8 input planes
        (4, 72, 64, 64, 64, 4, 2), // the discriminator's first layer at 128 (8 + 3 planes would be 11; 72 is 4.5 blocks)
    ];

    public static string Run(int crop, int steps, CancellationToken ct)
    {
        var rows = new List<string>();
        foreach (var c in Cases)
        {
            ct.ThrowIfCancellationRequested();
            var (on, off) = (Error(c, oneDnn: true), Error(c, oneDnn: false));
            rows.Add(Md.Row(
                $"{c.N}×{c.Cin}×{c.H}×{c.W} → {c.Cout}, {c.K}×{c.K} stride {c.Stride}",
                (c.Cin % 16 == 0 ? "yes" : "no") + " / " + (c.Cin % 8 == 0 ? "yes" : "no"),
                E(on),
                E(off)));
        }

        var passOn = PassMs(crop, steps, oneDnn: true, ct);
        var passOff = PassMs(crop, steps, oneDnn: false, ct);
        var stepOn = StepMs(crop, steps, oneDnn: true, ct);
        var stepOff = StepMs(crop, steps, oneDnn: false, ct);
        var decision = LibTorchNumerics.Decision;
        LibTorchNumerics.SetOneDnn(decision.OneDnn);
        var check = TorchSelfCheck.Run(torch.CPU);

        var lines = new List<string>
        {
            "### Neural renderer numerics: libtorch's convolutions with and without oneDNN",
            "",
            $"Command: `{Md.Command("neural-numerics", "--crop", Inv(crop), "--steps", Inv(steps))}`",
            "",
            $"CPU: {CpuModel()}; AVX-512: {CpuFlags()}; {Environment.ProcessorCount} cores; torch threads {torch.get_num_threads()}.",
            "",
            Md.Row("f32 convolution", "input planes a multiple of 16 / 8", "max error, oneDNN on", "max error, oneDNN off"),
            Md.Separator(4, 2, 3),
        };
        lines.AddRange(rows);
        lines.Add("");
        lines.Add("Error: largest |f32 − f64| over the output, the same inputs and weights in float64 (libtorch never sends float64 to oneDNN). Inputs and weights uniform in ±0.5.");
        lines.Add("");
        lines.Add(Md.Row("training step", "oneDNN on", "oneDNN off (ATen's kernels)", "off / on"));
        lines.Add(Md.Separator(4, 1, 2, 3));
        lines.Add(Md.Row(
            string.Create(CultureInfo.InvariantCulture, $"forward G and D + backward, {crop}×{crop}, batch 4, 64 base channels, ms (median of {steps}; numbers not checked)"),
            Md.F(passOn, 0),
            Md.F(passOff, 0),
            Md.F(passOff / passOn, 2)));
        lines.Add(Md.Row(
            string.Create(CultureInfo.InvariantCulture, $"training step (the same + losses checked, Adam), ms (median of {steps}; NaN: diverged)"),
            Md.F(stepOn, 0),
            Md.F(stepOff, 0),
            Md.F(stepOff / stepOn, 2)));
        lines.Add("");
        lines.Add($"Kernels chosen here: {decision.Reason} Self-check: {check.Summary}");
        return string.Join('\n', lines);
    }

    private static double Error((int N, int Cin, int Cout, int H, int W, int K, int Stride) c, bool oneDnn)
    {
        LibTorchNumerics.SetOneDnn(oneDnn);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var generator = new Generator(42);
        // A scalar held across the calls: TorchSharp lets a temporary one be collected while libtorch reads it (HeldScalars).
        using var half = 0.5.ToScalar();
        var x = torch.rand([c.N, c.Cin, c.H, c.W], generator: generator) - half;
        var w = torch.rand([c.Cout, c.Cin, c.K, c.K], generator: generator) - half;
        var y = nn.functional.conv2d(x, w, strides: [c.Stride, c.Stride], padding: [1, 1]);
        var reference = nn.functional.conv2d(x.to(ScalarType.Float64), w.to(ScalarType.Float64), strides: [c.Stride, c.Stride], padding: [1, 1]);
        return (y.to(ScalarType.Float64) - reference).abs().max().item<double>();
    }

    private static double StepMs(int crop, int steps, bool oneDnn, CancellationToken ct)
    {
        using var trainer = new GanTrainer(NeuralRendererConfig.ForCrop(crop), new TrainingOptions { BatchSize = 4 }, torch.CPU);
        LibTorchNumerics.SetOneDnn(oneDnn); // after the constructor, which pins it off
        var pairs = NeuralRendererBenchmark.RandomPairs(4, crop);
        var times = new List<double>();
        for (var s = 0; s < steps + 2; s++)
        {
            ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            try
            {
                trainer.TrainStep(pairs);
            }
            catch (TrainingDivergedException ex)
            {
                // Wrong numbers stop a step early: time them apart, they are not a training step's cost.
                Console.Error.WriteLine($"neural-numerics: oneDNN {(oneDnn ? "on" : "off")}: {ex.Message}");
                return double.NaN;
            }

            if (s >= 2)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return Summary.Of(times).Median;
    }

    private static double PassMs(int crop, int steps, bool oneDnn, CancellationToken ct)
    {
        var config = NeuralRendererConfig.ForCrop(crop);
        using var generator = new UNetGenerator(config.Generator);
        using var discriminator = new PatchDiscriminator(config.Discriminator);
        LibTorchNumerics.SetOneDnn(oneDnn);
        var input = torch.rand([4, ConditioningLayout.Channels, crop, crop], generator: new Generator(3));
        var times = new List<double>();
        for (var s = 0; s < steps + 1; s++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            discriminator.forward(input, generator.forward(input))[^1].sum().backward();
            if (s >= 1)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return Summary.Of(times).Median;
    }

    private static string E(double error) => double.IsNaN(error) ? "NaN" : error.ToString("E1", CultureInfo.InvariantCulture);

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";

    private static string CpuFlags()
    {
        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []
            : [];
        var avx512 = flags.Where(f => f.StartsWith("avx512", StringComparison.Ordinal)).ToList();
        return avx512.Count == 0 ? "none" : string.Join(" ", avx512);
    }

    private static string Inv(int value) => value.ToString(CultureInfo.InvariantCulture);
}
