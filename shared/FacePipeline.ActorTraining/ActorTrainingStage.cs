using System.Threading.Channels;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.NeuralRenderer;
using FacePipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.ActorTraining;

/// <summary>
/// The training stage of a train-actor job: loads the actor's reconstructed footage (<see cref="ActorFootage"/>), builds
/// self-reenactment pairs (training frames, and held-out frames for validation), trains the neural renderer
/// (<see cref="GanTrainer"/>) within the job's budget, and writes to the media store a checkpoint as it goes (a redelivered
/// command — the service was killed — resumes from it), the ONNX generator and a real | warp | neural preview. The
/// learning rate stays constant for the first half of the step budget and decays linearly to 1 % over the second.
/// </summary>
/// <param name="store">The media store.</param>
/// <param name="mesh">MediaPipe's canonical face.</param>
/// <param name="options">The service's settings (the Training service binds and validates them at start-up; <see cref="TrainingStageOptions.Default"/> elsewhere).</param>
/// <param name="logger">The stage's log.</param>
public sealed class ActorTrainingStage(MediaStore store, CanonicalFaceMesh mesh, TrainingStageOptions options, ILogger<ActorTrainingStage> logger)
{
    private readonly ILogger log = logger ?? throw new ArgumentNullException(nameof(logger));
    private readonly MetricLandmarks geometry = new(mesh);
    private readonly TrainingStageOptions stageOptions = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>The studio's settings, checked; problems a person can act on are a <see cref="JobInputException"/> (<see cref="FailureCodes.BadSettings"/>).</summary>
    public static void Validate(TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Problems() is { Count: > 0 } problems)
        {
            throw new JobInputException(FailureCodes.BadSettings, string.Join(" ", problems));
        }
    }

    /// <summary>Trains (or resumes) the model version of <paramref name="command"/>, reporting progress through <paramref name="report"/>.</summary>
    /// <exception cref="JobInputException">Bad settings, or footage too short to train on.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; a checkpoint of the last finished step was written first.</exception>
    /// <exception cref="TrainingDivergedException">A loss or a weight became non-finite; the last good checkpoint is left as it was.</exception>
    public async Task<ActorModelTrained> RunAsync(TrainActorModel command, Func<ActorTrainingProgressed, Task> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(report);
        var settings = command.Settings;
        Validate(settings);
        var footage = await ActorFootage.LoadAsync(
            store, geometry, command.Clips, NeuralFaceRenderer.FootageScale * settings.CropSize, stageOptions.MaxFrames, settings.ValidationFraction, cancellationToken);
        var builder = new SelfReenactmentPairBuilder(mesh, settings.CropSize);
        var train = new SelfReenactmentPairSource(builder, footage.Frames, SelfReenactmentPairSource.RandomPairs(footage.Training, stageOptions.SourcesPerTarget, seed: 1));
        // Validation as a retarget works: held-out targets (never trained on) reached from training frames.
        var validation = new SelfReenactmentPairSource(builder, footage.Frames, SelfReenactmentPairSource.RandomPairs(footage.Validation, footage.Training, 1, seed: 2));
        var best = await BestGenerator.ReadAsync(store, command, cancellationToken); // a resumed run keeps the best of the earlier run
        var half = Math.Max(1, settings.MaxSteps / 2);
        var trainingOptions = new TrainingOptions
        {
            BatchSize = settings.BatchSize,
            ConstantSteps = half,
            DecaySteps = Math.Max(1, settings.MaxSteps - half),
            ProgressInterval = stageOptions.ProgressInterval,
            ValidationInterval = stageOptions.ValidationInterval,
            CheckpointInterval = stageOptions.CheckpointInterval,
        };

        using var trainer = await ResumeOrStart(command, trainingOptions, cancellationToken);
        var lastGoodCheckpoint = store.Exists(command.CheckpointKey) ? trainer.Step : 0;
        var checkpoint = Checkpoint(command);
        var progress = Channel.CreateUnbounded<ActorTrainingProgressed>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var publisher = Task.Run(async () =>
        {
            await foreach (var message in progress.Reader.ReadAllAsync(CancellationToken.None))
            {
                try
                {
                    await report(message);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    // Progress is advisory (the next report or the completion carries it): a report that cannot be sent must
                    // not fault a training that goes on, nor one that has finished.
                    log.LogWarning(error, "Job {JobId}: progress report of step {Step} not sent; training goes on", command.JobId, message.Step);
                }
            }
        }, CancellationToken.None);

        TrainingResult result;
        try
        {
            result = await Task.Run(
                () => trainer.Train(
                    train,
                    validation,
                    new TrainingBudget(settings.MaxSteps, settings.MaxMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null),
                    p => progress.Writer.TryWrite(Progressed(command, p)),
                    t =>
                    {
                        checkpoint(t);
                        lastGoodCheckpoint = t.Step;
                    },
                    cancellationToken,
                    (t, metrics) => best = best.Offer(store, command, t, metrics)),
                CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            checkpoint(trainer); // stopped between steps: keep what was learned
            throw;
        }
        catch (TrainingDivergedException diverged)
        {
            // No checkpoint of a diverged trainer: the last one written is the last good state.
            log.LogError("Job {JobId}: model v{Version} diverged at step {Step} ({What}); last good checkpoint at step {Checkpoint}", command.JobId, command.Version, diverged.Step, diverged.What, lastGoodCheckpoint);
            throw diverged.WithLastGoodCheckpoint(lastGoodCheckpoint);
        }
        finally
        {
            progress.Writer.TryComplete();
            await publisher;
        }

        // The generator kept is the best on the held-out frames (with little footage the last step is rarely the best).
        var final = result.Validation ?? trainer.Validate(validation);
        best = best.Offer(store, command, trainer, final);
        if (best.Metrics is not { } metrics)
        {
            // Finite weights whose output on the held-out frames is not: no generator is worth keeping.
            var diverged = new TrainingDivergedException(result.Step, "generator's held-out PSNR", lastGoodCheckpoint);
            log.LogError("Job {JobId}: model v{Version}: {Reason}", command.JobId, command.Version, diverged.Message);
            throw diverged;
        }

        var rows = Enumerable.Range(0, Math.Min(stageOptions.PreviewRows, validation.Count)).ToList();
        var (preview, width, height) = RendererPreview.Compose(validation, rows, Generate(store.PathFor(command.GeneratorKey), validation, rows));
        var previewPath = store.PathFor(command.PreviewKey);
        Directory.CreateDirectory(Path.GetDirectoryName(previewPath)!);
        await StillImageWriter.WriteAsync(preview, width, height, previewPath, cancellationToken);
        log.LogInformation("Job {JobId}: model v{Version} kept from step {Step} (held-out PSNR {Psnr:F2} dB; last step {Last:F2} dB)", command.JobId, command.Version, best.Step, metrics.Psnr, final.Psnr);

        var warp = RendererPreview.WarpMetrics(validation);
        return new ActorModelTrained(
            command.JobId,
            command.ModelId,
            result.Step,
            result.Elapsed.TotalSeconds,
            Figures(metrics),
            Figures(warp),
            command.GeneratorKey,
            command.CheckpointKey,
            command.PreviewKey);
    }

    /// <summary>The kept generator (ONNX Runtime, as the rendering service runs it) on some held-out pairs.</summary>
    private static List<float[]> Generate(string generatorPath, ITrainingPairSource pairs, IReadOnlyList<int> rows)
    {
        using var session = new GeneratorSession(File.ReadAllBytes(generatorPath), maxBatch: 1);
        var result = new List<float[]>(rows.Count);
        foreach (var row in rows)
        {
            var rgb = new float[3 * pairs.Height * pairs.Width];
            session.Run(pairs.Get(row).Input, 1, rgb);
            result.Add(rgb);
        }

        return result;
    }

    private async Task<GanTrainer> ResumeOrStart(TrainActorModel command, TrainingOptions options, CancellationToken cancellationToken)
    {
        if (!store.Exists(command.CheckpointKey))
        {
            return new GanTrainer(NeuralRendererConfig.ForCrop(command.Settings.CropSize), options);
        }

        await using var stream = store.OpenRead(command.CheckpointKey);
        var trainer = GanTrainer.LoadCheckpoint(stream, options);
        log.LogInformation("Job {JobId}: model v{Version} resumed from step {Step} (checkpoint {Key})", command.JobId, command.Version, trainer.Step, command.CheckpointKey);
        if (trainer.Config.CropSize != command.Settings.CropSize)
        {
            trainer.Dispose();
            throw new InvalidDataException($"The checkpoint of model version {command.Version} is for {trainer.Config.CropSize}px crops, not {command.Settings.CropSize}px.");
        }

        return trainer;
    }

    /// <summary>Writes the trainer's state under the command's checkpoint key, atomically (a kill mid-write leaves the previous checkpoint).</summary>
    private Action<GanTrainer> Checkpoint(TrainActorModel command) => trainer => store.Write(command.CheckpointKey, trainer.SaveCheckpoint);

    private static ActorTrainingProgressed Progressed(TrainActorModel command, TrainingProgress p) => new(
        command.JobId,
        command.ModelId,
        p.Step,
        p.MaxSteps ?? command.Settings.MaxSteps,
        p.Losses is { } l ? TrainingLossFigures.Of(l.Generator, l.Discriminator, l.L1, l.Adversarial, l.FeatureMatching) : null,
        p.Validation is { } v ? Figures(v) : null,
        p.Elapsed.TotalSeconds);

    private static ValidationFigures Figures(ValidationMetrics m) => ValidationFigures.Of(m.L1, m.Psnr, m.Ssim, m.Pairs);
}

