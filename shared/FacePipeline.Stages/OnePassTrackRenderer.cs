using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;

namespace FacePipeline.Stages;

/// <summary>What <see cref="OnePassTrackRenderer"/> did: frames decoded, tracked, drawn and encoded; frames with a face.</summary>
public sealed record OnePassTrackSummary(int FrameCount, int FramesWithFaces);

/// <summary>
/// A track job's frames in one pass, the single-decode design of issue 16 (measured against the staged design by
/// <c>facepipe-bench track-one-pass</c>; the services do not run it yet): each frame is decoded once, as 4:2:0 planes,
/// tracked, its faces filtered as the clip's sequence filters them (<see cref="FaceSequenceBuilder"/>'s One Euro filter
/// per track, in frame order, to the same rounded pixels and box), the QC overlay drawn on the same planes
/// (<see cref="QcOverlay.Draw"/>), and handed to x264. Decoding runs ahead of the tracker through a few buffers, and the
/// decoder and x264 are processes of their own, so the three overlap.
/// <para>
/// The tracker runs through the clip without the chunks' restarts, so its track ids are the clip's and need no linking;
/// each frame's raw record goes to <c>tracked</c> as soon as it is tracked (the whole-clip steps, neutral and
/// expression, still run afterwards, on records). Clips that do not decode as planes exactly as ffmpeg converts them
/// (<see cref="FrameTimeline.PlanesMatrix"/>) are refused: their overlay would need an RGB24 round trip.
/// </para>
/// <para>
/// The QC overlay needs the filtered landmarks of frame k, which depend on every earlier frame of the track; that is what
/// keeps this pass serial per clip. Parallel work comes from the overlap within the pass (and, at studio scale, from
/// jobs side by side), not from chunks of one clip.
/// </para>
/// </summary>
public sealed class OnePassTrackRenderer(BlazeFaceDetector detector, FaceLandmarkModel landmarker, IReadOnlyList<int> triangles, LandmarkFilterOptions? filterOptions = null)
{
    /// <summary>Decoded frames held at once: the one being tracked and drawn, the one the encoder is taking, and the decoder's lead.</summary>
    public const int Buffers = 4;

    /// <summary>
    /// Decodes, tracks, draws and encodes every frame of <paramref name="sourcePath"/> (as its <paramref name="timeline"/>
    /// lists them) into the QC clip <paramref name="qcPath"/> (H.264, no audio, at <paramref name="timing"/> or the
    /// constant <paramref name="frameRate"/>). <paramref name="tracked"/> gets each frame's raw record and
    /// <paramref name="drawn"/> (optional) the filtered one the overlay shows, in frame order.
    /// </summary>
    /// <exception cref="NotSupportedException">The clip does not decode as exact 4:2:0 planes.</exception>
    /// <exception cref="MediaRejectedException">The upload stops decoding (truncated or corrupt).</exception>
    public async Task<OnePassTrackSummary> RunAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, Rational frameRate, FrameTiming? timing, string qcPath,
        FaceTrackerOptions options, Action<FrameRecord> tracked, Action<FrameRecord>? drawn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(tracked);
        if (timeline.PlanesMatrix is not { } matrixName)
        {
            throw new NotSupportedException($"{Path.GetFileName(sourcePath)} does not decode as exact 4:2:0 planes (8-bit limited-range BT.601/BT.709, even height).");
        }

        var matrix = YuvMatrix.FromName(matrixName);
        var frameCount = timeline.FrameCount;
        var free = Channel.CreateBounded<Yuv420RgbFrame>(Buffers);
        var full = Channel.CreateBounded<Yuv420RgbFrame>(new BoundedChannelOptions(Buffers) { SingleReader = true, SingleWriter = true });
        for (var i = 0; i < Buffers; i++)
        {
            free.Writer.TryWrite(new Yuv420RgbFrame(width, height, matrix));
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decoding = Task.Run(() => DecodeAsync(sourcePath, timeline, width, height, free.Reader, full.Writer, abort.Token), abort.Token);
        var counts = new Counts();
        try
        {
            await H264ClipEncoder.EncodeAsync(
                DrawnFramesAsync(full.Reader, free.Writer, timeline, width, height, options, tracked, drawn, counts, abort.Token),
                width, height, frameRate, null, qcPath, new H264EncodeOptions { Input = QcOverlay.Pixels, Timing = timing }, abort.Token);
        }
        catch
        {
            // The encoder stopped (its own fault, the caller's cancellation, or the decoder's failure passed on through
            // the channel): the decoder stops too, and is waited for so that no ffmpeg outlives the call.
            await abort.CancelAsync();
            await Task.WhenAny(decoding);
            _ = decoding.Exception; // observed: its failure reached the encoder through the channel
            throw;
        }

        await decoding;
        if (counts.Frames != frameCount)
        {
            throw new InvalidOperationException($"The decoder gave {counts.Frames} frames of the timeline's {frameCount}.");
        }

        return new OnePassTrackSummary(counts.Frames, counts.WithFaces);
    }

