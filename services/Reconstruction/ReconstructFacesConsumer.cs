using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Reconstruction;

/// <summary>
/// Runs <see cref="FaceReconstructionStage"/> on one chunk (for a track job's single-decode pass, one piece of it: the
/// chunk's QC segment encoded too), in a free slot of the process's <see cref="FaceReconstructionSlots"/>, and reports it done.
/// </summary>
public sealed class ReconstructFacesConsumer(FaceReconstructionSlots slots, ILogger<ReconstructFacesConsumer> logger)
    : StageConsumer<ReconstructFaces, FacesReconstructed>(logger)
{
    protected override string Stage => StageNames.Reconstruct;

    protected override async Task<FacesReconstructed?> Run(ConsumeContext<ReconstructFaces> context) => await slots.RunAsync(context.Message, context.CancellationToken);

    protected override int UnitsDone(ReconstructFaces command, FacesReconstructed done) => done.FrameCount;

    protected override void LogDone(ILogger log, ReconstructFaces command, FacesReconstructed done, double seconds) =>
        log.LogInformation(
            "Job {JobId} chunk {Chunk}: {Frames} frames, {WithFaces} with faces, {Ms:F1} ms/frame ({Model}){Pass}",
            done.JobId, done.ChunkIndex, done.FrameCount, done.FramesWithFaces, seconds * 1000 / Math.Max(1, done.FrameCount), slots.LandmarkModel,
            command.Pass is null ? "" : "; single-decode pass: its QC segment encoded");
}

/// <summary>
/// As many chunks at once per process as it has slots (<see cref="FaceReconstructionSlots.Count"/>, from
/// <see cref="ReconstructionOptions.ConcurrentChunks"/>: one per core by default), and no more held from the broker, so that
/// chunks spread over processes. Scale out with more processes (each takes chunks from the same queue).
/// </summary>
public sealed class ReconstructFacesConsumerDefinition : ConsumerDefinition<ReconstructFacesConsumer>
{
    private readonly int _slots;

    public ReconstructFacesConsumerDefinition(FaceReconstructionSlots slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        _slots = slots.Count;
        ConcurrentMessageLimit = _slots;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReconstructFacesConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _slots;
    }
}
