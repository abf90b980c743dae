using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

[Trait("Lane", "Fast")]
public sealed class TrainerUnitTests
{
    [Fact]
    public void The_learning_rate_is_constant_then_decays_linearly_to_the_final_fraction()
    {
        var o = new TrainingOptions { LearningRate = 1e-3, ConstantSteps = 100, DecaySteps = 50, FinalLearningRateFraction = 0.1 };
        Assert.Equal(1e-3, o.LearningRateAt(0), 15);
        Assert.Equal(1e-3, o.LearningRateAt(99), 15);
        Assert.Equal(1e-3, o.LearningRateAt(100), 15);
        Assert.Equal(1e-3 * (1 - 0.5 * 0.9), o.LearningRateAt(125), 15);
        Assert.Equal(1e-4, o.LearningRateAt(150), 15);
        Assert.Equal(1e-4, o.LearningRateAt(10_000), 15);
    }

    [Fact]
    public void Batches_depend_on_seed_and_step_only()
    {
        using var a = SmallTrainer(seed: 3);
        using var b = SmallTrainer(seed: 3);
        using var c = SmallTrainer(seed: 4);
        Assert.Equal(a.SampleIndices(50, 7), b.SampleIndices(50, 7));
        Assert.NotEqual(a.SampleIndices(50, 7), a.SampleIndices(50, 8));
        Assert.NotEqual(a.SampleIndices(50, 7), c.SampleIndices(50, 7));
        Assert.All(Enumerable.Range(0, 100).SelectMany(s => a.SampleIndices(5, s)), i => Assert.InRange(i, 0, 4));
    }

