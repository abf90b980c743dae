using System.Runtime.CompilerServices;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The rendering stage of a track job: gathers the chunks' landmark records in order (every frame
/// exactly once, or it refuses), builds the clip's 3D face records (tracks linked, filtered, pose,
/// neutral, expression), draws the mesh on the frames, encodes the QC clip (H.264, at the input's
/// frame times, variable frame rate included: <see cref="SourceTiming"/>; its audio; from its start timecode) and writes tracking.json and tracking.fptk, and with a curves writer
/// (<see cref="ITrackCurvesWriter"/>) the main face's blendshape curves, blendshapes.csv and blendshapes.json.
/// </summary>
public sealed class TrackRenderStage(MediaStore store, CanonicalFaceMesh mesh, ITrackCurvesWriter? curves = null)
{
    private readonly int[] _triangles = mesh.TriangleIndices();

    public async Task<TrackOutputsRendered> RunAsync(RenderTrackOutputs command, CancellationToken cancellationToken, RenderProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        progress ??= new RenderProgress(null);
        var video = command.Video;
        var clip = new ClipTrack(ClipNames.Source, command.SourceName, command.SourceKey, video, command.Chunks, command.TimelineKey, command.AudioKey, command.SequenceKey);

        // The clip's records are read from its sequence a frame at a time, once per output (issue 16: memory flat in length).
        using var sequence = FaceSequence.Open(store, new MetricLandmarks(mesh), clip, new FaceSequenceOptions(command.NeutralFrame), cancellationToken);
        await WriteQcClipAsync(command, sequence.Forward(cancellationToken), progress, cancellationToken);

        var scan = TrackCurvesSource.Scan(sequence.Frames(cancellationToken), command.SourceName, video.Width, video.Height, video.FrameRateNumerator, video.FrameRateDenominator, command.NeutralFrame);
        await store.WriteAsync(
            command.TrackingKey,
            (stream, ct) => TrackingJson.WriteAsync(
                stream,
                TrackingDocument.SchemaV2,
                command.SourceName,
                new TrackedVideo(video.Width, video.Height, $"{video.FrameRateNumerator}/{video.FrameRateDenominator}", video.FrameCount, video.DurationSeconds),
                scan.AnyIrises ? TrackingModels.Refined : TrackingModels.Current,
                sequence.Frames(ct),
                ct),
            cancellationToken);
        store.Write(command.TrackingBinaryKey, stream =>
        {
            using var writer = new TrackingBinaryWriter(stream, sequence.FrameCount, leaveOpen: true);
            foreach (var frame in sequence.Frames(cancellationToken))
            {
                writer.Write(frame);
            }

            writer.Complete();
        });

        var (csvKey, jsonKey) = curves is null || scan.Source is not { } source
            ? (null, null)
            : CurvesFiles.Write(store, command.JobId, (csv, json) => curves.TryWrite(source with { StartTimecode = SourceStartTimecode(store, command.TimelineKey) }, csv, json));
        return new TrackOutputsRendered(command.JobId, command.QcClipKey, command.TrackingKey, command.TrackingBinaryKey, csvKey, jsonKey);
    }

    /// <summary>
    /// When the source showed each frame (its timeline, the times tracking.json gives), so the QC clip shows frame k at the
    /// source's time of frame k, variable frame rate included, and its first frame where it was against the audio (issue 15).
    /// Null (the constant nominal rate) when the timeline is missing or does not cover every frame.
    /// </summary>
    internal static FrameTiming? SourceTiming(MediaStore store, string? timelineKey, VideoInfo video)
    {
        if (timelineKey is null || !store.Exists(timelineKey))
        {
            return null;
        }

        var timeline = FrameTimeline.Load(store.PathFor(timelineKey));
        return timeline.FrameCount == video.FrameCount && video.FrameCount > 0
            ? FrameTiming.FromTimeline(timeline, video.DurationSeconds)
            : null;
    }

