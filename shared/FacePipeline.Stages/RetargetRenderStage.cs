using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Retarget;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The rendering stage of a retarget job: for every output frame of the transfer document, warps
/// the target frame's face from its tracked mesh to the transferred one (<see cref="WarpRenderer"/>,
/// in a crop around the face, composited with a feathered mask), with the mouth interior and the
/// eyes taken from the target frame whose opening is closest when the transferred face opens the
/// mouth wider or closes an eye (<see cref="DonorSelector"/>). The frames are rendered once and fed
/// at the same time to the H.264 encoder (target frame rate, source audio), the ProRes 422 HQ
/// encoder when asked for, and the review encoder (source | target | result, with frame numbers); for compositing, with
/// each frame's matte (the region the renderer changed), to the matte encoder, ProRes 4444 with the matte as alpha and
/// DNxHR HQ, as asked for. Every output starts at the performer's timecode (<see cref="OutputStartTimecode"/>).
/// With a generator in the command (an actor's trained neural renderer), the face is rendered by it instead
/// (<see cref="IFaceRendererFactory"/>, which the rendering service provides); no donors are needed then.
/// With a curves writer, the transferred expression's blendshape curves are written too (blendshapes.csv, .json).
/// </summary>
/// <param name="feedback">Opens the closed loop's tracker for one render (<see cref="ClosedLoopCorrection"/>); null: each frame is warped once.</param>
/// <param name="restingFace">Warp the actor's resting face (default) rather than each target frame's own (the renderer before issue 13, for comparisons).</param>
/// <param name="options">The closed loop's rounds per frame (the Rendering service's <c>Rendering:ClosedLoopRounds</c>).</param>
/// <param name="identities">The face-recognition network for the QC's identity check; null: none.</param>
public sealed class RetargetRenderStage(MediaStore store, CanonicalFaceMesh mesh, IFaceRendererFactory? neuralRenderers = null, ITrackCurvesWriter? curves = null, IRenderedFaceTrackerFactory? feedback = null, bool restingFace = true, RetargetRenderOptions? options = null, IIdentityEmbedderFactory? identities = null)
{
    /// <summary>Height of each panel of the review clip.</summary>
    public const int ReviewPanelHeight = ReviewComposer.DefaultPanelHeight;

    /// <summary>
    /// The retarget's outputs: with <see cref="RenderRetargetOutputs.Segments"/>, its clips joined from the segments
    /// (<see cref="RunSegmentAsync"/>) and its QC assessed from their re-tracking; without, every frame rendered here.
    /// </summary>
    public async Task<RetargetOutputsRendered> RunAsync(RenderRetargetOutputs command, CancellationToken cancellationToken, RenderProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        progress ??= new RenderProgress(null);

        // transfer.json's frames stay in the file, read as they are reached (issue 16: memory flat in length).
        using var documentFile = OpenDocument(command);
        var document = documentFile.Document;
        var target = command.Target.Video;
        var rate = new Rational(target.FrameRateNumerator, target.FrameRateDenominator);
        var audio = command.Source.AudioKey is { } audioKey ? store.PathFor(audioKey) : null;
        var timing = OutputTiming(store, command, document); // one pass over the document's frames
        var start = OutputStartTimecode(store, command, rate);
        var clips = ClipOutputs(command, timing, start);

        // The QC: every result frame tracked again (here beside the encoders, on another core, by a tracker of its own; or
        // by the segments' workers), then measured against the performer and the actor.
        using var qcEye = command.Segments is null && QcWanted(command) ? feedback!.Open() : null;
        using var identity = qcEye is not null ? identities?.Open() : null;
        using var referenceIdentity = QcWanted(command) ? identities?.Open() : null;
        var qc = QcWanted(command) ? new RetargetQcTracker(document, qcEye?.Tracker, target.Width, target.Height, identity?.Embedder) : null;
        if (command.Segments is { } segments)
        {
            // The clips first, consuming their segments; the segments' QC tracking stays until the report is written.
            await RenderLostSegmentsAsync(command, segments, clips, cancellationToken);
            await JoinClipsAsync(segments, clips, rate, timing, audio, cancellationToken);
        }

        // Meanwhile the performer's tracked faces are opened (the QC's measure, the transferred gaze in the curves): read from
        // its sequence, in order, as they are reached, with no copy beside the outputs (issue 16); and the identity check's
        // reference frames described, by an embedder of their own.
        var performerTask = qc is not null || curves is not null
            ? Task.Run<SequenceClipFaces?>(() => ClipRecords.ReadForRetarget(store, new MetricLandmarks(mesh), command.Source, cancellationToken), cancellationToken)
            : Task.FromResult<SequenceClipFaces?>(null);
        var referencesTask = referenceIdentity is null
            ? Task.FromResult<IdentityReferences?>(null)
            : Task.Run<IdentityReferences?>(async () => await RetargetQcTracker.ReferenceDescriptorsAsync(document, store, command.Source, command.Target, PerformerClip(command, (await performerTask)!)!, referenceIdentity.Embedder, cancellationToken), cancellationToken);

        var qcFromSegments = true;
        try
        {
            if (command.Segments is { } joined)
            {
                qcFromSegments = qc is not null && ReadSegmentsTracking(qc, joined);
            }
            else
            {
                using var rendering = OpenRendering(command, document);
                await RenderFramesAsync(
                    rendering.Renderer, command, clips, 0, document.Frames.Count, qc,
                    (clip, frames, ct) => ClipSegments.EncodeWholeAsync(clip.Format, frames, clip.Width, clip.Height, rate, timing, clip.Audio ? audio : null, store.PathFor(clip.Key), ct),
                    progress,
                    cancellationToken);
            }
        }
        catch
        {
            // The background work reads the store and the reference embedder, both released on the way out: let it end first.
            await Task.WhenAll(performerTask, referencesTask).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (performerTask.IsCompletedSuccessfully)
            {
                performerTask.Result?.Dispose();
            }

            throw;
        }

        using var performerFaces = await performerTask;
        var performer = PerformerClip(command, performerFaces);
        var references = await referencesTask;
        string? qcKey = null;
        if (qc is not null && performer is not null && command.QcKey is { } key)
        {
            if (qcFromSegments)
            {
                var report = qc.Assess(RetargetQcTracker.PerformerFeatures(performer), qc.Identity(references));
                await store.WriteAsync(key, report.WriteAsync, cancellationToken);
            }

            qcKey = store.Exists(key) ? key : throw new InvalidOperationException($"Job {command.JobId}: the QC's segment tracking is gone and no qc.json was written from it.");
        }

        var (csvKey, jsonKey) = curves is null || CurvesSource(command, document, performer) is not { } input
            ? (null, null)
            : CurvesFiles.Write(store, command.JobId, (csv, json) => curves.TryWriteTransferred(input with { StartTimecode = start }, csv, json));
        foreach (var segment in command.Segments ?? [])
        {
            store.DeleteTree(segment.Key);
        }

        return new RetargetOutputsRendered(command.JobId, command.ResultKey, command.ReviewKey, command.ProResKey, csvKey, jsonKey, qcKey, command.MatteKey, command.ProRes4444Key, command.DnxhrKey);
    }

