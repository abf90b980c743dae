using System.Runtime.CompilerServices;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The rendering stage of a track job: gathers the chunks' frame records in order (every frame
/// exactly once, or it refuses), draws them on the frames, encodes the QC clip (H.264, the input's
/// exact frame rate, its audio) and writes the tracking document.
/// </summary>
public sealed class TrackRenderStage(MediaStore store)
{
    public async Task<TrackOutputsRendered> RunAsync(RenderTrackOutputs command, CancellationToken cancellationToken)
    {
        var video = command.Video;
        var frames = await GatherFrames(command, cancellationToken);

        Directory.CreateDirectory(Path.GetDirectoryName(store.PathFor(command.QcClipKey))!);
        await H264ClipEncoder.EncodeAsync(
            DrawnFrames(command, frames, cancellationToken),
            video.Width,
            video.Height,
            new Rational(video.FrameRateNumerator, video.FrameRateDenominator),
            command.AudioKey is null ? null : store.PathFor(command.AudioKey),
            store.PathFor(command.QcClipKey),
            cancellationToken: cancellationToken);

        var document = new TrackingDocument(
            TrackingDocument.SchemaV1,
            command.SourceName,
            new TrackedVideo(video.Width, video.Height, $"{video.FrameRateNumerator}/{video.FrameRateDenominator}", video.FrameCount, video.DurationSeconds),
            TrackingDocument.BlazeFaceShortRange,
            frames);
        using (var write = store.BeginWrite(command.TrackingKey))
        {
            await using (var stream = File.Create(write.TempPath))
            {
                await TrackingJson.WriteAsync(stream, document, cancellationToken);
            }

            write.Commit();
        }

        return new TrackOutputsRendered(command.JobId, command.QcClipKey, command.TrackingKey);
    }

    /// <summary>All frame records in frame order; any gap, overlap or miscount is an error, never a silent skip.</summary>
    private async Task<List<FrameRecord>> GatherFrames(RenderTrackOutputs command, CancellationToken cancellationToken)
    {
        var frames = new List<FrameRecord>(command.Video.FrameCount);
        foreach (var chunk in command.Chunks.OrderBy(c => c.Frames.Index))
        {
            await using var stream = store.OpenRead(chunk.DetectionsKey);
            var records = await TrackingJson.ReadFramesAsync(stream, cancellationToken);
            for (var i = 0; i < records.Count; i++)
            {
                if (records[i].Index != frames.Count || i >= chunk.Frames.FrameCount)
                {
                    throw new InvalidDataException($"Chunk {chunk.Frames.Index} holds frame {records[i].Index} where frame {frames.Count} was expected.");
                }

                frames.Add(records[i]);
            }
        }

        if (frames.Count != command.Video.FrameCount)
        {
            throw new InvalidDataException($"The chunks hold {frames.Count} frame records; the clip has {command.Video.FrameCount} frames.");
        }

        return frames;
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnFrames(
        RenderTrackOutputs command, List<FrameRecord> frames, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (width, height) = (command.Video.Width, command.Video.Height);
        var buffer = new byte[checked(width * height * 3)];
        foreach (var chunk in command.Chunks.OrderBy(c => c.Frames.Index))
        {
            using var raw = RawFrameChunk.Open(store.PathFor(chunk.Frames.FramesKey), width, height);
            for (var i = 0; i < chunk.Frames.FrameCount; i++)
            {
                await raw.ReadFrameAsync(i, buffer, cancellationToken);
                var record = frames[chunk.Frames.FirstFrame + i];
                DetectionOverlay.Draw(buffer, width, height, [.. record.Faces.Select(f => f.ToDetection())]);
                yield return buffer;
            }
        }
    }
}
