using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Reconstruction;

/// <summary>Runs <see cref="FaceReconstructionStage"/> on one chunk and reports it done.</summary>
public sealed class ReconstructFacesConsumer(FaceReconstructionStage stage, ILogger<ReconstructFacesConsumer> logger) : IConsumer<ReconstructFaces>
{
    public async Task Consume(ConsumeContext<ReconstructFaces> context)
    {
        var work = StageWork.Start(StageNames.Reconstruct);
        var detected = await stage.RunAsync(context.Message, context.CancellationToken);
        var seconds = work.Complete(detected.FrameCount);
        logger.LogInformation(
            "Job {JobId} chunk {Chunk}: {Frames} frames, {WithFaces} with faces, {Ms:F1} ms/frame ({Model})",
            detected.JobId, detected.ChunkIndex, detected.FrameCount, detected.FramesWithFaces, seconds * 1000 / Math.Max(1, detected.FrameCount), stage.Landmarker.Name);
        await context.Publish(detected);
    }
}

/// <summary>
/// One chunk at a time per process: the stage owns the detector's buffers and ONNX Runtime already
/// uses every core. Scale out with more processes (each takes chunks from the same queue).
/// </summary>
public sealed class ReconstructFacesConsumerDefinition : ConsumerDefinition<ReconstructFacesConsumer>
{
    public ReconstructFacesConsumerDefinition()
    {
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReconstructFacesConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 1;
    }
}
