using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

/// <summary>
/// The training loop's divergence guard (<see cref="DivergenceGuard"/>): fed loss sequences, pure and fast; then the
/// trainer that uses it, on a loss that explodes but stays finite; then the sentence the studio reads.
/// </summary>
[Trait("Lane", "Fast")]
public sealed class DivergenceGuardTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_loss_that_is_not_finite_stops_at_once_even_in_the_warm_up(double loss)
    {
        var guard = new DivergenceGuard("generator loss", warmupSteps: 20);
        guard.Observe(1, 12.0);

        var diverged = Assert.Throws<TrainingDivergedException>(() => guard.Observe(2, loss));
        Assert.Equal((2, "generator loss", TrainingDivergedException.NonFinite), (diverged.Step, diverged.What, diverged.Detail));
        Assert.Equal("Training diverged at step 2: the generator loss became non-finite (NaN or infinite).", diverged.Message);
    }

    [Fact]
    public void A_loss_that_explodes_and_stays_up_stops_on_the_patience_th_step_naming_its_size()
    {
        var guard = new DivergenceGuard("discriminator loss", factor: 100, patience: 3, warmupSteps: 10);
        var step = 0;
        foreach (var loss in Falling(40, from: 30, to: 8))
        {
            guard.Observe(++step, loss);
        }

        var level = guard.Level!.Value;
        guard.Observe(++step, 2e5);
        guard.Observe(++step, 3e5);
        Assert.Equal(2, guard.ExplodingSteps);
        Assert.Equal(level, guard.Level); // the exploding steps do not raise the bar they are measured against
        var diverged = Assert.Throws<TrainingDivergedException>(() => guard.Observe(++step, 4e5));

        Assert.Equal(43, diverged.Step);
        Assert.Equal("discriminator loss", diverged.What);
        Assert.StartsWith("Training diverged at step 43: the discriminator loss exploded (4e+05, over 100 times its running level of ", diverged.Message, StringComparison.Ordinal);
        Assert.EndsWith(", 3 steps in a row).", diverged.Message, StringComparison.Ordinal);
        Assert.Contains("last good checkpoint (step 40) is kept", diverged.WithLastGoodCheckpoint(40).Message, StringComparison.Ordinal);
        Assert.Equal(diverged.Detail, diverged.WithLastGoodCheckpoint(40).Detail);
    }

    [Fact]
    public void Spikes_that_fall_back_are_not_divergence()
    {
        var guard = new DivergenceGuard("generator loss", factor: 100, patience: 3, warmupSteps: 10);
        var step = 0;
        foreach (var loss in Falling(30, from: 30, to: 10))
        {
            guard.Observe(++step, loss);
        }

        for (var i = 0; i < 20; i++)
        {
            guard.Observe(++step, 5e4); // two exploding steps, then an ordinary one: the count starts again
            guard.Observe(++step, 5e4);
            guard.Observe(++step, 10);
            Assert.Equal(0, guard.ExplodingSteps);
        }
    }

    [Fact]
    public void A_long_noisy_GAN_like_run_is_never_stopped()
    {
        var random = new Random(7);
        var generator = new DivergenceGuard("generator loss");
        var discriminator = new DivergenceGuard("discriminator loss");
        for (var step = 1; step <= 20_000; step++)
        {
            var progress = step / 20_000.0;
            // The generator's loss falls from ~40 to ~6 with noise; the discriminator's wanders between near 0 and ~2.
            generator.Observe(step, (40 * Math.Exp(-5 * progress) + 6) * (0.7 + 0.6 * random.NextDouble()));
            discriminator.Observe(step, Math.Abs(0.3 + 0.25 * Math.Sin(step / 150.0) + 0.4 * (random.NextDouble() - 0.3)) * (random.Next(500) == 0 ? 8 : 1));
        }

        Assert.Equal(0, generator.ExplodingSteps);
        Assert.Equal(0, discriminator.ExplodingSteps);
    }

    [Fact]
    public void A_level_near_zero_is_measured_against_the_floor()
    {
        var guard = new DivergenceGuard("discriminator loss", factor: 100, patience: 1, warmupSteps: 5, floor: 1);
        for (var step = 1; step <= 10; step++)
        {
            guard.Observe(step, 0.001);
        }

        Assert.Equal(100, guard.Limit); // not 0.1: an ordinary 0.5 after a near-perfect discriminator is no explosion
        guard.Observe(11, 0.5);
        Assert.Equal(0, guard.ExplodingSteps);
        Assert.Throws<TrainingDivergedException>(() => guard.Observe(12, 101));
    }

    [Fact]
    public void Nothing_finite_counts_as_exploding_during_the_warm_up()
    {
        var guard = new DivergenceGuard("generator loss", patience: 1, warmupSteps: 5);
        guard.Observe(1, 1);
        guard.Observe(2, 1e6);
        guard.Observe(3, 1e7);
        Assert.Null(guard.Level);
        Assert.Null(guard.Limit);
        Assert.Equal(0, guard.ExplodingSteps);
    }

    [Fact]
    public void The_trainer_stops_a_loss_that_explodes_but_stays_finite_without_checkpointing_after_it()
    {
        using var trainer = new GanTrainer(
            NeuralRendererConfig.ForCrop(32, baseChannels: 4),
            new TrainingOptions { BatchSize = 2, Seed = 9, CheckpointInterval = 1, DivergenceWarmupSteps = 3, DivergencePatience = 3 },
            torch.CPU);
        var pairs = TrainerUnitTests.RandomPairs(4);
        var checkpoints = new List<int>();
        trainer.Train(pairs, null, TrainingBudget.Steps(5), checkpoint: t => checkpoints.Add(t.Step));

        using (torch.no_grad())
        {
            // The discriminator's last layer (no normalisation after it) now answers ~1e4 everywhere: its LSGAN loss is
            // ~1e8, finite, and Adam's small steps cannot bring it back in three steps.
            trainer.Discriminator.parameters().Last().add_(1e4);
        }

        var diverged = Assert.Throws<TrainingDivergedException>(() =>
            trainer.Train(pairs, null, TrainingBudget.Steps(50), checkpoint: t => checkpoints.Add(t.Step)));

        Assert.Equal("discriminator loss", diverged.What);
        Assert.StartsWith("exploded (", diverged.Detail, StringComparison.Ordinal);
        Assert.Equal(8, diverged.Step); // steps 6 and 7 count, step 8 stops before its optimiser step
        Assert.Equal(7, trainer.Step);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], checkpoints); // the caller's checkpoint of step 7 is the last one; none after
    }

    [Fact]
    public void The_studio_is_told_what_happened_and_is_blamed_only_for_settings_it_chose()
    {
        var diverged = new TrainingDivergedException(31, "generator loss").WithLastGoodCheckpoint(30);

        var defaults = diverged.ForStudio([], "cropSize 128, batchSize 4");
        Assert.StartsWith("Training diverged at step 31: the generator loss became non-finite (NaN or infinite). The last good checkpoint (step 30) is kept", defaults, StringComparison.Ordinal);
        Assert.Contains("not caused by your footage or your settings", defaults, StringComparison.Ordinal);
        Assert.Contains("report the job id", defaults, StringComparison.Ordinal);

        var chosen = diverged.ForStudio(["batchSize 1"], "cropSize 128, batchSize 4");
        Assert.Contains("It ran with settings you chose (batchSize 1): train the actor again with the default settings (cropSize 128, batchSize 4).", chosen, StringComparison.Ordinal);
        Assert.DoesNotContain("not caused by", chosen, StringComparison.Ordinal);
    }

    [Fact]
    public void Guard_settings_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DivergenceGuard("x", factor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DivergenceGuard("x", patience: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DivergenceGuard("x", warmupSteps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DivergenceGuard("x", floor: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GanTrainer(NeuralRendererConfig.ForCrop(32, baseChannels: 4), new TrainingOptions { DivergenceFactor = double.PositiveInfinity }, torch.CPU));
    }

    /// <summary>A loss falling linearly from <paramref name="from"/> to <paramref name="to"/> over <paramref name="steps"/> steps.</summary>
    private static IEnumerable<double> Falling(int steps, double from, double to) =>
        Enumerable.Range(0, steps).Select(i => from + (to - from) * i / (steps - 1));
}