    /// <summary>
    /// The clip's first timecode (its timeline's <see cref="FrameTimeline.Start"/>, as the upload carries it): the QC clip
    /// and the curves start there. Null when the clip has none or its timeline is missing.
    /// </summary>
    internal static Timecode? SourceStartTimecode(MediaStore store, string? timelineKey) =>
        timelineKey is not null && store.Exists(timelineKey) ? FrameTimeline.Load(store.PathFor(timelineKey)).Start : null;

    /// <summary>
    /// The QC clip: its segments (<see cref="RenderTrackOutputs.QcSegments"/>, rendered by <see cref="QcSegmentRenderStage"/>
    /// on any number of workers) joined without re-encoding, the audio muxed once; or, without segments, encoded here in
    /// one piece. The join deletes each segment as soon as it is past it (the segments and the joined clip are never on disk
    /// together: issue 16's bounded working set). A redelivered command whose segments are gone finds the clip already
    /// written and leaves it; one whose join died part-way (some segments deleted, no clip) renders the deleted segments
    /// again here, then joins: a killed worker costs a re-render, never the job.
    /// </summary>
    private async Task WriteQcClipAsync(RenderTrackOutputs command, IReadOnlyList<FrameRecord> frames, RenderProgress progress, CancellationToken cancellationToken)
    {
        var video = command.Video;
        var rate = new Rational(video.FrameRateNumerator, video.FrameRateDenominator);
        var timing = SourceTiming(store, command.TimelineKey, video);
        var options = new H264EncodeOptions { Timing = timing, StartTimecode = SourceStartTimecode(store, command.TimelineKey), Input = QcOverlay.Pixels };
        var audio = command.AudioKey is null ? null : store.PathFor(command.AudioKey);
        var output = store.PathFor(command.QcClipKey);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        if (command.QcSegments is not { } segments)
        {
            await H264ClipEncoder.EncodeAsync(
                DrawnFrames(command, frames, progress, cancellationToken), video.Width, video.Height, rate, audio, output, options, cancellationToken);
            return;
        }

        var missing = segments.Where(s => !store.Exists(s.Key)).ToList();
        if (missing.Count > 0 && store.Exists(command.QcClipKey))
        {
            return; // joined by an earlier delivery of this command, which deleted the segments
        }

        await RenderAgainAsync(command, missing, cancellationToken);
        await ClipSegments.JoinH264Async(
            [.. segments.OrderBy(s => s.FirstFrame).Select(s => new EncodedSegment(store.PathFor(s.Key), s.FirstFrame, s.FrameCount))],
            video.Width, video.Height, rate, timing, audio, output, options, cancellationToken, consume: true);
        foreach (var segment in segments)
        {
            store.DeleteTree(segment.Key);
        }
    }

    /// <summary>The segments a join that died part-way had already consumed, rendered again as their own workers rendered them.</summary>
    private async Task RenderAgainAsync(RenderTrackOutputs command, IReadOnlyList<RenderedSegment> missing, CancellationToken cancellationToken)
    {
        if (missing.Count == 0)
        {
            return;
        }

        var sequenceKey = command.SequenceKey ?? throw new InvalidOperationException($"Job {command.JobId}: QC segments {string.Join(", ", missing.Select(s => s.Index))} are missing and the clip has no sequence to render them from.");
        var stage = new QcSegmentRenderStage(store, mesh);
        foreach (var segment in missing)
        {
            await stage.RunAsync(
                new RenderQcSegment(command.JobId, segment.Index, segment.FirstFrame, segment.FrameCount, command.SourceKey, command.Video, command.TimelineKey, sequenceKey, segment.Key),
                cancellationToken);
        }
    }

    private IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnFrames(
        RenderTrackOutputs command, IReadOnlyList<FrameRecord> frames, RenderProgress progress, CancellationToken cancellationToken) =>
        QcOverlay.DrawnFramesAsync(store, command.SourceKey, command.TimelineKey, command.Video, 0, command.Video.FrameCount, i => frames[i], _triangles, progress, cancellationToken);
}

