using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Reconstruction;

/// <summary>Runs <see cref="FaceReconstructionStage"/> on one chunk and reports it done.</summary>
public sealed class ReconstructFacesConsumer(FaceReconstructionStage stage, ILogger<ReconstructFacesConsumer> logger)
    : StageConsumer<ReconstructFaces, FacesReconstructed>(logger)
{
    protected override string Stage => StageNames.Reconstruct;

    protected override async Task<FacesReconstructed?> Run(ConsumeContext<ReconstructFaces> context) => await stage.RunAsync(context.Message, context.CancellationToken);

    protected override int UnitsDone(ReconstructFaces command, FacesReconstructed done) => done.FrameCount;

    protected override void LogDone(ILogger log, ReconstructFaces command, FacesReconstructed done, double seconds) =>
        log.LogInformation(
            "Job {JobId} chunk {Chunk}: {Frames} frames, {WithFaces} with faces, {Ms:F1} ms/frame ({Model})",
            done.JobId, done.ChunkIndex, done.FrameCount, done.FramesWithFaces, seconds * 1000 / Math.Max(1, done.FrameCount), stage.Landmarker.Name);
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
