using System.Runtime.InteropServices;
using FacePipeline.Face;
using FacePipeline.Media;

namespace FacePipeline.Stages;

/// <summary>
/// The reconstruction stage's work on one chunk: track the faces through its frames (the detector
/// runs on the chunk's first frame and whenever a face is lost) and record their landmarks. Track
/// ids are local to the chunk; <see cref="FaceSequenceBuilder"/> links them across chunks. With the
/// refined landmark model the records carry the irises (<see cref="FaceRecord.Irises"/>).
/// Not thread-safe: one instance per worker thread.
/// <para>
/// How a chunk's frames leave the decoder: where the clip's timeline names a matrix (<see cref="FrameTimeline.PlanesMatrix"/>:
/// 8-bit limited-range 4:2:0 in BT.601 or BT.709), as the 4:2:0 planes, half the bytes of RGB24 on the pipe and no
/// conversion in ffmpeg; the tracker then converts only the pixels its detector and landmark model read
/// (<see cref="Yuv420RgbFrame"/>, byte-identical to ffmpeg's own RGB24 on x86-64, so the faces are the same). Other clips, and
/// other processors, come as RGB24.
/// </para>
/// <para>
/// The instance decodes every chunk into one frame buffer, kept from chunk to chunk (the largest frame size seen). A buffer
/// per chunk (6.2 MB at 1080p) lands on the large object heap, which only a full collection empties: the workstation GC let
/// one more pile up per chunk, and a worker's peak grew with the job's length (issue 16, memory flat in length).
/// </para>
/// </summary>
public sealed class ChunkFaceTracking(BlazeFaceDetector detector, FaceLandmarkModel landmarker)
{
    private byte[] _frame = [];
    private Yuv420RgbFrame? _planes;

    /// <summary>The landmark model the chunks are tracked with.</summary>
    public FaceLandmarkModel Landmarker => landmarker;

    /// <summary>
    /// Tracks frames <paramref name="firstFrame"/> .. + <paramref name="frameCount"/> of the clip <paramref name="sourcePath"/>,
    /// decoded from it by <paramref name="timeline"/> (no frames are stored).
    /// </summary>
    /// <exception cref="MediaRejectedException">The upload stops decoding inside the run (truncated or corrupt).</exception>
    public async Task<IReadOnlyList<FrameRecord>> TrackAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, FaceTrackerOptions options, CancellationToken cancellationToken, MediaLimits? limits = null)
    {
        var records = new List<FrameRecord>(frameCount);
        await TrackAsync(sourcePath, timeline, width, height, firstFrame, frameCount, options, records.Add, cancellationToken, limits);
        return records;
    }

    /// <summary>
    /// As <see cref="TrackAsync(string, FrameTimeline, int, int, int, int, FaceTrackerOptions, CancellationToken, MediaLimits?)"/>,
    /// handing each frame's record to <paramref name="record"/> as soon as it is tracked, in frame order, instead of holding
    /// the chunk's records (a whole chunk of them lives long enough to be promoted by the GC: issue 16, memory flat in length).
    /// </summary>
    public async Task TrackAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, FaceTrackerOptions options, Action<FrameRecord> record, CancellationToken cancellationToken, MediaLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(record);
        var frameTimes = timeline.Seconds;
        var tracker = new FaceTracker(detector, landmarker, options);
        // The conversion is ffmpeg's x86-64 one; elsewhere (ARM's NEON routine rounds its own way) the frames come as RGB24.
        if (timeline.PlanesMatrix is { } matrix && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            // 4:2:0 planes through the pipe; the tracker converts what it reads, byte-identical to ffmpeg's RGB24.
            var planes = PlanesFor(width, height, YuvMatrix.FromName(matrix));
            await using var decoder = FrameRangeReader.Open(sourcePath, timeline, width, height, firstFrame, frameCount, limits, RawPixelFormat.Yuv420p);
            for (var i = 0; await decoder.ReadNextAsync(planes.Planes, cancellationToken); i++)
            {
                planes.NewFrame();
                Record(tracker.Process(planes), firstFrame + i);
            }

            return;
        }

        await using var reader = FrameRangeReader.Open(sourcePath, timeline, width, height, firstFrame, frameCount, limits);
        if (_frame.Length < reader.FrameBytes)
        {
            _frame = new byte[reader.FrameBytes];
        }

        var frame = _frame.AsMemory(0, reader.FrameBytes);
        for (var i = 0; await reader.ReadNextAsync(frame, cancellationToken); i++)
        {
            Record(tracker.Process(frame.Span, width, height), firstFrame + i);
        }

        void Record(IReadOnlyList<TrackedFace> faces, int index)
        {
            var time = index < frameTimes.Count ? frameTimes[index] : throw new InvalidDataException($"The timeline has no time for frame {index}.");
            record(new FrameRecord(index, Math.Round(time, 6), [.. faces.Select(ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]));
        }
    }

    private Yuv420RgbFrame PlanesFor(int width, int height, YuvMatrix matrix)
    {
        if (_planes is not { } planes || planes.Width != width || planes.Height != height || planes.Matrix != matrix)
        {
            _planes = planes = new Yuv420RgbFrame(width, height, matrix);
        }

        return planes;
    }

    /// <summary>
    /// A tracked face as a record: the 468 mesh points as <see cref="FaceRecord.Landmarks"/> (and their bounds), and
    /// with the refined model (478 points) points 468–477 as <see cref="FaceRecord.Irises"/>.
    /// </summary>
    public static FaceRecord ToRecord(TrackedFace face)
    {
        ArgumentNullException.ThrowIfNull(face);
        var points = face.Landmarks.Points;
        const int mesh = FaceLandmarker.LandmarkCount;
        if (points.Length != mesh && points.Length != mesh + FaceRecord.IrisPointCount)
        {
            throw new ArgumentException($"A face has {points.Length} landmarks; expected {mesh} or {mesh + FaceRecord.IrisPointCount}.", nameof(face));
        }

        var meshPoints = points.AsSpan(0, mesh).ToArray();
        float[][]? irises = points.Length > mesh ? [.. points.Skip(mesh).Select(p => new[] { p.X, p.Y, p.Z })] : null;
        return new FaceRecord(
            face.TrackId, face.Landmarks.FaceScore, FaceSequenceBuilder.Bounds(meshPoints), [.. meshPoints.Select(p => new[] { p.X, p.Y, p.Z })], null, null, irises);
    }
}