    /// <summary>
    /// Output frames <see cref="RenderRetargetSegment.FirstFrame"/> .. + <see cref="RenderRetargetSegment.FrameCount"/> − 1,
    /// rendered as <see cref="RunAsync"/> renders them in one piece, encoded as one segment of each clip in the segment's
    /// folder (<see cref="SegmentFile"/>), with the QC's re-tracking of those frames (<see cref="SegmentQcFile"/>). Each file
    /// is written under a temporary name, then renamed: a redelivered command writes them again.
    /// </summary>
    public async Task<RetargetSegmentRendered> RunSegmentAsync(RenderRetargetSegment segment, CancellationToken cancellationToken, RenderProgress? progress = null)
    {
        try
        {
            return await RenderSegmentAsync(segment, cancellationToken, progress);
        }
        finally
        {
            ReleaseSegmentBuffers();
        }
    }

    /// <summary>
    /// A segment's frame buffers (the readers' kept frames, the texture window, the encoders' frames: a few hundred MB of
    /// large objects at 480p) all become garbage when it ends. They are collected here, once the segment's objects are out
    /// of reach, rather than when the server GC's large-object budget runs out: that budget grows over a long job, and the
    /// worker's peak with it (issue 16: a 36k-frame retarget's Rendering peak was 1.16–1.22 × the 1k job's). The blocking
    /// full collection was not timed on its own; segments took as long with it as without (docs/benchmarks.md, "Rendering's
    /// peak on a long retarget"), against a segment's tens of seconds.
    /// </summary>
    private static void ReleaseSegmentBuffers() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);

    private async Task<RetargetSegmentRendered> RenderSegmentAsync(RenderRetargetSegment segment, CancellationToken cancellationToken, RenderProgress? progress)
    {
        ArgumentNullException.ThrowIfNull(segment);
        progress ??= new RenderProgress(null);
        var command = segment.Outputs;
        using var documentFile = OpenDocument(command);
        var document = documentFile.Document;
        if (segment.FirstFrame < 0 || segment.FrameCount < 1 || segment.FirstFrame + segment.FrameCount > document.Frames.Count)
        {
            throw new ArgumentException($"Segment {segment.Segment} (frames {segment.FirstFrame}..+{segment.FrameCount}) is outside the result's {document.Frames.Count} frames.", nameof(segment));
        }

        var target = command.Target.Video;
        var rate = new Rational(target.FrameRateNumerator, target.FrameRateDenominator);
        var timing = OutputTiming(store, command, document); // one pass over the document's frames
        var start = OutputStartTimecode(store, command, rate);
        var clips = ClipOutputs(command, timing, start);
        using var qcEye = QcWanted(command) ? feedback!.Open() : null;
        using var identity = qcEye is not null ? identities?.Open() : null;
        var qc = qcEye is null ? null : new RetargetQcTracker(document, qcEye.Tracker, target.Width, target.Height, identity?.Embedder);
        using (var rendering = OpenRendering(command, document))
        {
            await RenderFramesAsync(
                rendering.Renderer, command, clips, segment.FirstFrame, segment.FrameCount, qc,
                (clip, frames, ct) => ClipSegments.EncodeSegmentAsync(
                    clip.Format, frames, clip.Width, clip.Height, rate, timing, segment.FirstFrame, segment.FrameCount, store.PathFor(SegmentFile(segment.SegmentKey, clip)), ct),
                progress,
                cancellationToken);
        }

        if (qc is not null)
        {
            await store.WriteAsync(
                SegmentQcFile(segment.SegmentKey),
                (stream, _) =>
                {
                    qc.WriteTracked(stream, segment.FirstFrame, segment.FrameCount);
                    return Task.CompletedTask;
                },
                cancellationToken);
        }

        return new RetargetSegmentRendered(command.JobId, segment.Segment, segment.FrameCount, segment.SegmentKey);
    }

    /// <summary>The transfer document, its frames located by the transfer's index (<see cref="TransferIndex"/>) when it wrote one.</summary>
    private RetargetDocumentFile OpenDocument(RenderRetargetOutputs command) =>
        RetargetDocumentFile.Open(store.PathFor(command.TransferKey), store.PathFor(MediaKeys.TransferIndex(command.JobId)));

    /// <summary>A clip's segment file in a segment's folder (<see cref="RenderRetargetSegment.SegmentKey"/>), e.g. <c>…/segment-00003/result.nut</c>.</summary>
    private static string SegmentFile(string segmentKey, ClipOutput clip) => $"{segmentKey}/{clip.SegmentFile}";

    /// <summary>The QC's re-tracking of a segment's frames (<see cref="RetargetQcTracker.WriteTracked"/>).</summary>
    private static string SegmentQcFile(string segmentKey) => $"{segmentKey}/qc-tracking.bin";

    /// <summary>Whether the result is tracked again for a QC report: asked for, and this instance has the tracker.</summary>
    private bool QcWanted(RenderRetargetOutputs command) => command.QcKey is not null && feedback is not null;

    /// <summary>What each rendered frame is turned into for one output clip.</summary>
    private enum ClipFrames
    {
        /// <summary>The result's picture (RGB24).</summary>
        Picture,

        /// <summary>Source | target | result, with frame numbers.</summary>
        Review,

        /// <summary>The matte alone, one byte a pixel.</summary>
        Matte,

        /// <summary>The picture followed by its matte.</summary>
        PictureWithMatte,
    }

    /// <summary>One output clip of a retarget: where it goes, how it is encoded (in one piece or in segments), what it shows.</summary>
    private sealed record ClipOutput(string SegmentFile, string Key, SegmentFormat Format, int Width, int Height, bool Audio, ClipFrames Frames);

    /// <summary>
    /// The clips a retarget writes: the result and the review clip (H.264, the performer's audio), and as asked for ProRes
    /// 422 HQ, the matte, ProRes 4444 with the matte as alpha and DNxHR HQ; every one at the output's times
    /// (<see cref="OutputTiming"/>) from the performer's timecode (<see cref="OutputStartTimecode"/>).
    /// </summary>
    private static List<ClipOutput> ClipOutputs(RenderRetargetOutputs command, FrameTiming? timing, Timecode? start)
    {
        var target = command.Target.Video;
        var review = ReviewLayout(command);
        var h264 = SegmentFormat.H264(new H264EncodeOptions { Timing = timing, StartTimecode = start });
        var (width, height) = (target.Width, target.Height);
        var clips = new List<ClipOutput>
        {
            new("result.nut", command.ResultKey, h264, width, height, Audio: true, ClipFrames.Picture),
            new("review.nut", command.ReviewKey, h264, review.Width, review.Height, Audio: true, ClipFrames.Review),
        };
        if (command.ProResKey is { } proRes)
        {
            clips.Add(new("prores.nut", proRes, SegmentFormat.ProRes(new ProResEncodeOptions { Timing = timing, StartTimecode = start }), width, height, Audio: true, ClipFrames.Picture));
        }

        if (command.MatteKey is { } matte)
        {
            clips.Add(new("matte.nut", matte, SegmentFormat.Matte(new MatteEncodeOptions { Timing = timing, StartTimecode = start }), width, height, Audio: false, ClipFrames.Matte));
        }

        if (command.ProRes4444Key is { } proRes4444)
        {
            clips.Add(new("prores4444.nut", proRes4444, SegmentFormat.ProRes4444(new ProResEncodeOptions { Timing = timing, StartTimecode = start }), width, height, Audio: true, ClipFrames.PictureWithMatte));
        }

        if (command.DnxhrKey is { } dnxhr)
        {
            clips.Add(new("dnxhr.nut", dnxhr, SegmentFormat.Dnxhr(new DnxhrEncodeOptions { Timing = timing, StartTimecode = start }), width, height, Audio: true, ClipFrames.Picture));
        }

        return clips;
    }

    /// <summary>The review clip's layout: source | target | result, each panel <see cref="ReviewPanelHeight"/> high.</summary>
    private static ReviewComposer ReviewLayout(RenderRetargetOutputs command)
    {
        var targetSize = new FrameSize(command.Target.Video.Width, command.Target.Video.Height);
        return new ReviewComposer(new FrameSize(command.Source.Video.Width, command.Source.Video.Height), targetSize, targetSize, ReviewPanelHeight);
    }

    /// <summary>The frame renderer of one render (or one segment), with the actor's neural renderer or the closed loop's tracker it uses.</summary>
    private sealed class FrameRendering(IFaceRenderer? neural, RenderedFaceTrackerLease? eye, RetargetFrameRenderer renderer) : IDisposable
    {
        public RetargetFrameRenderer Renderer => renderer;

        public void Dispose()
        {
            renderer.Dispose();
            eye?.Dispose();
            neural?.Dispose();
        }
    }

    private FrameRendering OpenRendering(RenderRetargetOutputs command, RetargetDocument document)
    {
        var neural = command.GeneratorKey is { } generator
            ? (neuralRenderers ?? throw new InvalidOperationException("This rendering instance has no neural renderer runtime; the job names a trained model.")).Open(store.PathFor(generator))
            : null;
        RenderedFaceTrackerLease? eye = null;
        try
        {
            eye = neural is null ? feedback?.Open() : null;
            return new FrameRendering(neural, eye, new RetargetFrameRenderer(store, command, document, new WarpRenderer(mesh), neural, restingFace, eye?.Tracker, (options ?? RetargetRenderOptions.Default).ClosedLoopRounds));
        }
        catch
        {
            eye?.Dispose();
            neural?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Renders output frames <paramref name="first"/> .. + <paramref name="count"/> − 1 once and feeds each, at the same
    /// time, to every clip's encoder (<paramref name="encode"/>: in one piece or as a segment) and to the QC's tracker.
    /// </summary>
    private static async Task RenderFramesAsync(
        RetargetFrameRenderer renderer, RenderRetargetOutputs command, IReadOnlyList<ClipOutput> clips, int first, int count, RetargetQcTracker? qc,
        Func<ClipOutput, IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task> encode, RenderProgress progress, CancellationToken cancellationToken)
    {
        // With a matte asked for (matte.mov, the alpha of result_4444.mov), every frame is broadcast with its matte after
        // the picture (RenderWithMatteAsync); the other consumers read the picture part.
        var withMatte = clips.Any(c => c.Frames is ClipFrames.Matte or ClipFrames.PictureWithMatte);
        var pictureBytes = renderer.FrameBytes;
        var review = ReviewLayout(command);
        var reviewFrame = new byte[review.FrameSizeBytes];
        IAsyncEnumerable<ReadOnlyMemory<byte>> Pictures(IAsyncEnumerable<ReadOnlyMemory<byte>> frames) => withMatte ? Slices(frames, 0, pictureBytes) : frames;
        IAsyncEnumerable<ReadOnlyMemory<byte>> FramesOf(ClipOutput clip, IAsyncEnumerable<ReadOnlyMemory<byte>> frames, CancellationToken ct) => clip.Frames switch
        {
            ClipFrames.Picture => Pictures(frames),
            ClipFrames.Review => ComposeReview(Pictures(frames), renderer, review, reviewFrame, first, ct),
            ClipFrames.Matte => Slices(frames, pictureBytes, renderer.FrameWithMatteBytes - pictureBytes),
            _ => frames,
        };

        var encoders = clips.Select(clip => (Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task<object?>>)(async (frames, ct) =>
        {
            await encode(clip, FramesOf(clip, frames, ct), ct);
            return null;
        })).ToList();
        if (qc is not null)
        {
            encoders.Add(async (frames, ct) =>
            {
                await qc.TrackAsync(Pictures(frames), first, ct);
                return null;
            });
        }

        renderer.PlanTextures(first, count);
        await FrameBroadcast.RunAsync(
            withMatte ? renderer.FrameWithMatteBytes : pictureBytes,
            async (emit, ct) =>
            {
                for (var i = first; i < first + count; i++)
                {
                    await emit(withMatte ? await renderer.RenderWithMatteAsync(i, ct) : await renderer.RenderAsync(i, ct));
                    await progress.FrameWritten(ct);
                }
            },
            encoders,
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The segments a join that died part-way had consumed (a clip's segment file gone while its output was not written;
    /// the QC's tracking gone while qc.json was not), rendered again as their own workers rendered them: a killed worker
    /// costs a re-render, never the job.
    /// </summary>
    private async Task RenderLostSegmentsAsync(RenderRetargetOutputs command, IReadOnlyList<RenderedSegment> segments, IReadOnlyList<ClipOutput> clips, CancellationToken cancellationToken)
    {
        foreach (var segment in segments.OrderBy(s => s.FirstFrame))
        {
            var lost = clips.Any(c => !store.Exists(c.Key) && !store.Exists(SegmentFile(segment.Key, c)))
                || (QcWanted(command) && !store.Exists(command.QcKey!) && !store.Exists(SegmentQcFile(segment.Key)));
            if (lost)
            {
                await RunSegmentAsync(new RenderRetargetSegment(command.JobId, segment.Index, segment.FirstFrame, segment.FrameCount, command with { Segments = null }, segment.Key), cancellationToken);
            }
        }
    }

    /// <summary>Every segment's QC tracking read into <paramref name="qc"/>; false when they are gone (an earlier delivery assessed them and wrote qc.json).</summary>
    private bool ReadSegmentsTracking(RetargetQcTracker qc, IReadOnlyList<RenderedSegment> segments)
    {
        if (segments.Any(s => !store.Exists(SegmentQcFile(s.Key))))
        {
            return false;
        }

        foreach (var segment in segments)
        {
            using var stream = store.OpenRead(SegmentQcFile(segment.Key));
            qc.ReadTracked(stream);
        }

        return true;
    }

    /// <summary>
    /// Each clip joined from its segments without re-encoding, the audio muxed once, consuming the segment files as the
    /// join passes them (the segments and the clips are never on disk together: issue 16's bounded working set); a clip an
    /// earlier delivery joined (its segment files gone) is left.
    /// </summary>
    private async Task JoinClipsAsync(
        IReadOnlyList<RenderedSegment> segments, IReadOnlyList<ClipOutput> clips, Rational rate, FrameTiming? timing, string? audio, CancellationToken cancellationToken)
    {
        foreach (var clip in clips)
        {
            var files = segments.OrderBy(s => s.FirstFrame).Select(s => new EncodedSegment(store.PathFor(SegmentFile(s.Key, clip)), s.FirstFrame, s.FrameCount)).ToList();
            if (store.Exists(clip.Key) && files.Any(f => !File.Exists(f.Path)))
            {
                continue;
            }

            var output = store.PathFor(clip.Key);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await ClipSegments.JoinAsync(clip.Format, files, clip.Width, clip.Height, rate, timing, clip.Audio ? audio : null, output, cancellationToken, consume: true);
        }
    }

    /// <summary>
    /// The result's first timecode: the performer's (the result plays on its clock, from its first frame, with its audio:
    /// <see cref="OutputTiming"/>), counted at the output's <paramref name="rate"/> (the same label at the same rate; at
    /// another, the frame nearest the same moment, drop-frame kept where the rate has it). Null when the performer's clip
    /// carries no timecode. Every rendered output (result, review, ProRes, matte, 4444, DNxHR, the curves) starts there.
    /// </summary>
    public static Timecode? OutputStartTimecode(MediaStore store, RenderRetargetOutputs command, Rational rate)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(command);
        return command.Source.TimelineKey is { } key && store.Exists(key) && FrameTimeline.Load(store.PathFor(key)).Start is { } start
            ? start.AtRate(rate, start.DropFrame)
            : null;
    }

    /// <summary>Bytes [<paramref name="offset"/>, + <paramref name="length"/>) of every frame (no copy).</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Slices(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int offset, int length, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var frame in frames.WithCancellation(cancellationToken))
        {
            yield return frame.Slice(offset, length);
        }
    }

    /// <summary>
    /// When each output frame is shown: the transfer document's times (<see cref="RetargetOutputFrame.Time"/>, from the
    /// start of the result), on the source's clock (the result starts where the source's first frame is, so the source's
    /// audio stays in sync). Every rendered output (result, review, ProRes) is written at these times (issue 15).
    /// </summary>
    public static FrameTiming? OutputTiming(MediaStore store, RenderRetargetOutputs command, RetargetDocument document)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(document);
        if (document.Frames.Count == 0)
        {
            return null;
        }

        var first = 0.0;
        if (command.Source.TimelineKey is { } key && store.Exists(key) && FrameTimeline.Load(store.PathFor(key)) is { FrameCount: > 0 } timeline)
        {
            first = timeline.Seconds[0];
        }

        // Read as a timeline whose stream ends at the document's duration: the last frame keeps its own length (a quarter to
        // four times the interval before it, as an extraction's timeline is read), so a variable-rate performer's last frame
        // is as long as it was in the performer (a 40 ms frame after 20 ms ones, say) and the durations match.
        var times = new FrameTimeline(document.Output.FrameRate, null, 0, "transfer", [], [.. document.FrameSummaries.Select(f => first + f.Time)], first + document.Output.DurationSeconds);
        return FrameTiming.FromTimeline(times);
    }

    /// <summary>
    /// The transferred faces and poses of the document's output frames, and (given the performer's tracked faces, with
    /// irises) the performer's eyes on the frame each output frame plays, for the gaze curves; null when no frame drives a face.
    /// </summary>
    public static TransferredCurvesInput? CurvesInput(RenderRetargetOutputs command, RetargetDocument document, RetargetClip? performer = null)
    {
        var neutral = document.TargetNeutral.Select(p => new Vec3(p[0], p[1], p[2])).ToArray();
        var faces = document.Frames.Select(f => f.Expression is { } e && f.Pose is not null
            ? neutral.Select((n, k) => n + new Vec3(e[k][0], e[k][1], e[k][2])).ToArray()
            : null).ToList();
        if (faces.All(f => f is null))
        {
            return null;
        }

        var poses = document.Frames.Select(f => f.Pose is { } p
            ? new FacePose(new Matrix3(p.Rotation[0], p.Rotation[1], p.Rotation[2], p.Rotation[3], p.Rotation[4], p.Rotation[5], p.Rotation[6], p.Rotation[7], p.Rotation[8]), new Vec3(p.Translation[0], p.Translation[1], p.Translation[2]), p.Scale)
            : (FacePose?)null).ToList();
        var video = command.Target.Video;
        var eyes = performer is null || performer.Frames.All(f => f?.Irises is null)
            ? null
            : document.Frames.Select(f => faces[f.Index] is not null
                && performer.Frames[Math.Clamp((int)Math.Round(f.SourcePosition), 0, performer.Frames.Count - 1)] is { Irises: { } irises } face
                    ? face.Screen.Concat(irises).ToArray()
                    : null).ToList();
        return new TransferredCurvesInput(command.Source.FileName, video.FrameRateNumerator, video.FrameRateDenominator, [.. document.Frames.Select(f => f.Time)], neutral, faces, poses, eyes);
    }

    /// <summary>
    /// <see cref="CurvesInput"/> read output frame by output frame (issue 16: memory flat in length): a first pass over the
    /// document's frames finds whether any drives a face (null when none does); each enumeration of the source's frames
    /// reads them again, with the performer's eyes read from <paramref name="performer"/> as each frame plays it.
    /// </summary>
    public static TransferredCurvesSource? CurvesSource(RenderRetargetOutputs command, RetargetDocument document, RetargetClip? performer = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(document);
        if (!document.Frames.Any(f => f.Expression is not null && f.Pose is not null))
        {
            return null;
        }

        var neutral = document.TargetNeutral.Select(p => new Vec3(p[0], p[1], p[2])).ToArray();
        var eyes = performer is not null && Enumerable.Range(0, performer.Frames.Count).Any(f => performer.Frames.HasFace(f) && performer.Frames[f]!.Irises is not null);
        var video = command.Target.Video;
        return new TransferredCurvesSource(command.Source.FileName, video.FrameRateNumerator, video.FrameRateDenominator, document.Frames.Count, neutral, eyes, Frames());

        IEnumerable<TransferredCurvesFrame> Frames()
        {
            foreach (var f in document.Frames)
            {
                var face = FaceOf(neutral, f);
                Vec3[]? performerEyes = null;
                if (eyes && face is not null
                    && performer!.Frames[Math.Clamp((int)Math.Round(f.SourcePosition), 0, performer.Frames.Count - 1)] is { Irises: { } irises } seen)
                {
                    performerEyes = [.. seen.Screen, .. irises];
                }

                yield return new TransferredCurvesFrame(f.Time, face, PoseOf(f), performerEyes);
            }
        }
    }

    private static Vec3[]? FaceOf(Vec3[] neutral, RetargetOutputFrame f) => f.Expression is { } e && f.Pose is not null
        ? neutral.Select((n, k) => n + new Vec3(e[k][0], e[k][1], e[k][2])).ToArray()
        : null;

    private static FacePose? PoseOf(RetargetOutputFrame f) => f.Pose is { } p
        ? new FacePose(new Matrix3(p.Rotation[0], p.Rotation[1], p.Rotation[2], p.Rotation[3], p.Rotation[4], p.Rotation[5], p.Rotation[6], p.Rotation[7], p.Rotation[8]), new Vec3(p.Translation[0], p.Translation[1], p.Translation[2]), p.Scale)
        : null;

    /// <summary>The performer's clip as the QC and the curves read it.</summary>
    private static RetargetClip? PerformerClip(RenderRetargetOutputs command, SequenceClipFaces? faces) =>
        faces is null ? null : ClipRecords.RetargetClipOf(faces, command.Source, null);

    /// <summary>The review frames: each result frame beside the source and target frames it came from.</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ComposeReview(
        IAsyncEnumerable<ReadOnlyMemory<byte>> results,
        RetargetFrameRenderer renderer,
        ReviewComposer layout,
        byte[] reviewFrame,
        int first,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var index = first;
        await foreach (var result in results.WithCancellation(cancellationToken))
        {
            var (source, sourceFrame, target, targetFrame) = await renderer.ReviewInputsAsync(index, cancellationToken);
            layout.Compose(source.Span, sourceFrame, target.Span, targetFrame, result.Span, index, reviewFrame);
            index++;
            yield return reviewFrame;
        }
    }
}

