using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>Where the networks run: CUDA when <c>torch.cuda.is_available()</c>, else the CPU.</summary>
public static class TorchDevices
{
    /// <summary>The preferred device of this machine.</summary>
    public static Device Preferred() => torch.cuda.is_available() ? torch.CUDA : torch.CPU;
}

/// <summary>
/// Trains an actor's renderer: a <see cref="UNetGenerator"/> against a <see cref="PatchDiscriminator"/>.
/// Each step draws <see cref="TrainingOptions.BatchSize"/> pairs (uniformly, with replacement, from a generator seeded
/// by <see cref="TrainingOptions.Seed"/> and the step), then
/// <list type="number">
/// <item>discriminator: LSGAN loss on (condition, real) and (condition, generated, detached), one Adam step;</item>
/// <item>generator: <see cref="TrainingOptions.L1Weight"/>·L1 in the face mask + <see cref="TrainingOptions.BackgroundL1Weight"/>·L1
///   outside it + <see cref="TrainingOptions.AdversarialWeight"/>·LSGAN + <see cref="TrainingOptions.FeatureMatchingWeight"/>·feature
///   matching (against the discriminator's activations on the real image before its update), one Adam step.</item>
/// </list>
/// A checkpoint (<see cref="SaveCheckpoint"/>) holds both networks, both optimisers' state and the step; a trainer
/// loaded from it (<see cref="LoadCheckpoint"/>) continues with the very step an uninterrupted run would take.
/// Not thread-safe.
/// </summary>
public sealed class GanTrainer : IDisposable
{
    private static readonly byte[] Magic = "FPNRCKPT"u8.ToArray();
    private const int FormatVersion = 1;

    private readonly Adam generatorOptimizer;
    private readonly Adam discriminatorOptimizer;
    private readonly DivergenceGuard generatorLoss;
    private readonly DivergenceGuard discriminatorLoss;

    /// <summary>Fresh networks (initialised from <see cref="TrainingOptions.Seed"/> alone, never from libtorch's global generator) on <paramref name="device"/> (default: <see cref="TorchDevices.Preferred"/>).</summary>
    public GanTrainer(NeuralRendererConfig config, TrainingOptions? options = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Options = options ?? TrainingOptions.Default;
        Options.Validate();
        Config = config;
        Device = device ?? TorchDevices.Preferred();
        Generator = new UNetGenerator(config.Generator);
        Discriminator = new PatchDiscriminator(config.Discriminator);
        WeightInit.Apply(Generator, Options.Seed);
        WeightInit.Apply(Discriminator, unchecked(Options.Seed * 7919 + 1));
        Generator.to(Device);
        Discriminator.to(Device);
        generatorOptimizer = torch.optim.Adam(Generator.parameters(), Options.LearningRate, Options.Beta1, Options.Beta2);
        discriminatorOptimizer = torch.optim.Adam(Discriminator.parameters(), Options.LearningRate, Options.Beta1, Options.Beta2);
        generatorLoss = Options.DivergenceGuardFor("generator loss");
        discriminatorLoss = Options.DivergenceGuardFor("discriminator loss");
    }

    /// <summary>The networks' shapes.</summary>
    public NeuralRendererConfig Config { get; }

    /// <summary>The settings.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Where the networks live.</summary>
    public Device Device { get; }

    /// <summary>The generator (the part that is exported and served).</summary>
    public UNetGenerator Generator { get; }

    /// <summary>The discriminator.</summary>
    public PatchDiscriminator Discriminator { get; }

    /// <summary>Steps done (0 for fresh networks; restored by <see cref="LoadCheckpoint"/>).</summary>
    public int Step { get; private set; }

