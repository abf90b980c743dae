using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The reconstruction service's per-clip step: once every chunk of a clip is tracked, the chunks' landmark records become
/// the clip's 3D face sequence (<see cref="FaceSequenceBuilder"/>: tracks linked across chunks, landmarks filtered over
/// time, head pose, pose-free face, neutral and expression per frame), stored once as .fptk. Transfer, rendering and
/// training read it instead of building it again.
/// </summary>
public sealed class FaceSequenceStage(MediaStore store, CanonicalFaceMesh mesh)
{
    private readonly MetricLandmarks _geometry = new(mesh);

    public async Task<FaceSequenceBuilt> RunAsync(BuildFaceSequence command, CancellationToken cancellationToken)
    {
        var clip = command.Clip;
        var video = clip.Video;
        var chunks = await ClipRecords.GatherAsync(store, clip.Chunks, video.FrameCount, cancellationToken);
        var frames = new FaceSequenceBuilder(_geometry).Build(chunks, video.Width, video.Height, new FaceSequenceOptions(command.NeutralFrame));
        store.Write(command.SequenceKey, stream => TrackingBinary.Write(stream, frames));
        return new FaceSequenceBuilt(command.JobId, clip.Clip, command.SequenceKey, frames.Count, frames.Count(f => f.Faces.Count > 0));
    }
}