/// <summary>Renders the result frames of one retarget job, in order, reusing its buffers (one thread).</summary>
/// <summary>Settings of the retarget render stage that are the service's, not the studio's.</summary>
public sealed record RetargetRenderOptions
{
    /// <summary>Rounds of the closed loop per frame (0: none).</summary>
    public int ClosedLoopRounds { get; init; } = ClosedLoopCorrection.DefaultRounds;

    /// <summary>The defaults.</summary>
    public static RetargetRenderOptions Default { get; } = new();
}

public sealed class RetargetFrameRenderer : IDisposable
{
    private readonly RetargetDocument _document;
    private readonly WarpRenderer _warp;
    private readonly IFaceRenderer? _neural;
    private readonly ClipFrameReader _target;
    private readonly ClipFrameReader _textures;
    private readonly ClipFrameReader _reviewTarget;
    private readonly ClipFrameReader _source;
    private readonly DonorSelector _donors;
    private readonly Vec3[] _targetNeutral;
    private readonly TrackedMeshes _tracked;
    private readonly byte[] _frame;
    private readonly byte[] _output;
    private readonly byte[] _sourceFrame;
    private readonly byte[] _reviewTargetFrame;
    private readonly TextureFrameCache _textureFrames;
    private readonly FaceBaseChooser? _faceBases;
    private readonly IRenderedFaceTracker? _feedback;
    private readonly int _rounds;
    private readonly Dictionary<int, TextureChoice> _planned = [];
    private byte[]? _withMatte;
    private int _loadedTarget = -1;
    private int _planStart;
    private int _planEnd;
    private int _windowEnd;

