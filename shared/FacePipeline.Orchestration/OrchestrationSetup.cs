using FacePipeline.Orchestration.DeadLetters;
using FacePipeline.Orchestration.Notifications;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Orchestration.Scheduling;
using FacePipeline.Orchestration.Watchdog;
using FacePipeline.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration;

public static class OrchestrationSetup
{
    /// <summary>
    /// The coordinator, submission and outbox services, the job watchdog, the dead-letter monitor and the retention sweeper
    /// with the studios' deletions, the webhook dispatcher and the event streams (not the consumers: see
    /// <see cref="AddJobCoordinatorConsumers"/>). Their options (sections "Outbox", "Watchdog", "DeadLetters", "Retention",
    /// "Scheduling", "Webhooks", "Events", "Pipelines") are validated at start-up. Needs the media store.
    /// </summary>
    public static IServiceCollection AddJobOrchestration(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddValidatedOptions<OutboxOptions>(OutboxOptions.Section);
        services.AddValidatedOptions<WatchdogOptions>(WatchdogOptions.Section);
        services.AddValidatedOptions<DeadLetterOptions>(DeadLetterOptions.Section);
        services.AddHostedService<JobWatchdog>();
        services.AddSingleton(sp => new DeadLetterQueues(sp.GetRequiredService<IOptions<RabbitMqOptions>>().Value));
        services.AddHostedService<DeadLetterMonitor>();
        services.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton<MediaRetention>();
        services.AddSingleton<StudioDeletions>();
        services.AddHostedService<RetentionSweeper>();
        services.AddSingleton<OutboxSignal>();
        services.AddValidatedOptions<PipelineOptions>(PipelineOptions.Section);
        services.AddSingleton(sp => JobPipelines.For(sp.GetRequiredService<IOptions<PipelineOptions>>().Value.TrackQc));
        services.AddSingleton<JobCoordinator>();
        services.AddSingleton<JobSubmission>();
        services.AddValidatedOptions<SchedulingOptions>(SchedulingOptions.Section);
        services.AddSingleton<SchedulerSignal>();
        services.AddSingleton<JobScheduler>();
        services.AddHostedService<JobSchedulerService>();
        services.AddWebhooksAndEventStreams();
        // Publishes on the bus itself (a singleton), not on a scoped IPublishEndpoint: the dispatcher lives as long as the host.
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<OutboxDispatcher>(sp, (IPublishEndpoint)sp.GetRequiredService<IBus>()));
        return services;
    }

    /// <summary>
    /// The studios' webhooks (<see cref="StudioWebhooks"/>, sent by <see cref="WebhookDispatcher"/> with
    /// <see cref="AddWebhookHttpClient"/>) and the live event streams
    /// (<see cref="JobEventStream"/>); sections "Webhooks" and "Events", validated at start-up.
    /// </summary>
    private static void AddWebhooksAndEventStreams(this IServiceCollection services)
    {
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
        services.AddValidatedOptions<EventStreamOptions>(EventStreamOptions.Section);
        services.AddWebhookHttpClient();
        services.AddSingleton<StudioWebhooks>();
        services.AddSingleton<JobEventStream>();
        services.AddHostedService<WebhookDispatcher>();
    }

    /// <summary>
    /// The named client <see cref="WebhookDispatcher.HttpClientName"/> the deliveries go out with: no redirects followed
    /// (a delivery goes only to the URL the studio set), no cookies, no client-wide timeout (each attempt has
    /// Webhooks:Timeout), and a User-Agent that says what is calling.
    /// </summary>
    public static IHttpClientBuilder AddWebhookHttpClient(this IServiceCollection services) =>
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("FacePipeline-Webhooks/1");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    /// <summary>
    /// The coordinator's consumers, for every message the kinds' pipelines declare: one event consumer per step event
    /// (completion and progress), one fault consumer per step command and completion event, and the stages' refusals.
    /// </summary>
    public static void AddJobCoordinatorConsumers(this IBusRegistrationConfigurator bus, JobPipelines? pipelines = null)
    {
        pipelines ??= JobPipelines.Default;
        foreach (var message in pipelines.Completions.Concat(pipelines.ProgressEvents))
        {
            bus.AddConsumer(typeof(StepEventConsumer<>).MakeGenericType(message), typeof(StepEventConsumerDefinition<>).MakeGenericType(message));
        }

        foreach (var message in pipelines.Commands.Concat(pipelines.Completions))
        {
            bus.AddConsumer(typeof(StepFaultConsumer<>).MakeGenericType(message), typeof(StepFaultConsumerDefinition<>).MakeGenericType(message));
        }

        bus.AddConsumer<StageFailedConsumer, StageFailedConsumerDefinition>();
    }
}
