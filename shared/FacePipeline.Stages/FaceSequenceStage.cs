using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The reconstruction service's per-clip step: once every chunk of a clip is tracked, the chunks' landmark records become
/// the clip's 3D face sequence (<see cref="FaceSequenceBuilder"/>: tracks linked across chunks (unless the chunks were
/// tracked as one run, <see cref="BuildFaceSequence.ContinuousTracks"/>), landmarks filtered over
/// time, head pose, pose-free face, neutral and expression per frame), stored once as .fptk. Transfer, rendering and
/// training read it instead of building it again. The chunks are read one at a time and the sequence is written frame by
/// frame, its whole-clip steps working from temporary files beside it (issue 16: memory flat in length). Once the job has
/// recorded the sequence, a track or retarget job's chunk records are deleted (issue 16: the working set on disk); a
/// command delivered again after that answers with the sequence already stored.
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
        if (store.Exists(command.SequenceKey) && clip.Chunks.Any(c => !store.Exists(c.FacesKey)))
        {
            // A command delivered again after its sequence was built and recorded: the chunk records were deleted then
            // (MediaRetention.SequenceBuilt). The sequence is written whole or not at all, so the one there is this one.
            return Built(command);
        }

        var spill = Path.GetDirectoryName(store.PathFor(command.SequenceKey));
        FaceSequenceSummary? summary = null;
        store.Write(command.SequenceKey, stream =>
        {
            using var writer = new TrackingBinaryWriter(stream, video.FrameCount, leaveOpen: true);
            summary = new FaceSequenceBuilder(_geometry).Build(
                () => command.ContinuousTracks
                    ? [ClipRecords.StreamChunks(store, clip.Chunks, video.FrameCount, cancellationToken).SelectMany(chunk => chunk)]
                    : ClipRecords.StreamChunks(store, clip.Chunks, video.FrameCount, cancellationToken),
                video.Width,
                video.Height,
                new FaceSequenceOptions(command.NeutralFrame),
                writer.Write,
                spill);
            writer.Complete();
        });
        return new FaceSequenceBuilt(command.JobId, clip.Clip, command.SequenceKey, summary!.FrameCount, summary.FramesWithFaces);
    }

    /// <summary>What a stored sequence holds, read a frame at a time.</summary>
    private FaceSequenceBuilt Built(BuildFaceSequence command)
    {
        using var reader = new TrackingBinaryReader(store.OpenRead(command.SequenceKey));
        var withFaces = reader.ReadAll().Count(f => f.Faces.Count > 0);
        return new FaceSequenceBuilt(command.JobId, command.Clip.Clip, command.SequenceKey, reader.FrameCount, withFaces);
    }
}
