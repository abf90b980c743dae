using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.ActorTraining;
using FacePipeline.NeuralRenderer;
using MassTransit;

namespace FacePipeline.Training;

/// <summary>
/// Trains one model version (<see cref="ActorTrainingStage"/>), publishing its progress as it goes. A studio's cancel ends
/// the run (acknowledged: the job is already cancelled); a host shutdown leaves the message unacknowledged, so the run
/// resumes from its checkpoint on the next instance.
/// </summary>
public sealed class TrainActorModelConsumer(ActorTrainingStage stage, TrainingCancellations cancellations, ILogger<TrainActorModelConsumer> logger)
    : StageConsumer<TrainActorModel, ActorModelTrained>(logger)
{
    protected override string Stage => StageNames.Train;

    protected override async Task<ActorModelTrained?> Run(ConsumeContext<TrainActorModel> context)
    {
        var command = context.Message;
        using var run = cancellations.Register(command.JobId, context.CancellationToken);
        try
        {
            return await stage.RunAsync(command, progress => context.Publish(progress), run.Token);
        }
        catch (OperationCanceledException) when (run.CancelledByStudio)
        {
            logger.LogInformation("Job {JobId}: training cancelled by the studio; checkpoint kept", command.JobId);
            return null;
        }
        catch (TrainingDivergedException diverged)
        {
            // A declared failure, not retried (the same footage and settings diverge the same way), with a sentence that
            // blames the studio's settings only when it chose them.
            throw new JobInputException(
                FailureCodes.TrainingDiverged,
                diverged.ForStudio(command.Settings.ChosenNumerics(), TrainingSettings.DefaultNumerics),
                diverged);
        }
    }

    protected override int UnitsDone(TrainActorModel command, ActorModelTrained done) => done.Steps;

    protected override void LogDone(ILogger log, TrainActorModel command, ActorModelTrained done, double seconds) =>
        log.LogInformation(
            "Job {JobId}: actor model v{Version} trained, {Steps} steps in {Seconds:F0}s; held-out PSNR {Psnr:F2} dB (warp {Warp:F2} dB)",
            command.JobId, command.Version, done.Steps, seconds, done.Validation.Psnr, done.WarpBaseline.Psnr);
}

/// <summary>One training at a time per instance: it uses every core (or the GPU).</summary>
public sealed class TrainActorModelConsumerDefinition : ConsumerDefinition<TrainActorModelConsumer>
{
    public TrainActorModelConsumerDefinition() => ConcurrentMessageLimit = 1;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TrainActorModelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 1; // a second message would wait here, not on an idle instance
    }
}