    /// <param name="neural">Renders the face instead of <paramref name="warp"/> and its donors, when given (not owned).</param>
    /// <param name="restingFace">
    /// Take the face's texture from the target's resting frame nearest in head pose (<see cref="FaceBase"/>), so the actor's
    /// own expression on each frame never reaches the result (default); false: from the target frame itself.
    /// </param>
    /// <param name="feedback">
    /// The closed loop's tracker: each warped frame is tracked again and rendered once more with the destination corrected
    /// by what the landmark model saw (<see cref="ClosedLoopCorrection"/>); null: rendered once.
    /// </param>
    /// <param name="rounds">Rounds of the closed loop per frame (with <paramref name="feedback"/>).</param>
    public RetargetFrameRenderer(MediaStore store, RenderRetargetOutputs command, RetargetDocument document, WarpRenderer warp, IFaceRenderer? neural = null, bool restingFace = true, IRenderedFaceTracker? feedback = null, int rounds = ClosedLoopCorrection.DefaultRounds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rounds);
        _feedback = feedback;
        _rounds = rounds;
        _document = document;
        _warp = warp;
        _neural = neural;
        _target = new ClipFrameReader(store, command.Target);
        // Donor and resting frames are scattered over the target clip: read through a decoder of their own, so the target's
        // own forward run (one frame per output frame) is never restarted by them.
        _textures = new ClipFrameReader(store, command.Target, keptFrames: TextureReaderKeptFrames);
        _reviewTarget = new ClipFrameReader(store, command.Target);
        _source = new ClipFrameReader(store, command.Source);
        _targetNeutral = [.. document.TargetNeutral.Select(ToVec3)];
        // The target frames' meshes are read from the document as they are needed (issue 16); what the donors are chosen
        // by (a few numbers per frame) and which frames have a mesh are kept, from the transfer's index when it has one.
        var openings = new FeatureOpening?[document.TargetFrames.Count];
        var hasMesh = new bool[openings.Length];
        var t = 0;
        foreach (var summary in document.TargetSummaries)
        {
            hasMesh[t] = summary.HasMesh;
            openings[t++] = summary.Opening;
        }

