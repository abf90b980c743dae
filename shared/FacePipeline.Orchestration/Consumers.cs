using System.Diagnostics;
using System.Text.RegularExpressions;
using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Orchestration;

// The job coordinator's consumers, generic over the steps' messages: AddJobCoordinatorConsumers registers one of each
// for every message the job kinds' pipelines declare (Pipelines/JobPipelines.cs), so a new step needs none written.
// Each writes the job database, so each retries an unavailable database for minutes (DatabaseFaults.OutageRetry); what
// outlasts that is recovered by the job watchdog (Watchdog/JobWatchdog.cs), never lost.

/// <summary>A step's completion or progress event, handed to <see cref="JobCoordinator.Handle{TEvent}"/>.</summary>
public sealed class StepEventConsumer<TEvent>(JobCoordinator coordinator) : IConsumer<TEvent>
    where TEvent : class, IJobMessage
{
    public Task Consume(ConsumeContext<TEvent> context) => coordinator.Handle(context.Message, context.CancellationToken);
}

/// <summary>Each event keeps a queue named after it ("frames-extracted"), as operators know them.</summary>
public sealed class StepEventConsumerDefinition<TEvent> : ConsumerDefinition<StepEventConsumer<TEvent>>
    where TEvent : class, IJobMessage
{
    public StepEventConsumerDefinition() => EndpointName = QueueNames.Of(typeof(TEvent));

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<StepEventConsumer<TEvent>> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(DatabaseFaults.OutageRetry);
}

/// <summary>A stage refused the job's input or settings: the job fails with the stage's code and sentence.</summary>
public sealed class StageFailedConsumer(JobCoordinator coordinator) : IConsumer<StageFailed>
{
    public Task Consume(ConsumeContext<StageFailed> context) =>
        coordinator.OnStageFailed(context.Message.JobId, context.Message.Stage, context.Message.Code, context.Message.Reason, context.CancellationToken);
}

/// <summary>Queue "stage-failed"; an unavailable database is retried for minutes.</summary>
public sealed class StageFailedConsumerDefinition : ConsumerDefinition<StageFailedConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<StageFailedConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(DatabaseFaults.OutageRetry);
}

/// <summary>
/// A step's command — or the coordinator itself, handling a step's event — threw on every retry: a server fault. The
/// job fails as <see cref="FailureCodes.Internal"/> with a correlation id (the faulted message's id, which the failing
/// service's log lines and trace carry), never blaming the studio, instead of hanging. Input problems never get here:
/// stages report those as <see cref="StageFailed"/>. Progress events have no fault handler: progress is advisory.
/// The coordinator's own handling of a completion that gave up because the job database was unavailable does not fail
/// the job: the work was done, only its record is missing, and the watchdog re-sends the step's outstanding commands
/// once the database is back (the stages' results are idempotent).
/// </summary>
public sealed class StepFaultConsumer<TMessage>(JobCoordinator coordinator, ILogger<StepFaultConsumer<TMessage>> logger) : IConsumer<Fault<TMessage>>
    where TMessage : class, IJobMessage
{
    public Task Consume(ConsumeContext<Fault<TMessage>> context)
    {
        var fault = context.Message;
        var stage = coordinator.Pipelines.StageOf(typeof(TMessage));
        var correlationId = (fault.FaultedMessageId ?? fault.FaultId).ToString("N");
        var cause = fault.Exceptions.FirstOrDefault();
        Activity.Current?.SetTag("facepipeline.correlation_id", correlationId);
        if (coordinator.Pipelines.Completions.Contains(typeof(TMessage)) && DatabaseFaults.WasUnavailable(cause))
        {
            logger.LogWarning(
                "Job {JobId}: the {Message} of the {Stage} stage could not be recorded while the job database was unavailable (correlation id {CorrelationId}); the job watchdog re-sends the stage's outstanding work",
                fault.Message.JobId, typeof(TMessage).Name, stage, correlationId);
            return Task.CompletedTask;
        }

        logger.LogError(
            "Job {JobId}: server fault in the {Stage} stage on {Message} (correlation id {CorrelationId}, host {Host}): {ExceptionType}: {Cause}",
            fault.Message.JobId, stage, typeof(TMessage).Name, correlationId, fault.Host?.MachineName, cause?.ExceptionType, cause?.Message);
        return coordinator.OnStageFailed(
            fault.Message.JobId,
            stage,
            FailureCodes.Internal,
            FailureReasons.ServerFault(stage, correlationId),
            context.CancellationToken,
            correlationId);
    }
}

/// <summary>Every fault goes to one queue, "stage-fault".</summary>
public sealed class StepFaultConsumerDefinition<TMessage> : ConsumerDefinition<StepFaultConsumer<TMessage>>
    where TMessage : class, IJobMessage
{
    public StepFaultConsumerDefinition() => EndpointName = QueueNames.StageFault;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<StepFaultConsumer<TMessage>> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(DatabaseFaults.OutageRetry);
}

/// <summary>The coordinator's queue names.</summary>
public static partial class QueueNames
{
    public const string StageFault = "stage-fault";

    public const string StageFailed = "stage-failed";

    /// <summary>"FramesExtracted" → "frames-extracted".</summary>
    public static string Of(Type message) => Words().Replace(message.Name, "$1-$2").ToLowerInvariant();

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex Words();
}
