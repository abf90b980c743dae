using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

/// <summary>
/// One tiny training run on real frames (64×64 crops of a GRID clip, 16 base channels, 40 steps of 4 pairs), shared
/// by the tests of this class: checkpoints at steps 20 and 40, the losses of step 41 of the uninterrupted run.
/// </summary>
public sealed class TinyTrainingFixture : IDisposable
{
    public const int Steps = 40;
    public const int CropSize = 64;

    public TinyTrainingFixture()
    {
        Train = GridClipFrames.TrainingPairs(CropSize);
        Validation = GridClipFrames.ValidationPairs(CropSize);
        Trainer = new GanTrainer(Config, Options, torch.CPU);
        Before = Trainer.Validate(Validation);
        Result = Trainer.Train(Train, Validation, TrainingBudget.Steps(Steps), Progress.Add, t =>
        {
            using var stream = new MemoryStream();
            t.SaveCheckpoint(stream);
            Checkpoints[t.Step] = stream.ToArray();
        });
        NextStep = Trainer.TrainStep(Train);
    }

    public static NeuralRendererConfig Config => NeuralRendererConfig.ForCrop(CropSize, baseChannels: 16);

    public static TrainingOptions Options => new() { BatchSize = 4, ProgressInterval = 5, ValidationInterval = 20, CheckpointInterval = 20, Seed = 5 };

    public InMemoryPairSource Train { get; }

    public InMemoryPairSource Validation { get; }

    public GanTrainer Trainer { get; }

    public ValidationMetrics Before { get; }

    public TrainingResult Result { get; }

    public List<TrainingProgress> Progress { get; } = [];

    public Dictionary<int, byte[]> Checkpoints { get; } = [];

    /// <summary>Losses of step 41 of the uninterrupted run.</summary>
    public TrainingLosses NextStep { get; }

    public void Dispose() => Trainer.Dispose();
}

public sealed class TinyTrainingTests(TinyTrainingFixture run, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TinyTrainingFixture>
{
    [Fact]
    public void A_tiny_training_run_on_real_frames_lowers_the_validation_L1_and_raises_PSNR_and_SSIM()
    {
        Assert.Equal(TrainingStopReason.StepBudget, run.Result.Reason);
        Assert.Equal(TinyTrainingFixture.Steps, run.Result.StepsThisCall);
        var after = Assert.IsType<ValidationMetrics>(run.Result.Validation);
        output.WriteLine($"before {run.Before}; after {TinyTrainingFixture.Steps} steps in {run.Result.Elapsed.TotalSeconds:F1} s: {after}");
        Assert.Equal(run.Validation.Count, after.Pairs);
        Assert.True(after.L1 < 0.6 * run.Before.L1, $"validation L1 {run.Before.L1:F4} → {after.L1:F4}");
        Assert.True(after.Psnr > run.Before.Psnr + 3, $"validation PSNR {run.Before.Psnr:F2} → {after.Psnr:F2} dB");
        Assert.True(after.Ssim > run.Before.Ssim, $"validation SSIM {run.Before.Ssim:F3} → {after.Ssim:F3}");
    }

    [Fact]
    public void Progress_reports_steps_losses_and_validation_at_the_configured_intervals()
    {
        Assert.Equal([5, 10, 15, 20, 25, 30, 35, 40, 40], run.Progress.Select(p => p.Step));
        Assert.All(run.Progress, p =>
        {
            Assert.Equal(TinyTrainingFixture.Steps, p.MaxSteps);
            var l = Assert.IsType<TrainingLosses>(p.Losses);
            Assert.True(double.IsFinite(l.Generator) && double.IsFinite(l.Discriminator) && l.L1 > 0 && l.FeatureMatching > 0);
            Assert.Equal(2e-4, p.LearningRate, 12);
        });
        Assert.Equal([20, 40, 40], run.Progress.Where(p => p.Validation is not null).Select(p => p.Step));
        Assert.True(run.Progress[^1].Losses!.L1 < run.Progress[0].Losses!.L1, "training L1 did not go down");
    }

    [Fact]
    public void Checkpoints_are_written_at_the_interval_and_at_the_end()
    {
        Assert.Equal([20, 40], run.Checkpoints.Keys.Order());
        Assert.All(run.Checkpoints.Values, bytes => Assert.Equal("FPNRCKPT"u8.ToArray(), bytes[..8]));
        Assert.True(run.Checkpoints[40].Length > 100_000, $"checkpoint of {run.Checkpoints[40].Length} bytes");
    }

    [Fact]
    public void Resuming_from_the_checkpoint_continues_at_the_saved_step_with_the_same_next_step_losses()
    {
        using var resumed = GanTrainer.LoadCheckpoint(new MemoryStream(run.Checkpoints[40]), device: torch.CPU);
        Assert.Equal(40, resumed.Step);
        Assert.Equal(TinyTrainingFixture.Config, resumed.Config);
        Assert.Equal(TinyTrainingFixture.Options, resumed.Options);

        var next = resumed.TrainStep(run.Train);
        Assert.Equal(41, resumed.Step);
        AssertClose(run.NextStep.Generator, next.Generator);
        AssertClose(run.NextStep.Discriminator, next.Discriminator);
        AssertClose(run.NextStep.L1, next.L1);
        AssertClose(run.NextStep.Adversarial, next.Adversarial);
        AssertClose(run.NextStep.FeatureMatching, next.FeatureMatching);
    }

    [Fact]
    public void A_run_resumed_at_step_20_reaches_the_weights_of_the_uninterrupted_run_at_step_40()
    {
        using var resumed = GanTrainer.LoadCheckpoint(new MemoryStream(run.Checkpoints[20]), device: torch.CPU);
        Assert.Equal(20, resumed.Step);
        var result = resumed.Train(run.Train, null, TrainingBudget.Steps(TinyTrainingFixture.Steps));
        Assert.Equal(20, result.StepsThisCall);
        Assert.Equal(40, result.Step);

        using var reference = GanTrainer.LoadCheckpoint(new MemoryStream(run.Checkpoints[40]), device: torch.CPU);
        var mine = resumed.Generator.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var theirs = reference.Generator.named_parameters().ToList();
        Assert.Equal(theirs.Count, mine.Count);
        foreach (var (name, parameter) in theirs)
        {
            var diff = (mine[name] - parameter).abs().max().item<float>();
            Assert.True(diff <= 1e-5f, $"{name} differs by {diff:E2}");
        }

        Assert.NotEqual(0f, (mine.First().Value - GanTrainer.LoadCheckpoint(new MemoryStream(run.Checkpoints[20]), device: torch.CPU).Generator.named_parameters().First().parameter).abs().max().item<float>());
    }

    [Fact]
    public void The_trained_generator_exported_to_ONNX_renders_held_out_pairs_as_TorchSharp_does()
    {
        using var session = new GeneratorSession(run.Trainer.ExportGeneratorOnnx(), maxBatch: 1, preferCuda: false);
        Assert.Equal((8, 64, 64), (session.InputChannels, session.Height, session.Width));
        int[] indices = [0, 3, 7];
        var expected = run.Trainer.Generate(run.Validation, indices);
        var rgb = new float[3 * 64 * 64];
        for (var k = 0; k < indices.Length; k++)
        {
            session.Run(run.Validation.Get(indices[k]).Input, 1, rgb);
            var diff = expected[k].Zip(rgb, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(diff <= 1e-4, $"pair {indices[k]}: max |ORT − TorchSharp| = {diff:E2}");
        }
    }

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");
}
