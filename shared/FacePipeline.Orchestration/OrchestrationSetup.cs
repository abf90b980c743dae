using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Orchestration;

public static class OrchestrationSetup
{
    /// <summary>The coordinator, submission and outbox services (not the consumers: see <see cref="AddJobCoordinatorConsumers"/>).</summary>
    public static IServiceCollection AddJobOrchestration(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<JobCoordinator>();
        services.AddSingleton<JobSubmission>();
        services.AddHostedService<OutboxDispatcher>();
        return services;
    }

    public static void AddJobCoordinatorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<FramesExtractedConsumer>();
        bus.AddConsumer<FacesReconstructedConsumer>();
        bus.AddConsumer<TrackOutputsRenderedConsumer>();
        bus.AddConsumer<ExpressionsTransferredConsumer>();
        bus.AddConsumer<RetargetOutputsRenderedConsumer>();
        bus.AddConsumer<ActorTrainingProgressedConsumer>();
        bus.AddConsumer<ActorModelTrainedConsumer>();
        bus.AddConsumer<StageFailedConsumer>();
        bus.AddConsumer<StageFaultConsumer>();
    }
}
