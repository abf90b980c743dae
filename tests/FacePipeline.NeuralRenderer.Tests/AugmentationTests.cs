using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

[Trait("Lane", "Fast")]
public sealed class AugmentationTests
{
    [Fact]
    public void Colour_jitter_scales_warp_and_target_alike_and_leaves_the_conditioning_alone()
    {
        const int h = 4, w = 5, plane = h * w;
        var input = Enumerable.Range(0, 8 * plane).Select(i => 0.5f).ToArray();
        var target = Enumerable.Repeat(0.4f, 3 * plane).ToArray();
        var mask = Enumerable.Repeat(1f, plane).ToArray();
        Augmentation.Apply(new Random(1), 0.2, 0, h, w, input, target, mask);
        for (var c = 0; c < 3; c++)
        {
            var gain = input[c * plane] / 0.5f;
            Assert.InRange(gain, 0.8f, 1.2f);
            Assert.NotEqual(1f, gain);
            Assert.Equal(0.4f * gain, target[c * plane], 5);
        }

        Assert.All(input[(3 * plane)..], v => Assert.Equal(0.5f, v));
        Assert.All(mask, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void A_shift_moves_every_plane_by_the_same_offset_with_edges_replicated()
    {
        const int h = 6, w = 6, plane = h * w;
        float Value(int k, int x, int y) => k * 100 + y * 10 + x;
        var input = new float[8 * plane];
        var target = new float[3 * plane];
        var mask = new float[plane];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                for (var k = 0; k < 8; k++)
                {
                    input[k * plane + y * w + x] = Value(k, x, y);
                }

                for (var k = 0; k < 3; k++)
                {
                    target[k * plane + y * w + x] = Value(k, x, y);
                }

                mask[y * w + x] = Value(0, x, y);
            }
        }

        Augmentation.Apply(new Random(5), 0, 2, h, w, input, target, mask);
        int dx = 0, dy = 0; // found from the mask
        var found = false;
        for (var ddy = -2; ddy <= 2 && !found; ddy++)
        {
            for (var ddx = -2; ddx <= 2 && !found; ddx++)
            {
                if ((ddx != 0 || ddy != 0) && Enumerable.Range(0, plane).All(i => mask[i] == Value(0, Math.Clamp(i % w - ddx, 0, w - 1), Math.Clamp(i / w - ddy, 0, h - 1))))
                {
                    (dx, dy, found) = (ddx, ddy, true);
                }
            }
        }

        Assert.True(found, "the mask was not shifted by a whole offset within ±2");
        for (var k = 0; k < 8; k++)
        {
            Assert.All(Enumerable.Range(0, plane), i => Assert.Equal(Value(k, Math.Clamp(i % w - dx, 0, w - 1), Math.Clamp(i / w - dy, 0, h - 1)), input[k * plane + i]));
        }

        for (var k = 0; k < 3; k++)
        {
            Assert.All(Enumerable.Range(0, plane), i => Assert.Equal(Value(k, Math.Clamp(i % w - dx, 0, w - 1), Math.Clamp(i / w - dy, 0, h - 1)), target[k * plane + i]));
        }
    }

    [Fact]
    public void Augmented_training_stays_reproducible_and_reports_its_best_validation()
    {
        var rng = new Random(4);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var pairs = new InMemoryPairSource(
            Enumerable.Range(0, 3).Select(_ => new TrainingPair(R(8 * 32 * 32), R(3 * 32 * 32), Enumerable.Repeat(1f, 32 * 32).ToArray())).ToArray(), 8, 32, 32);
        var options = new TrainingOptions { BatchSize = 2, ColourJitter = 0.1, MaxShiftPixels = 2, ValidationInterval = 2, ProgressInterval = 1 };
        TrainingLosses Run(out TrainingResult result, out List<int> improvedAt)
        {
            using var t = new GanTrainer(NeuralRendererConfig.ForCrop(32, baseChannels: 4), options, torch.CPU);
            var at = new List<int>();
            result = t.Train(pairs, pairs, TrainingBudget.Steps(6), improved: (tr, _) => at.Add(tr.Step));
            improvedAt = at;
            return result.LastLosses!;
        }

        var a = Run(out var resultA, out var improvedA);
        var b = Run(out _, out var improvedB);
        Assert.Equal(a, b);
        Assert.Equal(improvedA, improvedB);
        Assert.NotEmpty(improvedA);
        var best = Assert.IsType<ValidationMetrics>(resultA.BestValidation);
        Assert.Equal(improvedA[^1], resultA.BestStep);
        Assert.True(best.Psnr >= resultA.Validation!.Psnr);
    }
}