    /// <summary>
    /// One training step on a batch drawn from <paramref name="pairs"/>; returns its losses. A loss that is not finite, or
    /// that has exploded (<see cref="DivergenceGuard"/>: over <see cref="TrainingOptions.DivergenceFactor"/> times its running
    /// level for <see cref="TrainingOptions.DivergencePatience"/> steps in a row), stops the step before its optimiser applies
    /// it, and weights that are not finite after it stop the run: all throw <see cref="TrainingDivergedException"/> with
    /// <see cref="Step"/> not advanced. Never checkpoint a trainer after that: the last checkpoint written before it is the
    /// last good state.
    /// </summary>
    /// <exception cref="TrainingDivergedException">A loss or a weight became NaN or infinite, or a loss exploded.</exception>
    public TrainingLosses TrainStep(ITrainingPairSource pairs)
    {
        RequireShape(pairs);
        using var scope = torch.NewDisposeScope();
        var (input, target, mask) = Batch(pairs, SampleIndices(pairs.Count, Step), Step);
        var lr = Options.LearningRateAt(Step);
        SetLearningRate(generatorOptimizer, lr);
        SetLearningRate(discriminatorOptimizer, lr);
        Generator.train();
        Discriminator.train();

        var fake = Generator.forward(input);

        discriminatorOptimizer.zero_grad();
        var real = Discriminator.forward(input, target);
        var fakeScores = Discriminator.forward(input, fake.detach())[^1];
        var lossD = GanLosses.LsganDiscriminator(real[^1], fakeScores);
        var lossDValue = Value(lossD);
        discriminatorLoss.Observe(Step + 1, lossDValue);
        lossD.backward();
        discriminatorOptimizer.step();

        generatorOptimizer.zero_grad();
        var fakeFeatures = Discriminator.forward(input, fake);
        var adversarial = GanLosses.LsganGenerator(fakeFeatures[^1]);
        var featureMatching = GanLosses.FeatureMatching(fakeFeatures, real);
        var l1 = GanLosses.MaskedL1(fake, target, mask);
        var background = GanLosses.MaskedL1(fake, target, HeldScalars.One - mask);
        using var l1Weight = Options.L1Weight.ToScalar();
        using var backgroundWeight = Options.BackgroundL1Weight.ToScalar();
        using var adversarialWeight = Options.AdversarialWeight.ToScalar();
        using var featureMatchingWeight = Options.FeatureMatchingWeight.ToScalar();
        var lossG = l1Weight * l1 + backgroundWeight * background + adversarialWeight * adversarial + featureMatchingWeight * featureMatching;
        var lossGValue = Value(lossG);
        generatorLoss.Observe(Step + 1, lossGValue);
        lossG.backward();
        generatorOptimizer.step();
        RequireFiniteWeights(Generator, "generator weights");
        RequireFiniteWeights(Discriminator, "discriminator weights");
        Step++;

        return new TrainingLosses(
            lossGValue, lossDValue, Value(l1), Value(background), Value(adversarial), Value(featureMatching));
    }

    /// <summary>The generator on every pair of <paramref name="pairs"/> (no gradients): L1, PSNR and SSIM in the face mask.</summary>
    public ValidationMetrics Validate(ITrainingPairSource pairs)
    {
        RequireShape(pairs);
        Generator.eval();
        double l1 = 0, psnr = 0, ssim = 0;
        for (var start = 0; start < pairs.Count; start += Options.BatchSize)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var indices = Enumerable.Range(start, Math.Min(Options.BatchSize, pairs.Count - start)).ToArray();
            var (input, target, mask) = Batch(pairs, indices);
            var output = Generator.forward(input);
            for (var i = 0; i < indices.Length; i++)
            {
                var o = output[i].unsqueeze(0);
                var t = target[i].unsqueeze(0);
                var m = mask[i].unsqueeze(0);
                l1 += Value(GanLosses.MaskedL1(o, t, m));
                psnr += ImageMetrics.MaskedPsnr(o, t, m);
                ssim += ImageMetrics.MaskedSsim(o, t, m);
            }
        }