    private sealed class Counts
    {
        public int Frames;
        public int WithFaces;
    }

    private static async Task DecodeAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, ChannelReader<Yuv420RgbFrame> free, ChannelWriter<Yuv420RgbFrame> full, CancellationToken cancellationToken)
    {
        try
        {
            await using var decoder = FrameRangeReader.Open(sourcePath, timeline, width, height, 0, timeline.FrameCount, null, QcOverlay.Pixels);
            while (true)
            {
                var frame = await free.ReadAsync(cancellationToken);
                if (!await decoder.ReadNextAsync(frame.Planes, cancellationToken))
                {
                    break;
                }

                await full.WriteAsync(frame, cancellationToken);
            }

            full.Complete();
        }
        catch (Exception failure)
        {
            full.TryComplete(failure);
            throw;
        }
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnFramesAsync(
        ChannelReader<Yuv420RgbFrame> full, ChannelWriter<Yuv420RgbFrame> free, FrameTimeline timeline, int width, int height, FaceTrackerOptions options,
        Action<FrameRecord> tracked, Action<FrameRecord>? drawn, Counts counts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tracker = new FaceTracker(detector, landmarker, options);
        var filters = new SequenceFilters(filterOptions);
        var times = timeline.Seconds;
        Yuv420RgbFrame? handed = null;
        await foreach (var frame in full.ReadAllAsync(cancellationToken))
        {
            if (handed is not null)
            {
                free.TryWrite(handed); // the encoder took it before asking for this one
            }

            var index = counts.Frames;
            frame.NewFrame();
            var faces = tracker.Process(frame);
            var record = new FrameRecord(index, Math.Round(times[index], 6), [.. faces.Select(ChunkFaceTracking.ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]);
            tracked(record);
            var shown = filters.Filter(record);
            drawn?.Invoke(shown);
            QcOverlay.Draw(frame.Planes, width, height, shown, triangles);
            counts.Frames++;
            counts.WithFaces += record.Faces.Count > 0 ? 1 : 0;
            handed = frame;
            yield return frame.Planes;
        }
    }
}

/// <summary>
/// The clip sequence's landmark filter applied frame by frame as frames arrive (<see cref="FaceSequenceBuilder"/>'s pass 2
/// for the mesh points: a One Euro filter per track, the points rounded to 0.01 px, the box their bounds). A track absent
/// from a frame has ended (the tracker gives a face it finds again a new id), so its filter is dropped then.
/// </summary>
public sealed class SequenceFilters(LandmarkFilterOptions? options = null)
{
    private Dictionary<int, LandmarkFilter> _filters = [];
    private Dictionary<int, LandmarkFilter> _next = [];

    /// <summary>The frame's faces with their landmarks filtered (pose, expression and irises left out).</summary>
    public FrameRecord Filter(FrameRecord frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var faces = new FaceRecord[frame.Faces.Count];
        for (var i = 0; i < faces.Length; i++)
        {
            var face = frame.Faces[i];
            if (!_filters.TryGetValue(face.TrackId, out var filter))
            {
                filter = new LandmarkFilter(options);
            }

            _next[face.TrackId] = filter;
            var smoothed = filter.Filter(face.Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray(), frame.Time);
            faces[i] = face with
            {
                Box = FaceSequenceBuilder.Bounds(smoothed.Select(p => new Landmark((float)p.X, (float)p.Y, (float)p.Z)).ToArray()),
                Landmarks = smoothed.Select(FaceSequenceBuilder.Rounded).ToArray(),
                Pose = null,
                Expression = null,
                Irises = null,
            };
        }

        (_filters, _next) = (_next, _filters);
        _next.Clear();
        return frame with { Faces = faces };
    }
}
