using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The reconstruction service's per-clip step: once every chunk of a clip is tracked, the chunks' landmark records become
/// the clip's 3D face sequence (<see cref="FaceSequenceBuilder"/>: tracks linked across chunks, landmarks filtered over
/// time, head pose, pose-free face, neutral and expression per frame), stored once as .fptk. Transfer, rendering and
/// training read it instead of building it again. The chunks are read one at a time and the sequence is written frame by
/// frame, its whole-clip steps working from temporary files beside it (issue 16: memory flat in length).
/// </summary>
public sealed class FaceSequenceStage(MediaStore store, CanonicalFaceMesh mesh)
{
    private readonly MetricLandmarks _geometry = new(mesh);

    public Task<FaceSequenceBuilt> RunAsync(BuildFaceSequence command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Task.Run(() => Build(command, cancellationToken), cancellationToken);
    }

    private FaceSequenceBuilt Build(BuildFaceSequence command, CancellationToken cancellationToken)
    {
        var clip = command.Clip;
        var video = clip.Video;
        var spill = Path.GetDirectoryName(store.PathFor(command.SequenceKey));
        FaceSequenceSummary? summary = null;
        store.Write(command.SequenceKey, stream =>
        {
            using var writer = new TrackingBinaryWriter(stream, video.FrameCount, leaveOpen: true);
            summary = new FaceSequenceBuilder(_geometry).Build(
                () => ClipRecords.ReadChunks(store, clip.Chunks, video.FrameCount, cancellationToken),
                video.Width,
                video.Height,
                new FaceSequenceOptions(command.NeutralFrame),
                writer.Write,
                spill);
            writer.Complete();
        });
        return new FaceSequenceBuilt(command.JobId, clip.Clip, command.SequenceKey, summary!.FrameCount, summary.FramesWithFaces);
    }
}
