using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

/// <summary>Issue 12: libtorch's numbers on this machine, the start-up self-check and divergence.</summary>
[Trait("Lane", "Fast")]
public sealed class NumericsTests
{
    [Fact]
    public void Building_a_network_applies_the_kernel_choice_measured_on_this_machine()
    {
        using var generator = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 2 });
        var decision = LibTorchNumerics.Decision;
        Assert.Equal(decision.OneDnn, LibTorchNumerics.OneDnnEnabled);
        Assert.True(decision.Sound, decision.Reason);
        if (decision.OneDnn)
        {
            Assert.All(decision.OneDnnCases, c => Assert.True(c.Passed, c.Name));
        }
        else
        {
            // oneDNN is only turned down for a measured fault (or by the operator's setting), and ATen's kernels then pass.
            Assert.True(decision.OneDnnCases.Any(c => !c.Passed) || decision.Reason.Contains(LibTorchNumerics.SettingVariable, StringComparison.Ordinal), decision.Reason);
            Assert.Equal(4, decision.AtenCases.Count);
            Assert.All(decision.AtenCases, c => Assert.True(c.Passed, $"{c.Name}: {c.MaxError:E2}"));
        }
    }

    [Fact]
    public void Convolutions_with_input_channels_off_the_SIMD_block_and_the_generator_agree_with_independent_answers()
    {
        var result = TorchSelfCheck.Run(torch.CPU);
        Assert.True(result.Passed, result.Summary);
        Assert.Equal(5, result.Cases.Count);
        Assert.Contains(result.Cases, c => c.Name.StartsWith("conv2d gradients", StringComparison.Ordinal));
        Assert.Contains(result.Cases, c => c.Name.StartsWith("conv_transpose2d", StringComparison.Ordinal));
        Assert.Contains(result.Cases, c => c.Name.Contains("against ONNX Runtime", StringComparison.Ordinal));
        Assert.All(result.Cases, c => Assert.True(c.MaxError < c.Tolerance / 10, $"{c.Name}: {c.MaxError:E2}"));
        Assert.StartsWith("libtorch computes as expected on CPU", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void The_self_check_refuses_a_generator_whose_forward_pass_is_wrong()
    {
        var offset = TorchSelfCheck.Run(torch.CPU, (g, x) =>
        {
            var y = g.forward(x);
            y[0, 1, 20, 30] += 0.01f; // one pixel of one plane off by 0.01
            return y;
        });
        Assert.False(offset.Passed);
        var failed = Assert.Single(offset.Cases, c => !c.Passed);
        Assert.Contains("against ONNX Runtime", failed.Name, StringComparison.Ordinal);
        Assert.InRange(failed.MaxError, 0.009, 0.011);
        Assert.Contains("computes wrong numbers", offset.Summary, StringComparison.Ordinal);
        Assert.Contains("must not train", offset.Summary, StringComparison.Ordinal);

        var nan = TorchSelfCheck.Run(torch.CPU, (g, x) =>
        {
            var y = g.forward(x);
            y[1, 0, 0, 0] = torch.tensor(float.NaN);
            return y;
        });
        Assert.False(nan.Passed);
        Assert.True(double.IsNaN(Assert.Single(nan.Cases, c => !c.Passed).MaxError));
    }

    [Fact]
    public void A_non_finite_loss_stops_training_at_its_step_and_no_checkpoint_is_written_after_it()
    {
        using var trainer = new GanTrainer(
            NeuralRendererConfig.ForCrop(32, baseChannels: 4),
            new TrainingOptions { BatchSize = 2, Seed = 5, ProgressInterval = 1, CheckpointInterval = 2 },
            torch.CPU);
        var pairs = TrainerUnitTests.RandomPairs(4);
        var checkpoints = new List<int>();
        trainer.Train(pairs, null, TrainingBudget.Steps(4), checkpoint: t => checkpoints.Add(t.Step));
        Assert.Equal([2, 4], checkpoints);

        using (torch.no_grad())
        {
            trainer.Generator.Output.bias![0] = torch.tensor(float.NaN); // the generator's output goes non-finite
        }

        var reported = new List<int>();
        var diverged = Assert.Throws<TrainingDivergedException>(() =>
            trainer.Train(pairs, null, TrainingBudget.Steps(10), p => reported.Add(p.Step), t => checkpoints.Add(t.Step)));
        Assert.Equal(5, diverged.Step);
        Assert.Equal("discriminator loss", diverged.What);
        Assert.Equal(4, trainer.Step);
        Assert.Equal([2, 4], checkpoints);
        Assert.Empty(reported);
        Assert.StartsWith("Training diverged at step 5: the discriminator loss became non-finite", diverged.Message, StringComparison.Ordinal);
        Assert.Contains("last good checkpoint (step 4) is kept", diverged.WithLastGoodCheckpoint(4).Message, StringComparison.Ordinal);
        Assert.Contains("nothing of this model version is kept", diverged.WithLastGoodCheckpoint(0).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_infinite_learning_rate_diverges_on_the_first_step()
    {
        using var trainer = new GanTrainer(
            NeuralRendererConfig.ForCrop(32, baseChannels: 4),
            new TrainingOptions { BatchSize = 2, Seed = 6, LearningRate = double.PositiveInfinity },
            torch.CPU);
        var diverged = Assert.Throws<TrainingDivergedException>(() => trainer.Train(TrainerUnitTests.RandomPairs(3), null, TrainingBudget.Steps(3)));
        Assert.Equal(1, diverged.Step);
        Assert.Contains(diverged.What, new[] { "generator loss", "generator weights", "discriminator weights" });
        Assert.Equal(0, trainer.Step);
    }
}