        Generator.train();
        return new ValidationMetrics(l1 / pairs.Count, psnr / pairs.Count, ssim / pairs.Count, pairs.Count);
    }

    /// <summary>The generator's RGB planes (3×H×W in [0, 1]) for pairs <paramref name="indices"/> of <paramref name="pairs"/>, no gradients.</summary>
    public IReadOnlyList<float[]> Generate(ITrainingPairSource pairs, IReadOnlyList<int> indices)
    {
        RequireShape(pairs);
        ArgumentNullException.ThrowIfNull(indices);
        Generator.eval();
        var result = new List<float[]>(indices.Count);
        foreach (var index in indices)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var (input, _, _) = Batch(pairs, [index]);
            result.Add(Generator.forward(input).cpu().contiguous().data<float>().ToArray());
        }

        Generator.train();
        return result;
    }

    /// <summary>
    /// Trains until <paramref name="budget"/> is reached. Reports <paramref name="progress"/> every
    /// <see cref="TrainingOptions.ProgressInterval"/> steps (with validation every <see cref="TrainingOptions.ValidationInterval"/>
    /// steps when <paramref name="validation"/> is given) and once at the end with the final validation; calls
    /// <paramref name="checkpoint"/> every <see cref="TrainingOptions.CheckpointInterval"/> steps and at the end (save with
    /// <see cref="SaveCheckpoint"/> inside it). Cancellation is checked between steps and throws
    /// <see cref="OperationCanceledException"/>; the trainer is then at a step boundary and can still be checkpointed.
    /// <paramref name="improved"/> runs whenever a validation beats the best PSNR seen so far in this call (export or keep the
    /// generator there: with little footage the last step is rarely the best one).
    /// </summary>
    public TrainingResult Train(
        ITrainingPairSource train,
        ITrainingPairSource? validation,
        TrainingBudget budget,
        Action<TrainingProgress>? progress = null,
        Action<GanTrainer>? checkpoint = null,
        CancellationToken cancellationToken = default,
        Action<GanTrainer, ValidationMetrics>? improved = null)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.MaxSteps is null && budget.MaxDuration is null)
        {
            throw new ArgumentException("Set a step budget, a time budget or both.", nameof(budget));
        }

        RequireShape(train);
        if (validation is not null)
        {
            RequireShape(validation);
        }

        var clock = Stopwatch.StartNew();
        var first = Step;
        var lastCheckpoint = -1;
        TrainingLosses? losses = null;
        ValidationMetrics? metrics = null;
        ValidationMetrics? best = null;
        var bestStep = 0;
        void Consider(ValidationMetrics m)
        {
            if (best is null || m.Psnr > best.Psnr)
            {
                (best, bestStep) = (m, Step);
                improved?.Invoke(this, m);
            }
        }

        TrainingStopReason reason;
        while (true)
        {
            if (budget.MaxSteps is { } max && Step >= max)
            {
                reason = TrainingStopReason.StepBudget;
                break;
            }

            if (budget.MaxDuration is { } duration && clock.Elapsed >= duration)
            {
                reason = TrainingStopReason.TimeBudget;
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            losses = TrainStep(train);
            ValidationMetrics? now = null;
            if (validation is not null && Step % Options.ValidationInterval == 0)
            {
                now = metrics = Validate(validation);
                Consider(now);
            }

            if (Step % Options.ProgressInterval == 0 || now is not null)
            {
                progress?.Invoke(new TrainingProgress(Step, budget.MaxSteps, losses, now, Options.LearningRateAt(Step - 1), clock.Elapsed));
            }

            if (Step % Options.CheckpointInterval == 0 && checkpoint is not null)
            {
                checkpoint(this);
                lastCheckpoint = Step;
            }
        }

        if (validation is not null && (metrics is null || Step % Options.ValidationInterval != 0))
        {
            metrics = Validate(validation);
            Consider(metrics);
        }

        progress?.Invoke(new TrainingProgress(Step, budget.MaxSteps, losses, metrics, Options.LearningRateAt(Math.Max(0, Step - 1)), clock.Elapsed));
        if (checkpoint is not null && lastCheckpoint != Step)
        {
            checkpoint(this);
        }

        return new TrainingResult(Step, Step - first, reason, losses, metrics, clock.Elapsed, best, bestStep);
    }

    /// <summary>
    /// Writes a checkpoint to <paramref name="destination"/> (left open): a header (magic <c>FPNRCKPT</c>, format
    /// version, JSON with the configuration, the options and the step), then TorchSharp's serialisation of the
    /// generator, the discriminator and both Adam states (moments and step counts).
    /// </summary>
    public void SaveCheckpoint(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(JsonSerializer.Serialize(new CheckpointHeader(Config, Options, Step)));
        Generator.save(writer);
        Discriminator.save(writer);
        generatorOptimizer.save_state_dict(writer);
        discriminatorOptimizer.save_state_dict(writer);
        writer.Write(Magic);
        writer.Flush();
    }

    /// <summary>
    /// A trainer restored from a checkpoint written by <see cref="SaveCheckpoint"/>: same networks, optimiser states and
    /// step. <paramref name="options"/> replaces the saved options (for example other intervals); null keeps them.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a checkpoint of this format.</exception>
    public static GanTrainer LoadCheckpoint(Stream source, TrainingOptions? options = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not a neural renderer checkpoint (bad magic).");
        }

        var version = reader.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"Checkpoint format {version} is not supported (expected {FormatVersion}).");
        }

        var header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString())
            ?? throw new InvalidDataException("Checkpoint header is empty.");
        var trainer = new GanTrainer(header.Config, options ?? header.Options, device);
        try
        {
            trainer.Generator.load(reader);
            trainer.Discriminator.load(reader);
            trainer.generatorOptimizer.load_state_dict(reader);
            trainer.discriminatorOptimizer.load_state_dict(reader);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Checkpoint is truncated or corrupt (no end marker).");
            }

            if (trainer.Device.type != DeviceType.CPU)
            {
                trainer.generatorOptimizer.to(trainer.Device);
                trainer.discriminatorOptimizer.to(trainer.Device);
            }

            trainer.Step = header.Step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>Writes the generator as ONNX for <see cref="NeuralRendererConfig.CropSize"/> crops (see <see cref="GeneratorOnnxExporter"/>).</summary>
    public byte[] ExportGeneratorOnnx() => GeneratorOnnxExporter.Export(Generator, Config.CropSize, Config.CropSize);

    /// <inheritdoc/>
    public void Dispose()
    {
        generatorOptimizer.Dispose();
        discriminatorOptimizer.Dispose();
        Generator.Dispose();
        Discriminator.Dispose();
    }

    /// <summary>Indices of the batch of step <paramref name="step"/>: a function of the seed and the step only.</summary>
    internal int[] SampleIndices(int count, int step)
    {
        var rng = new Random(unchecked(Options.Seed * 1_000_003 + step));
        var indices = new int[Options.BatchSize];
        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = rng.Next(count);
        }

        return indices;
    }

    private (Tensor Input, Tensor Target, Tensor Mask) Batch(ITrainingPairSource pairs, int[] indices, int? augmentStep = null)
    {
        var augment = augmentStep is { } st && (Options.ColourJitter > 0 || Options.MaxShiftPixels > 0)
            ? new Random(unchecked((Options.Seed * 1_000_003 + st) * 31 + 7))
            : null;
        var c = pairs.InputChannels;
        var plane = pairs.Height * pairs.Width;
        var input = new float[indices.Length * c * plane];
        var target = new float[indices.Length * 3 * plane];
        var mask = new float[indices.Length * plane];
        for (var i = 0; i < indices.Length; i++)
        {
            var pair = pairs.Get(indices[i]);
            pair.Require(c, pairs.Height, pairs.Width);
            pair.Input.CopyTo(input, i * c * plane);
            pair.Target.CopyTo(target, i * 3 * plane);
            pair.Mask.CopyTo(mask, i * plane);
            if (augment is not null)
            {
                Augmentation.Apply(
                    augment, Options.ColourJitter, Options.MaxShiftPixels, pairs.Height, pairs.Width,
                    input.AsSpan(i * c * plane, c * plane), target.AsSpan(i * 3 * plane, 3 * plane), mask.AsSpan(i * plane, plane));
            }
        }

        long n = indices.Length, h = pairs.Height, w = pairs.Width;
        return (
            torch.tensor(input, [n, c, h, w]).to(Device),
            torch.tensor(target, [n, 3, h, w]).to(Device),
            torch.tensor(mask, [n, 1, h, w]).to(Device));
    }

    private void RequireShape(ITrainingPairSource pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count < 1 || pairs.InputChannels != Config.Generator.InputChannels || pairs.Height != Config.CropSize || pairs.Width != Config.CropSize)
        {
            throw new ArgumentException(
                $"Pairs must be {Config.Generator.InputChannels}×{Config.CropSize}×{Config.CropSize} and at least one; got {pairs.Count} of {pairs.InputChannels}×{pairs.Height}×{pairs.Width}.",
                nameof(pairs));
        }
    }

    private static void SetLearningRate(Adam optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }
    }

    private static double Value(Tensor scalar) => scalar.item<float>();

    /// <summary>One reduction per parameter and a single read back: the largest magnitude of each is finite.</summary>
    private void RequireFiniteWeights(nn.Module module, string what)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var largest = torch.stack(module.parameters().Select(p => p.abs().max()).ToArray());
        if (!largest.isfinite().all().item<bool>())
        {
            throw new TrainingDivergedException(Step + 1, what);
        }
    }

    private sealed record CheckpointHeader(NeuralRendererConfig Config, TrainingOptions Options, int Step);
}