    [Fact]
    public void The_seed_alone_sets_the_initial_weights_whatever_else_draws_from_libtorchs_generator()
    {
        GanTrainer Build()
        {
            torch.manual_seed(Environment.TickCount);
            using (torch.NewDisposeScope())
            {
                _ = torch.rand(1000); // another user of the global generator
            }

            return SmallTrainer(seed: 12);
        }

        var trainers = new GanTrainer[4];
        Parallel.For(0, trainers.Length, i => trainers[i] = Build());
        try
        {
            var reference = trainers[0].Generator.parameters().Concat(trainers[0].Discriminator.parameters()).ToList();
            foreach (var other in trainers.Skip(1))
            {
                var mine = other.Generator.parameters().Concat(other.Discriminator.parameters()).ToList();
                Assert.Equal(reference.Count, mine.Count);
                Assert.All(reference.Zip(mine), p => Assert.True(p.First.eq(p.Second).all().item<bool>(), "initial weights differ"));
            }

            using var differentSeed = SmallTrainer(seed: 13);
            Assert.False(reference[0].eq(differentSeed.Generator.parameters().First()).all().item<bool>());
        }
        finally
        {
            foreach (var t in trainers)
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void Masked_metrics_ignore_pixels_outside_the_mask()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.full([1, 3, 32, 32], 0.5f);
        var b = a.clone();
        b[.., .., ..16, ..] += 0.1f; // top half off by 0.1
        var top = torch.zeros([1, 1, 32, 32]);
        top[.., .., ..16, ..] = torch.tensor(1f);
        var bottom = 1 - top;

        Assert.Equal(0.1, GanLosses.MaskedL1(a, b, top).item<float>(), 5);
        Assert.Equal(0, GanLosses.MaskedL1(a, b, bottom).item<float>(), 6);
        Assert.Equal(20, ImageMetrics.MaskedPsnr(a, b, top), 3); // 10·log10(1/0.01)
        Assert.Equal(100, ImageMetrics.MaskedPsnr(a, b, bottom), 3);

        var noise = torch.rand([1, 3, 32, 32]);
        Assert.Equal(1, ImageMetrics.MaskedSsim(noise, noise, top), 4);
        Assert.True(ImageMetrics.MaskedSsim(noise, torch.rand([1, 3, 32, 32]), top) < 0.2);
    }

    [Fact]
    public void Lsgan_and_feature_matching_losses_have_their_closed_forms()
    {
        using var scope = torch.NewDisposeScope();
        var ones = torch.ones([2, 1, 4, 4]);
        var zeros = torch.zeros([2, 1, 4, 4]);
        Assert.Equal(0, GanLosses.LsganDiscriminator(ones, zeros).item<float>(), 6);
        Assert.Equal(1, GanLosses.LsganDiscriminator(zeros, ones).item<float>(), 6);
        Assert.Equal(1, GanLosses.LsganGenerator(zeros).item<float>(), 6);
        var fm = GanLosses.FeatureMatching([ones * 3, ones * 2, zeros], [ones, ones, ones]);
        Assert.Equal((2 + 1) / 2.0, fm.item<float>(), 6); // the last entry (the scores) is left out
    }

    [Fact]
    public void A_time_budget_stops_the_run_and_cancellation_stops_it_between_steps()
    {
        var pairs = RandomPairs(3);
        using var trainer = SmallTrainer(seed: 1);
        var none = trainer.Train(pairs, null, TrainingBudget.Time(TimeSpan.Zero));
        Assert.Equal(TrainingStopReason.TimeBudget, none.Reason);
        Assert.Equal(0, none.StepsThisCall);

        var timed = trainer.Train(pairs, null, TrainingBudget.Time(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(TrainingStopReason.TimeBudget, timed.Reason);
        Assert.True(timed.StepsThisCall >= 1);
        Assert.True(timed.Elapsed >= TimeSpan.FromMilliseconds(300));

        using var cts = new CancellationTokenSource();
        var before = trainer.Step;
        Assert.Throws<OperationCanceledException>(() => trainer.Train(
            pairs, null, TrainingBudget.Steps(before + 100), p => { if (p.Step >= before + 2) cts.Cancel(); }, cancellationToken: cts.Token));
        Assert.Equal(before + 2, trainer.Step);
        Assert.Throws<ArgumentException>(() => trainer.Train(pairs, null, new TrainingBudget()));
    }

    [Fact]
    public void Pairs_of_the_wrong_shape_and_broken_checkpoints_are_refused()
    {
        using var trainer = SmallTrainer(seed: 1);
        var wrong = new InMemoryPairSource([new TrainingPair(new float[8 * 64 * 64], new float[3 * 64 * 64], new float[64 * 64])], 8, 64, 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GanTrainer(NeuralRendererConfig.ForCrop(16, baseChannels: 4), device: torch.CPU));
        Assert.Throws<ArgumentException>(() => trainer.TrainStep(wrong));
        Assert.Throws<ArgumentException>(() => new InMemoryPairSource([new TrainingPair(new float[5], new float[3], new float[1])], 8, 16, 16));

        Assert.Throws<InvalidDataException>(() => GanTrainer.LoadCheckpoint(new MemoryStream("not a checkpoint at all"u8.ToArray()), device: torch.CPU));
        using var stream = new MemoryStream();
        trainer.SaveCheckpoint(stream);
        var truncated = stream.ToArray()[..(int)(stream.Length / 2)];
        var ex = Record.Exception(() => GanTrainer.LoadCheckpoint(new MemoryStream(truncated), device: torch.CPU));
        Assert.True(ex is EndOfStreamException or InvalidDataException, $"got {ex?.GetType().Name ?? "no exception"}");
    }

    private static GanTrainer SmallTrainer(int seed) =>
        new(NeuralRendererConfig.ForCrop(32, baseChannels: 4), new TrainingOptions { BatchSize = 2, Seed = seed, ProgressInterval = 1 }, torch.CPU);

    internal static InMemoryPairSource RandomPairs(int count)
    {
        var rng = new Random(11);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        return new InMemoryPairSource(
            Enumerable.Range(0, count).Select(_ => new TrainingPair(R(8 * 32 * 32), R(3 * 32 * 32), Enumerable.Repeat(1f, 32 * 32).ToArray())),
            8, 32, 32);
    }
}