/// <summary>
/// What the QC clip shows of a frame's faces: the mesh and the landmarks' box, drawn on the frame's decoded 4:2:0 planes
/// (<see cref="Pixels"/>): the decoder hands them over and the encoder takes them as they are, with no conversion to RGB
/// and back and half the bytes of RGB24 on each pipe (issue 16, docs/benchmarks.md).
/// </summary>
public static class QcOverlay
{
    /// <summary>How the QC clip's frames travel from the decoder through the overlay to the encoder.</summary>
    public const RawPixelFormat Pixels = RawPixelFormat.Yuv420p;

    /// <summary>
    /// Frames <paramref name="first"/> .. + <paramref name="count"/> − 1 of a clip, decoded from its upload, each with its
    /// faces drawn (<paramref name="recordOf"/>: the record of the k-th frame of the run); one buffer, valid until the next
    /// frame, laid out as <see cref="Pixels"/>. Progress counts a frame once the consumer (the encoder) has taken it.
    /// </summary>
    /// <exception cref="JobInputException">The upload stops decoding inside the run (<see cref="FailureCodes.Corrupt"/>).</exception>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnFramesAsync(
        MediaStore store, string sourceKey, string timelineKey, VideoInfo video, int first, int count, Func<int, FrameRecord> recordOf, IReadOnlyList<int> triangles,
        RenderProgress progress, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(video);
        ArgumentNullException.ThrowIfNull(recordOf);
        ArgumentNullException.ThrowIfNull(progress);
        var (width, height) = (video.Width, video.Height);
        var buffer = new byte[Pixels.FrameBytes(width, height)];
        var timeline = FrameTimeline.Load(store.PathFor(timelineKey));
        await using var decoder = FrameRangeReader.Open(store.PathFor(sourceKey), timeline, width, height, first, count, pixels: Pixels);
        for (var i = 0; i < count; i++)
        {
            bool read;
            try
            {
                read = await decoder.ReadNextAsync(buffer, cancellationToken);
            }
            catch (MediaRejectedException refused)
            {
                throw new JobInputException(FailureCodes.Corrupt, refused.Reason, refused);
            }

            if (!read)
            {
                throw new InvalidOperationException($"The decoder ended at frame {first + i}, inside frames {first}..{first + count - 1}.");
            }

            Draw(buffer, width, height, recordOf(i), triangles);
            yield return buffer;
            await progress.FrameWritten(cancellationToken);
        }
    }

    /// <summary>The frame's faces drawn on its 4:2:0 planes (<see cref="Pixels"/>).</summary>
    public static void Draw(Span<byte> yuv420p, int width, int height, FrameRecord frame, IReadOnlyList<int> triangles)
    {
        foreach (var face in frame.Faces)
        {
            var points = face.Landmarks.Select(p => new Landmark(p[0], p[1], p[2])).ToArray();
            MeshOverlay.DrawYuv420(yuv420p, width, height, points, triangles, MeshOverlay.MeshColor);
            var b = face.Box;
            MeshOverlay.LineYuv420(yuv420p, width, height, b.X, b.Y, b.X + b.Width, b.Y, DetectionOverlay.BoxColor);
            MeshOverlay.LineYuv420(yuv420p, width, height, b.X + b.Width, b.Y, b.X + b.Width, b.Y + b.Height, DetectionOverlay.BoxColor);
            MeshOverlay.LineYuv420(yuv420p, width, height, b.X + b.Width, b.Y + b.Height, b.X, b.Y + b.Height, DetectionOverlay.BoxColor);
            MeshOverlay.LineYuv420(yuv420p, width, height, b.X, b.Y + b.Height, b.X, b.Y, DetectionOverlay.BoxColor);
        }
    }
}
