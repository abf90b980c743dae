using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// One segment of a track job's QC clip (<see cref="RenderQcSegment"/>): its frames decoded from the upload, the tracked
/// mesh drawn on each (<see cref="QcOverlay"/>, from the clip's 3D face sequence), encoded as a video-only segment at
/// the source's frame times, for <see cref="TrackRenderStage"/> to join with the others without re-encoding. The
/// segment is written atomically under its key: a redelivered command rewrites it.
/// </summary>
public sealed class QcSegmentRenderStage(MediaStore store, CanonicalFaceMesh mesh)
{
    private readonly int[] _triangles = mesh.TriangleIndices();

    public async Task<QcSegmentRendered> RunAsync(RenderQcSegment command, CancellationToken cancellationToken, RenderProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        progress ??= new RenderProgress(null);
        var video = command.Video;
        if (command.FirstFrame < 0 || command.FrameCount < 1 || command.FirstFrame + command.FrameCount > video.FrameCount)
        {
            throw new ArgumentException($"Segment {command.Segment} (frames {command.FirstFrame}..+{command.FrameCount}) is outside the clip's {video.FrameCount} frames.", nameof(command));
        }

        var records = await SegmentRecordsAsync(command, cancellationToken);
        var output = store.PathFor(command.SegmentKey);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await ClipSegments.EncodeH264SegmentAsync(
            DrawnFrames(command, records, progress, cancellationToken),
            video.Width,
            video.Height,
            new Rational(video.FrameRateNumerator, video.FrameRateDenominator),
            TrackRenderStage.SourceTiming(store, command.TimelineKey, video),
            command.FirstFrame,
            command.FrameCount,
            output,
            new H264EncodeOptions { Input = QcOverlay.Pixels },
            cancellationToken);
        return new QcSegmentRendered(command.JobId, command.Segment, command.FrameCount, command.SegmentKey);
    }

    /// <summary>The face records of the segment's frames, read from the clip's sequence in one pass keeping only them, checked: each frame once, in order.</summary>
    private async Task<FrameRecord[]> SegmentRecordsAsync(RenderQcSegment command, CancellationToken cancellationToken)
    {
        await using var stream = store.OpenRead(command.SequenceKey);
        cancellationToken.ThrowIfCancellationRequested();
        var records = TrackingBinary.ReadRange(stream, command.FirstFrame, command.FrameCount).ToArray(); // the segment's frames only: memory flat in the clip's length
        for (var i = 0; i < records.Length; i++)
        {
            if (records[i].Index != command.FirstFrame + i)
            {
                throw new InvalidDataException($"The clip's face sequence holds frame {records[i].Index} where frame {command.FirstFrame + i} was expected.");
            }
        }

        return records;
    }

    private IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnFrames(
        RenderQcSegment command, FrameRecord[] records, RenderProgress progress, CancellationToken cancellationToken) =>
        QcOverlay.DrawnFramesAsync(store, command.SourceKey, command.TimelineKey, command.Video, command.FirstFrame, command.FrameCount, i => records[i], _triangles, progress, cancellationToken);
}
