using FacePipeline.Contracts;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using MassTransit;

namespace FacePipeline.Reconstruction;

/// <summary>Runs <see cref="FaceSequenceStage"/> on a clip whose chunks are all tracked and reports the 3D face sequence.</summary>
public sealed class BuildFaceSequenceConsumer(FaceSequenceStage stage, ILogger<BuildFaceSequenceConsumer> logger)
    : StageConsumer<BuildFaceSequence, FaceSequenceBuilt>(logger)
{
    protected override string Stage => StageNames.Reconstruct;

    protected override async Task<FaceSequenceBuilt?> Run(ConsumeContext<BuildFaceSequence> context) => await stage.RunAsync(context.Message, context.CancellationToken);

    /// <summary>None: the stage's frames were counted when their chunks were tracked.</summary>
    protected override int UnitsDone(BuildFaceSequence command, FaceSequenceBuilt done) => 0;

    protected override void LogDone(ILogger log, BuildFaceSequence command, FaceSequenceBuilt done, double seconds) =>
        log.LogInformation(
            "Job {JobId}: {Clip} clip's 3D face sequence built, {Frames} frames ({WithFaces} with faces) in {Seconds:F2}s",
            done.JobId, done.Clip, done.FrameCount, done.FramesWithFaces, seconds);
}
