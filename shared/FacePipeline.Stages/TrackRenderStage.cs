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
/// frame times, variable frame rate included: <see cref="SourceTiming"/>; its audio) and writes tracking.json and tracking.fptk, and with a curves writer
/// (<see cref="ITrackCurvesWriter"/>) the main face's blendshape curves, blendshapes.csv and blendshapes.json.
/// </summary>
public sealed class TrackRenderStage(MediaStore store, CanonicalFaceMesh mesh, ITrackCurvesWriter? curves = null)
{
    private readonly int[] _triangles = [.. mesh.Triangles.ToArray().SelectMany(t => new[] { t.A, t.B, t.C })];

    public async Task<TrackOutputsRendered> RunAsync(RenderTrackOutputs command, CancellationToken cancellationToken, RenderProgress? progress = null)
    {
        progress ??= new RenderProgress(null);
        var video = command.Video;
        var clip = new ClipTrack(ClipNames.Source, command.SourceName, video, command.Chunks, command.TimelineKey, command.AudioKey, command.SequenceKey);
        var frames = await ClipRecords.LoadSequenceAsync(store, new MetricLandmarks(mesh), clip, new FaceSequenceOptions(command.NeutralFrame), cancellationToken);

        Directory.CreateDirectory(Path.GetDirectoryName(store.PathFor(command.QcClipKey))!);
        await H264ClipEncoder.EncodeAsync(
            DrawnFrames(command, frames, progress, cancellationToken),
            video.Width,
            video.Height,
            new Rational(video.FrameRateNumerator, video.FrameRateDenominator),
            command.AudioKey is null ? null : store.PathFor(command.AudioKey),
            store.PathFor(command.QcClipKey),
            new H264EncodeOptions { Timing = SourceTiming(store, command.TimelineKey, video) },
            cancellationToken);

        var document = new TrackingDocument(
            TrackingDocument.SchemaV2,
            command.SourceName,
            new TrackedVideo(video.Width, video.Height, $"{video.FrameRateNumerator}/{video.FrameRateDenominator}", video.FrameCount, video.DurationSeconds),
            TrackingModels.For(frames),
            frames);
        await store.WriteAsync(command.TrackingKey, (stream, ct) => TrackingJson.WriteAsync(stream, document, ct), cancellationToken);
        store.Write(command.TrackingBinaryKey, stream => TrackingBinary.Write(stream, frames));

        var (csvKey, jsonKey) = WriteCurves(command, frames);
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

    /// <summary>The blendshape curves next to the tracking outputs, when there is a writer and a face; the keys, or nulls.</summary>
    private (string? Csv, string? Json) WriteCurves(RenderTrackOutputs command, List<FrameRecord> frames)
    {
        var video = command.Video;
        if (curves is null ||
            ITrackCurvesWriter.InputFor(frames, command.SourceName, video.Width, video.Height, video.FrameRateNumerator, video.FrameRateDenominator, command.NeutralFrame) is not { } input)
        {
            return (null, null);
        }

        return CurvesFiles.Write(store, command.JobId, (csv, json) => curves.TryWrite(input, csv, json));
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnFrames(
        RenderTrackOutputs command, List<FrameRecord> frames, RenderProgress progress, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (width, height) = (command.Video.Width, command.Video.Height);
        var buffer = new byte[checked(width * height * 3)];
        foreach (var chunk in command.Chunks.OrderBy(c => c.Frames.Index))
        {
            using var raw = RawFrameChunk.Open(store.PathFor(chunk.Frames.FramesKey), width, height);
            for (var i = 0; i < chunk.Frames.FrameCount; i++)
            {
                await raw.ReadFrameAsync(i, buffer, cancellationToken);
                QcOverlay.Draw(buffer, width, height, frames[chunk.Frames.FirstFrame + i], _triangles);
                yield return buffer;
                await progress.FrameWritten(cancellationToken); // the encoder has taken the frame
            }
        }
    }

}

/// <summary>What the QC clip shows of a frame's faces: the mesh and the landmarks' box.</summary>
public static class QcOverlay
{
    public static void Draw(Span<byte> rgb24, int width, int height, FrameRecord frame, IReadOnlyList<int> triangles)
    {
        foreach (var face in frame.Faces)
        {
            var points = face.Landmarks.Select(p => new Landmark(p[0], p[1], p[2])).ToArray();
            MeshOverlay.Draw(rgb24, width, height, points, triangles, MeshOverlay.MeshColor);
            var b = face.Box;
            MeshOverlay.Line(rgb24, width, height, b.X, b.Y, b.X + b.Width, b.Y, DetectionOverlay.BoxColor);
            MeshOverlay.Line(rgb24, width, height, b.X + b.Width, b.Y, b.X + b.Width, b.Y + b.Height, DetectionOverlay.BoxColor);
            MeshOverlay.Line(rgb24, width, height, b.X + b.Width, b.Y + b.Height, b.X, b.Y + b.Height, DetectionOverlay.BoxColor);
            MeshOverlay.Line(rgb24, width, height, b.X, b.Y + b.Height, b.X, b.Y, DetectionOverlay.BoxColor);
        }
    }
}
