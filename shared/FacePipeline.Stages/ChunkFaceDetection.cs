using FacePipeline.Face;

namespace FacePipeline.Stages;

/// <summary>The reconstruction stage's work on one chunk: find the faces on each of its frames.</summary>
public sealed class ChunkFaceDetection(BlazeFaceDetector detector)
{
    private byte[] _frame = [];

    /// <summary>
    /// Reads the chunk's raw RGB24 frames one at a time (constant memory) and detects faces on each.
    /// Faces are ordered largest first. Not thread-safe: one instance per worker thread.
    /// </summary>
    public async Task<IReadOnlyList<FrameRecord>> DetectAsync(
        string chunkPath, int width, int height, int firstFrame, int frameCount, IReadOnlyList<double> frameTimes, CancellationToken cancellationToken)
    {
        var frameBytes = checked(width * height * 3);
        if (_frame.Length != frameBytes)
        {
            _frame = new byte[frameBytes];
        }

        var expected = (long)frameBytes * frameCount;
        var actual = new FileInfo(chunkPath).Length;
        if (actual != expected)
        {
            throw new InvalidDataException($"Chunk {chunkPath} holds {actual} bytes, expected {frameCount} frames of {width}x{height} ({expected} bytes).");
        }

        var records = new List<FrameRecord>(frameCount);
        await using var stream = new FileStream(chunkPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        for (var i = 0; i < frameCount; i++)
        {
            await stream.ReadExactlyAsync(_frame, cancellationToken);
            var faces = detector.Detect(_frame, width, height);
            var index = firstFrame + i;
            records.Add(new FrameRecord(
                index,
                index < frameTimes.Count ? Math.Round(frameTimes[index], 6) : throw new InvalidDataException($"The timeline has no time for frame {index}."),
                [.. faces.OrderByDescending(f => f.BoundingBox.Width * f.BoundingBox.Height).Select(FaceRecord.From)]));
        }

        return records;
    }
}