        _tracked = new TrackedMeshes(document.TargetFrames, hasMesh);
        _donors = new DonorSelector(openings);
        _frame = new byte[_target.FrameBytes];
        _output = new byte[_target.FrameBytes];
        _sourceFrame = new byte[_source.FrameBytes];
        _reviewTargetFrame = new byte[_target.FrameBytes];
        _textureFrames = new TextureFrameCache(
            (int)Math.Clamp(MaxTextureCacheBytes / _target.FrameBytes, MinTextureFrames, MaxTextureFrames), _target.FrameBytes, _textures.ReadAsync);
        if (restingFace && neural is null)
        {
            var resting = document.TargetRestingFrames is { Count: > 0 } listed
                ? listed
                : [document.TargetNeutralFrame ?? ClosestTo(document.TargetFrames, _targetNeutral)];
            if (resting.Any(f => f >= 0 && f < _tracked.Count && _tracked.HasFace(f)))
            {
                _faceBases = new FaceBaseChooser(_tracked, resting);
            }
        }
    }

    /// <summary>
    /// Memory for the texture frames (resting and donor frames) kept between output frames: 194 frames at 480×480, 48 at
    /// 720p, 21 at 1080p. More frames a window means fewer windows, so fewer passes of the texture decoder.
    /// </summary>
    private const long MaxTextureCacheBytes = 128L << 20;

    /// <summary>At least a whole output frame's textures: its resting frame and a donor for the mouth and each eye.</summary>
    private const int MinTextureFrames = 4;

    /// <summary>At most this many texture frames, however small they are.</summary>
    private const int MaxTextureFrames = 1024;

    /// <summary>Frames the texture reader keeps behind its decoder (the texture cache keeps what is used).</summary>
    private const int TextureReaderKeptFrames = 4;

    /// <summary>Times the target's own decoder was started (once per forward run of target frames: a looped or ping-pong target adds restarts, donors do not).</summary>
    public int TargetDecoderStarts => _target.DecoderStarts;

    /// <summary>Times the decoder of donor and resting frames was started.</summary>
    public int TextureDecoderStarts => _textures.DecoderStarts;

    /// <summary>Donor and resting frames decoded (each once per window that wants it, or once per miss without a plan).</summary>
    public int TextureFramesDecoded => _textureFrames.Misses;

    /// <summary>The target frames output frame <paramref name="index"/> takes pixels from besides its own: its resting frame and its donors (none when the footage is shown as it is).</summary>
    public IReadOnlyCollection<int> TextureFramesOf(int index) => ChooseTextures(index).Frames;

    /// <summary>
    /// Announces that output frames <paramref name="first"/> .. + <paramref name="count"/> − 1 are rendered next, in order:
    /// their donor and resting frames are then decoded a window at a time in ascending order
    /// (<see cref="TextureWindowPlanner"/>), instead of one at a time as each output frame wants them. Without it (or for a
    /// frame outside the range) textures are decoded on demand.
    /// </summary>
    public void PlanTextures(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, _document.Frames.Count);
        _planStart = first;
        _planEnd = first + count;
        _windowEnd = first;
        _planned.Clear();
    }

    public int FrameBytes => _target.FrameBytes;

    /// <summary>Bytes of a frame with its matte (<see cref="RenderWithMatteAsync"/>): the RGB24 picture, then one byte a pixel.</summary>
    public int FrameWithMatteBytes => checked(_target.FrameBytes + (_target.Width * _target.Height));

    /// <summary>
    /// Renders output frame <paramref name="index"/> (<see cref="RenderAsync"/>) followed by its soft matte: the region the
    /// renderer changed, 0 where the footage is its own (everywhere on a frame shown as it is), 255 where the face replaced
    /// it, feathered as the renderer composited it (<see cref="CompositeMatte"/>). The buffer is valid until the next call.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> RenderWithMatteAsync(int index, CancellationToken cancellationToken)
    {
        var picture = await RenderAsync(index, cancellationToken);
        _withMatte ??= new byte[FrameWithMatteBytes];
        picture.Span.CopyTo(_withMatte);
        var matte = _withMatte.AsSpan(picture.Length);
        if (LastCrop.Area == 0)
        {
            matte.Clear();
        }
        else
        {
            (_neural?.Matte ?? _warp.Matte).WriteTo(matte, _target.Width, _target.Height);
        }

        return _withMatte;
    }

    /// <summary>The face crop the last rendered frame was processed in (empty when the footage was passed through).</summary>
    public PixelRect LastCrop { get; private set; }

    /// <summary>Renders output frame <paramref name="index"/>; the buffer is valid until the next call.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> RenderAsync(int index, CancellationToken cancellationToken)
    {
        var frame = _document.Frames[index];
        await LoadTarget(frame.TargetFrame, cancellationToken);
        LastCrop = default;
        if (frame.Destination is null || frame.Expression is null || _tracked[frame.TargetFrame] is not { } tracked)
        {
            return _frame; // no face to drive on this target frame: the footage as it is
        }

        if (_neural is not null)
        {
            LastCrop = _neural.Render(_frame, _target.Width, _target.Height, tracked, [.. frame.Destination.Select(p => new Point2(p[0], p[1]))], _output);
            return _output;
        }

        var textures = await TexturesOfAsync(index, cancellationToken);
        var textureFrame = textures.TextureFrame;
        var faceBase = _faceBases is not null
            ? new FaceBase(await _textureFrames.GetAsync(textureFrame, cancellationToken), _tracked[textureFrame]!)
            : null;
        var donors = new List<FeatureDonor>();
        foreach (var choice in textures.Donors)
        {
            donors.Add(new FeatureDonor(choice.Feature, await _textureFrames.GetAsync(choice.Frame, cancellationToken), _tracked[choice.Frame]!));
        }

        var destination = frame.Destination.Select(p => new Point2(p[0], p[1])).ToArray();
        LastCrop = _warp.Render(_frame, _target.Width, _target.Height, tracked, destination, donors, _output, faceBase).Crop;
        var current = destination;
        for (var round = 0; _feedback is not null && round < _rounds; round++)
        {
            if (_feedback.Track(_output, _target.Width, _target.Height, current) is not { } seen)
            {
                break;
            }

            current = ClosedLoopCorrection.Correct(destination, current, seen.Length > WarpMesh.FacePointCount ? seen[..WarpMesh.FacePointCount] : seen);
            LastCrop = (faceBase is not null
                ? _warp.RenderCorrected(_frame, _target.Width, _target.Height, tracked, current, donors, _output, faceBase)
                : _warp.Render(_frame, _target.Width, _target.Height, tracked, current, donors, _output)).Crop;
        }

        PaintGaze(frame, textureFrame, current, donors);
        return _output;
    }

    /// <summary>
    /// The performer's gaze on the actor's eyes (<see cref="GazeTransfer"/>): each eye not replaced by a donor (a blink)
    /// has its iris moved from where it is in the texture's frame to the actor's neutral gaze plus the performer's offset.
    /// Needs irises on both clips (transfer.json's gaze fields).
    /// </summary>
    private void PaintGaze(RetargetOutputFrame frame, int textureFrame, Point2[] mesh, List<FeatureDonor> donors)
    {
        if (frame.Gaze is not { Length: 2 } gaze || _document.TargetNeutralGaze is not { Length: 2 } neutral
            || _document.TargetFrames[textureFrame] is not { Landmarks: { } landmarks, Irises: { Length: 10 } irises })
        {
            return;
        }

        var texture = landmarks.Concat(irises).Select(p => new Point2(p[0], p[1])).ToArray();
        var offset = new EyeGaze(gaze[0], gaze[1]);
        foreach (var (eye, feature, index) in new[] { (Eye.Right, FaceFeature.RightEye, 0), (Eye.Left, FaceFeature.LeftEye, 1) })
        {
            if (donors.Any(d => d.Feature == feature) || EyeGaze.Of(texture, eye) is not { } own)
            {
                continue;
            }

            var shift = GazeTransfer.Shift(new EyeGaze(neutral[index][0], neutral[index][1]), offset, own);
            GazeShift.Paint(_output, _target.Width, _target.Height, mesh, eye, shift.Across, shift.Down);
        }
    }

    /// <summary>
    /// The source and target frames shown beside result frame <paramref name="index"/>, with their frame
    /// numbers. Has readers and buffers of its own, so the review can run beside the rendering.
    /// </summary>
    public async ValueTask<(ReadOnlyMemory<byte> Source, int SourceFrame, ReadOnlyMemory<byte> Target, int TargetFrame)> ReviewInputsAsync(int index, CancellationToken cancellationToken)
    {
        var frame = _document.Frames[index];
        var sourceFrame = Math.Clamp((int)Math.Round(frame.SourcePosition), 0, _source.FrameCount - 1);
        await _source.ReadAsync(sourceFrame, _sourceFrame, cancellationToken);
        await _reviewTarget.ReadAsync(frame.TargetFrame, _reviewTargetFrame, cancellationToken);
        return (_sourceFrame, sourceFrame, _reviewTargetFrame, frame.TargetFrame);
    }

    public void Dispose()
    {
        _target.Dispose();
        _textures.Dispose();
        _reviewTarget.Dispose();
        _source.Dispose();
    }

    /// <summary>
    /// Output frame <paramref name="index"/>'s textures, as planned with its window (whose frames are decoded here when the
    /// window starts), or chosen now outside a plan.
    /// </summary>
    private async ValueTask<TextureChoice> TexturesOfAsync(int index, CancellationToken cancellationToken)
    {
        if (index >= _windowEnd && index >= _planStart && index < _planEnd)
        {
            var (end, textures) = TextureWindowPlanner.NextWindow(
                index, _planEnd, i => _planned.TryGetValue(i, out var planned) ? planned.Frames : (_planned[i] = ChooseTextures(i)).Frames, _textureFrames.Capacity);
            await _textureFrames.KeepOnlyAsync(textures, cancellationToken);
            _windowEnd = end;
        }

        return _planned.Remove(index, out var choice) ? choice : ChooseTextures(index);
    }

    /// <summary>
    /// The frames output frame <paramref name="index"/> takes its face from: the resting frame nearest in head pose (with
    /// resting faces) and the donors of the features the performer opens or closes beyond the actor's frame. None where the
    /// footage is shown as it is, or a neural renderer draws the face.
    /// </summary>
    private TextureChoice ChooseTextures(int index)
    {
        var frame = _document.Frames[index];
        if (_neural is not null || frame.Destination is null || frame.Expression is null || !_tracked.HasFace(frame.TargetFrame))
        {
            return new TextureChoice(frame.TargetFrame, false, []);
        }

        var transferred = new Vec3[_targetNeutral.Length];
        for (var k = 0; k < transferred.Length; k++)
        {
            transferred[k] = _targetNeutral[k] + ToVec3(frame.Expression[k]);
        }

        var textureFrame = _faceBases?.Choose(frame.TargetFrame) ?? frame.TargetFrame;
        var donors = _donors.Select(textureFrame, FeatureOpenings.Of(transferred)).Where(choice => _tracked.HasFace(choice.Frame)).ToArray();
        return new TextureChoice(textureFrame, _faceBases is not null, donors);
    }

    /// <summary>Where an output frame's face comes from: <see cref="TextureFrame"/> (read from the cache when it is a resting frame) and its donors.</summary>
    private readonly record struct TextureChoice(int TextureFrame, bool FromRestingFrame, DonorChoice[] Donors)
    {
        /// <summary>The frames read through the texture cache.</summary>
        public IReadOnlyCollection<int> Frames => [.. (FromRestingFrame ? [TextureFrame] : Array.Empty<int>()).Concat(Donors.Select(d => d.Frame)).Distinct()];
    }

    private async ValueTask LoadTarget(int targetFrame, CancellationToken cancellationToken)
    {
        if (_loadedTarget != targetFrame)
        {
            await _target.ReadAsync(targetFrame, _frame, cancellationToken);
            _loadedTarget = targetFrame;
        }
    }

    /// <summary>The target frame whose pose-free face is closest to the neutral (documents written before the neutral frame was recorded).</summary>
    private static int ClosestTo(IReadOnlyList<RetargetTargetFrame> frames, Vec3[] neutral)
    {
        // NeutralEstimator.ClosestFrame over the frames with a pose-free face, read one at a time.
        var best = -1;
        var bestDistance = double.PositiveInfinity;
        foreach (var frame in frames)
        {
            if (frame.PoseFree is not { } poseFree)
            {
                continue;
            }

            double d = 0;
            for (var i = 0; i < neutral.Length; i++)
            {
                d += (ToVec3(poseFree[i]) - neutral[i]).LengthSquared;
            }

            if (d < bestDistance)
            {
                (best, bestDistance) = (frame.Index, d);
            }
        }

        return best;
    }

    /// <summary>The target frames' tracked meshes, made from the document when asked for (the last few kept); thread-safe.</summary>
    private sealed class TrackedMeshes(IReadOnlyList<RetargetTargetFrame> frames, bool[] hasMesh) : IReadOnlyList<Point2[]?>, IFacePresence
    {
        private const int Kept = 16;
        private readonly Lock _gate = new();
        private readonly (int Frame, Point2[]? Mesh)[] _kept = [.. Enumerable.Repeat((-1, (Point2[]?)null), Kept)];
        private int _next;

        public int Count => hasMesh.Length;

        public Point2[]? this[int index]
        {
            get
            {
                if (!hasMesh[index])
                {
                    return null;
                }

                lock (_gate)
                {
                    foreach (var (frame, mesh) in _kept)
                    {
                        if (frame == index)
                        {
                            return mesh;
                        }
                    }
                }

                var made = frames[index].Landmarks!.Select(p => new Point2(p[0], p[1])).ToArray();
                lock (_gate)
                {
                    _kept[_next] = (index, made);
                    _next = (_next + 1) % Kept;
                }

                return made;
            }
        }

        public bool HasFace(int frame) => hasMesh[frame];

        public IEnumerator<Point2[]?> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static Vec3 ToVec3(float[] p) => new(p[0], p[1], p[2]);
}
