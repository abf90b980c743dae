using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The reconstruction stage on one chunk with the landmark model the service chose (the refined model, irises
/// included, when installed): decode the chunk's frames from the upload, track the faces (<see cref="ChunkFaceTracking"/>),
/// write their records (compact binary, with the irises when the model has them) under the command's key as they are
/// tracked, the file replacing the key's only once complete, so a redelivered command just rewrites them. One instance per worker: it owns the models' buffers.
/// </summary>
public sealed class FaceReconstructionStage(MediaStore store, BlazeFaceDetector detector, FaceLandmarkModel landmarker)
{
    private readonly ChunkFaceTracking _tracking = new(detector, landmarker);

    /// <summary>The landmark model the chunks are tracked with.</summary>
    public FaceLandmarkModel Landmarker => landmarker;

    public async Task<FacesReconstructed> RunAsync(ReconstructFaces command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var timeline = FrameTimeline.Load(store.PathFor(command.TimelineKey));
        var chunk = command.Chunk;
        var withFaces = 0;
        try
        {
            // Each frame's record goes to the file as it is tracked; the file replaces the key's only once complete.
            await store.WriteAsync(command.FacesKey, async (stream, token) =>
            {
                using var writer = new TrackingBinaryWriter(stream, chunk.FrameCount, leaveOpen: true);
                await _tracking.TrackAsync(
                    store.PathFor(command.SourceKey), timeline, command.Width, command.Height, chunk.FirstFrame, chunk.FrameCount,
                    new FaceTrackerOptions { MaxFaces = command.MaxFaces, Target = command.FacePoint is { } p ? new PixelPoint(p.X, p.Y) : null },
                    frame =>
                    {
                        writer.Write(frame);
                        withFaces += frame.Faces.Count > 0 ? 1 : 0;
                    },
                    token);
                writer.Complete();
            }, cancellationToken);
        }
        catch (MediaRejectedException refused)
        {
            // The upload decoded in one piece at extraction; a run that stops short is a file that decodes differently
            // from a seek (damaged in the middle): the studio's to re-export.
            throw new JobInputException(FailureCodes.Corrupt, refused.Reason, refused);
        }

        return new FacesReconstructed(command.JobId, command.Clip, chunk.Index, chunk.FrameCount, withFaces, command.FacesKey);
    }
}
