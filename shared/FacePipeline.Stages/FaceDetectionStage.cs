using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The reconstruction stage (face detection for now) on one chunk: read its frames from the media
/// store, detect, write the frame records under the command's key (atomically, so a redelivered
/// command just rewrites them). One instance per worker: it owns the detector's buffers.
/// </summary>
public sealed class FaceDetectionStage(MediaStore store, BlazeFaceDetector detector)
{
    private readonly ChunkFaceDetection _chunkDetection = new(detector);

    public async Task<FacesDetected> RunAsync(DetectFaces command, CancellationToken cancellationToken)
    {
        var timeline = FrameTimeline.Load(store.PathFor(command.TimelineKey));
        var chunk = command.Chunk;
        var frames = await _chunkDetection.DetectAsync(
            store.PathFor(chunk.FramesKey), command.Width, command.Height, chunk.FirstFrame, chunk.FrameCount, timeline.Seconds, cancellationToken);
        await store.WriteAllBytesAsync(command.DetectionsKey, TrackingJson.SerializeFrames(frames), cancellationToken);
        return new FacesDetected(command.JobId, command.Clip, chunk.Index, chunk.FrameCount, frames.Count(f => f.Faces.Count > 0), command.DetectionsKey);
    }
}