/// <summary>
/// The best generator so far on the held-out pairs: written under the command's generator key with its figures beside it
/// (<c>generator.onnx.json</c>), so that a resumed run keeps the best of the run it resumes.
/// </summary>
internal sealed record BestGenerator(int Step, ValidationMetrics? Metrics)
{
    // A figure that is not finite is never kept (Offer), but a file must never fail to write or read for one.
    private static readonly System.Text.Json.JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static string MetricsKey(TrainActorModel command) => command.GeneratorKey + ".json";

    public static async Task<BestGenerator> ReadAsync(MediaStore store, TrainActorModel command, CancellationToken cancellationToken)
    {
        if (!store.Exists(MetricsKey(command)) || !store.Exists(command.GeneratorKey))
        {
            return new BestGenerator(0, null);
        }

        await using var stream = store.OpenRead(MetricsKey(command));
        return await System.Text.Json.JsonSerializer.DeserializeAsync<BestGenerator>(stream, Json, cancellationToken) ?? new BestGenerator(0, null);
    }

    /// <summary>
    /// Keeps <paramref name="trainer"/>'s generator when it beats this one's held-out PSNR (or when there is none yet); a
    /// generator whose held-out PSNR is not finite is never kept.
    /// </summary>
    public BestGenerator Offer(MediaStore store, TrainActorModel command, GanTrainer trainer, ValidationMetrics metrics)
    {
        if (!double.IsFinite(metrics.Psnr) || (Metrics is { } kept && kept.Psnr >= metrics.Psnr))
        {
            return this;
        }

        var next = new BestGenerator(trainer.Step, metrics);
        Write(store, command.GeneratorKey, trainer.ExportGeneratorOnnx());
        Write(store, MetricsKey(command), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(next, Json));
        return next;
    }

    private static void Write(MediaStore store, string key, byte[] bytes) => store.Write(key, stream => stream.Write(bytes));
}
