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
public sealed class TrainActorModelConsumer(ActorTrainingStage stage, TrainingCancellations cancellations, ILogger<TrainActorModelConsumer> logger) : IConsumer<TrainActorModel>
{
    public async Task Consume(ConsumeContext<TrainActorModel> context)
    {
        var command = context.Message;
        var work = StageWork.Start(StageNames.Train);
        using var run = cancellations.Register(command.JobId, context.CancellationToken);
        ActorModelTrained trained;
        try
        {
            trained = await stage.RunAsync(command, progress => context.Publish(progress), run.Token);
        }
        catch (ArgumentException ex)
        {
            await context.Publish(new StageFailed(command.JobId, StageNames.Train, ex.Message, FailureCodes.BadSettings));
            return;
        }
        catch (TrainingDivergedException ex)
        {
            await context.Publish(new StageFailed(command.JobId, StageNames.Train, ex.Message, FailureCodes.TrainingDiverged));
            return;
        }
        catch (OperationCanceledException) when (run.CancelledByStudio)
        {
            logger.LogInformation("Job {JobId}: training cancelled by the studio; checkpoint kept", command.JobId);
            return;
        }

        var seconds = work.Complete(trained.Steps);
        logger.LogInformation(
            "Job {JobId}: actor model v{Version} trained, {Steps} steps in {Seconds:F0}s; held-out PSNR {Psnr:F2} dB (warp {Warp:F2} dB)",
            command.JobId, command.Version, trained.Steps, seconds, trained.Validation.Psnr, trained.WarpBaseline.Psnr);
        await context.Publish(trained);
    }
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
