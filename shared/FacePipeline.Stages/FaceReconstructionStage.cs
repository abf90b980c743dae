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
/// A chunk of a track job's single-decode pass (<see cref="ReconstructFaces.Pass"/>) runs <see cref="OnePassTrackRenderer"/>
/// instead: the same records, and the chunk's QC segment drawn and encoded from the same decoded frames, the tracker and
/// filters taken up from the chunk before and left for the next.
/// </summary>
/// <param name="triangles">The face mesh's triangles (vertex indices, three a triangle), drawn on a pass's QC segment; null: this stage tracks only.</param>
/// <param name="rings">The process's idle frame rings for passes, shared with its other slots (<see cref="FrameRingPool"/>); null: its own.</param>
public sealed class FaceReconstructionStage(
    MediaStore store, BlazeFaceDetector detector, FaceLandmarkModel landmarker, IReadOnlyList<int>? triangles = null, FrameRingPool? rings = null)
{
    private readonly ChunkFaceTracking _tracking = new(detector, landmarker);
    private readonly OnePassTrackRenderer? _pass = triangles is null ? null : new(detector, landmarker, triangles, rings: rings);

    /// <summary>The landmark model the chunks are tracked with.</summary>
    public FaceLandmarkModel Landmarker => landmarker;

    public async Task<FacesReconstructed> RunAsync(ReconstructFaces command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var timeline = FrameTimeline.Load(store.PathFor(command.TimelineKey));
        if (command.Pass is { } pass)
        {
            return await RunPassAsync(command, pass, timeline, cancellationToken);
        }

        var chunk = command.Chunk;
        var withFaces = 0;
        try
        {
            // Each frame's record goes to the file as it is tracked; the file replaces the key's only once complete.
            await store.WriteAsync(command.FacesKey, async (stream, token) =>
            {
                using var writer = new TrackingBinaryWriter(stream, chunk.FrameCount, leaveOpen: true);
                await _tracking.TrackAsync(
                    store.PathFor(command.SourceKey), timeline, command.Width, command.Height, chunk.FirstFrame, chunk.FrameCount, TrackerOptions(command),
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

    /// <summary>
    /// One piece of a track job's single-decode pass: the chunk's records under its key, its QC segment under the pass's
    /// segment key and where the tracker and filters ended under the state key, each replacing its key only once
    /// complete (the state last), so a redelivered piece rewrites the same three files from the same state.
    /// </summary>
    private async Task<FacesReconstructed> RunPassAsync(ReconstructFaces command, TrackPass pass, FrameTimeline timeline, CancellationToken cancellationToken)
    {
        var renderer = _pass ?? throw new InvalidOperationException("This reconstruction worker was built without the face mesh, so it cannot draw a track job's QC segment.");
        if (timeline.PlanesMatrix is null)
        {
            // The coordinator sends a pass only for a clip extraction found exact (FramesExtracted.ExactPlanes): a mismatch is ours.
            throw new InvalidOperationException($"Job {command.JobId}: the clip '{command.Clip}' does not decode as exact 4:2:0 planes, yet its chunk {command.Chunk.Index} was sent as a single-decode pass.");
        }

        TrackPassState? start = null;
        if (pass.StateInKey is { } stateIn)
        {
            await using var stream = store.OpenRead(stateIn);
            start = TrackPassState.Read(stream);
        }

        var (chunk, video) = (command.Chunk, pass.Video);
        var timing = TrackRenderStage.SourceTiming(store, command.TimelineKey, video);
        var segmentPath = store.PathFor(pass.QcSegmentKey);
        Directory.CreateDirectory(Path.GetDirectoryName(segmentPath)!);
        OnePassTrackSummary? summary = null;
        try
        {
            await store.WriteAsync(command.FacesKey, async (stream, token) =>
            {
                using var writer = new TrackingBinaryWriter(stream, chunk.FrameCount, leaveOpen: true);
                summary = await renderer.RunAsync(
                    store.PathFor(command.SourceKey), timeline, command.Width, command.Height, chunk.FirstFrame, chunk.FrameCount, start, TrackerOptions(command),
                    (drawn, encodeToken) => ClipSegments.EncodeH264SegmentAsync(
                        drawn, video.Width, video.Height, new Rational(video.FrameRateNumerator, video.FrameRateDenominator), timing, chunk.FirstFrame, chunk.FrameCount,
                        segmentPath, new H264EncodeOptions { Input = QcOverlay.Pixels }, encodeToken),
                    writer.Write,
                    null,
                    token);
                writer.Complete();
            }, cancellationToken);
        }
        catch (MediaRejectedException refused)
        {
            throw new JobInputException(FailureCodes.Corrupt, refused.Reason, refused);
        }

        var end = summary!.End;
        store.Write(pass.StateOutKey, end.Write);
        return new FacesReconstructed(command.JobId, command.Clip, chunk.Index, chunk.FrameCount, summary.FramesWithFaces, command.FacesKey);
    }

    private static FaceTrackerOptions TrackerOptions(ReconstructFaces command) =>
        new() { MaxFaces = command.MaxFaces, Target = command.FacePoint is { } p ? new PixelPoint(p.X, p.Y) : null };
}
