using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;

namespace FacePipeline.Stages;

/// <summary>
/// What <see cref="OnePassTrackRenderer"/> did: frames decoded, tracked, drawn and encoded; frames with a face; and where the
/// tracker and the filters ended, for the run of the clip's next frames.
/// </summary>
public sealed record OnePassTrackSummary(int FrameCount, int FramesWithFaces, TrackPassState End);

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
/// <remarks>
/// One run at a time per instance (it owns the models' buffers). Its ring of frames comes from <paramref name="rings"/>,
/// which the process's slots share, and goes back when the run ends: the runs of a clip's pieces reuse one ring whichever
/// slot takes them (a 1080p frame's planes and RGB are 9.3 MB; a new ring a piece would pile them up on the large object
/// heap, and a ring per slot made a long clip's worker hold one more than a short one's).
/// </remarks>
/// <param name="rings">The process's idle rings; null: this instance keeps its own one.</param>
public sealed class OnePassTrackRenderer(
    BlazeFaceDetector detector, FaceLandmarkModel landmarker, IReadOnlyList<int> triangles, LandmarkFilterOptions? filterOptions = null, FrameRingPool? rings = null)
{
    /// <summary>Decoded frames held at once: the one being tracked and drawn, the one the encoder is taking, and the decoder's lead.</summary>
    public const int Buffers = 4;

    private readonly FrameRingPool _rings = rings ?? new FrameRingPool();

    /// <summary>
    /// Decodes, tracks, draws and encodes frames <paramref name="firstFrame"/> .. + <paramref name="frameCount"/> − 1 of
    /// <paramref name="sourcePath"/> (as its <paramref name="timeline"/> lists them): <paramref name="encode"/> gets the drawn
    /// 4:2:0 frames (<see cref="QcOverlay.Pixels"/>; a buffer is reused once the next frame is asked for) and writes them
    /// where the caller wants (the whole QC clip, or one of its segments). <paramref name="start"/> is where the run of the
    /// frames before ended (<see cref="OnePassTrackSummary.End"/>; null at the clip's first frame): with it, a clip run in
    /// pieces gives the records and pictures of one run through it. <paramref name="tracked"/> gets each frame's raw
    /// record and <paramref name="drawn"/> (optional) the filtered one the overlay shows, in frame order.
    /// </summary>
    /// <exception cref="NotSupportedException">The clip does not decode as exact 4:2:0 planes.</exception>
    /// <exception cref="MediaRejectedException">The upload stops decoding (truncated or corrupt).</exception>
    public async Task<OnePassTrackSummary> RunAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, TrackPassState? start, FaceTrackerOptions options,
        Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task> encode, Action<FrameRecord> tracked, Action<FrameRecord>? drawn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(tracked);
        if (timeline.PlanesMatrix is not { } matrixName)
        {
            throw new NotSupportedException($"{Path.GetFileName(sourcePath)} does not decode as exact 4:2:0 planes (8-bit limited-range BT.601/BT.709, even height).");
        }

        if (firstFrame < 0 || frameCount < 1 || firstFrame + frameCount > timeline.FrameCount)
        {
            throw new ArgumentOutOfRangeException(nameof(frameCount), $"Frames {firstFrame}..+{frameCount} are outside the clip's {timeline.FrameCount}.");
        }

        var matrix = YuvMatrix.FromName(matrixName);
        var free = Channel.CreateBounded<Yuv420RgbFrame>(Buffers);
        var full = Channel.CreateBounded<Yuv420RgbFrame>(new BoundedChannelOptions(Buffers) { SingleReader = true, SingleWriter = true });
        var ring = _rings.Rent(width, height, matrix, Buffers);
        foreach (var frame in ring)
        {
            free.Writer.TryWrite(frame);
        }

        try
        {
            return await RunWithRingAsync(
                sourcePath, timeline, width, height, firstFrame, frameCount, start, options, encode, tracked, drawn, free, full, cancellationToken);
        }
        finally
        {
            _rings.Return(ring); // every exit below has stopped the decoder and the encoder: nothing holds the frames
        }
    }

    private async Task<OnePassTrackSummary> RunWithRingAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, TrackPassState? start, FaceTrackerOptions options,
        Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task> encode, Action<FrameRecord> tracked, Action<FrameRecord>? drawn,
        Channel<Yuv420RgbFrame> free, Channel<Yuv420RgbFrame> full, CancellationToken cancellationToken)
    {
        var tracker = new FaceTracker(detector, landmarker, options);
        var filters = new SequenceFilters(filterOptions);
        if (start is not null)
        {
            tracker.Restore(start.Tracker);
            filters.Restore(start.Filters);
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decoding = Task.Run(() => DecodeAsync(sourcePath, timeline, width, height, firstFrame, frameCount, free.Reader, full.Writer, abort.Token), abort.Token);
        var pass = new Pass(tracker, filters, firstFrame, tracked, drawn);

        // Cancels the decoder and waits for it, so that no ffmpeg outlives the call; its own failure, if any, has reached
        // the encoder through the channel already.
        async Task StopDecoderAsync()
        {
            await abort.CancelAsync();
            await Task.WhenAny(decoding);
            _ = decoding.Exception;
        }

        try
        {
            await encode(DrawnFramesAsync(full.Reader, free.Writer, timeline, width, height, pass, abort.Token), abort.Token);
        }
        catch
        {
            // The encoder stopped (its own fault, the caller's cancellation, or the decoder's failure passed on through
            // the channel): the decoder stops too.
            await StopDecoderAsync();
            throw;
        }

        if (pass.Frames != frameCount)
        {
            // The encoder stopped asking for frames early (or the decoder ended early): a decoder blocked on the ring is
            // stopped, not awaited for ever.
            await StopDecoderAsync();
            throw new InvalidOperationException($"Only {pass.Frames} of frames {firstFrame}..+{frameCount} were decoded, drawn and encoded.");
        }

        await decoding;

        return new OnePassTrackSummary(pass.Frames, pass.WithFaces, new TrackPassState(tracker.CaptureState(), filters.Capture()));
    }

    /// <summary>One run's tracker, filters and sinks, and its counts.</summary>
    private sealed record Pass(FaceTracker Tracker, SequenceFilters Filters, int FirstFrame, Action<FrameRecord> Tracked, Action<FrameRecord>? Drawn)
    {
        public int Frames { get; set; }

        public int WithFaces { get; set; }
    }

    private static async Task DecodeAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, ChannelReader<Yuv420RgbFrame> free, ChannelWriter<Yuv420RgbFrame> full,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var decoder = FrameRangeReader.Open(sourcePath, timeline, width, height, firstFrame, frameCount, null, QcOverlay.Pixels);
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
        ChannelReader<Yuv420RgbFrame> full, ChannelWriter<Yuv420RgbFrame> free, FrameTimeline timeline, int width, int height, Pass pass,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var times = timeline.Seconds;
        Yuv420RgbFrame? handed = null;
        await foreach (var frame in full.ReadAllAsync(cancellationToken))
        {
            if (handed is not null)
            {
                free.TryWrite(handed); // the encoder took it before asking for this one
            }

            var index = pass.FirstFrame + pass.Frames;
            frame.NewFrame();
            var faces = pass.Tracker.Process(frame);
            var record = new FrameRecord(index, Math.Round(times[index], 6), [.. faces.Select(ChunkFaceTracking.ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]);
            pass.Tracked(record);
            var shown = pass.Filters.Filter(record);
            pass.Drawn?.Invoke(shown);
            QcOverlay.Draw(frame.Planes, width, height, shown, triangles);
            pass.Frames++;
            pass.WithFaces += record.Faces.Count > 0 ? 1 : 0;
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
            var (box, landmarks) = FaceSequenceBuilder.StoredPoints(filter.Filter(face.Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray(), frame.Time));
            faces[i] = face with
            {
                Box = box,
                Landmarks = landmarks,
                Pose = null,
                Expression = null,
                Irises = null,
            };
        }

        (_filters, _next) = (_next, _filters);
        _next.Clear();
        return frame with { Faces = faces };
    }

    /// <summary>Each live track's filter state, by track id.</summary>
    public IReadOnlyDictionary<int, OneEuroState[]> Capture() => _filters.ToDictionary(f => f.Key, f => f.Value.LandmarkState);

    /// <summary>Takes up the tracks' filters where <see cref="Capture"/> left them.</summary>
    public void Restore(IReadOnlyDictionary<int, OneEuroState[]> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        _filters = states.ToDictionary(s => s.Key, s => new LandmarkFilter(options) { LandmarkState = s.Value });
    }
}
