using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Retarget;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The expression-transfer stage of a retarget job: loads both clips' face records, plans the
/// result frame by frame (<see cref="RetargetPlanner"/>: timing, lost faces, deformation transfer,
/// head pose, destination meshes) and writes the transfer document.
/// <para>
/// With <see cref="TransferSpace.Blendshapes"/> the source's pose-free faces are first replaced by the target's
/// neutral carrying the source's ARKit expression weights (<paramref name="blendshapes"/>), and both clips' neutral
/// by the target neutral those faces were built on: the planner's deformation transfer between two identical
/// neutrals then passes them through, and intensity, region gains, timing, gap filling and pose apply as usual.
/// </para>
/// </summary>
/// <param name="store">The media store.</param>
/// <param name="mesh">MediaPipe's canonical face.</param>
/// <param name="blendshapes">Transfer in blendshape space (needs the ICT-FaceKit model); null: such jobs are refused.</param>
public sealed class ExpressionTransferStage(MediaStore store, CanonicalFaceMesh mesh, IBlendshapeSpaceTransfer? blendshapes = null)
{
    /// <summary>Why a job asking for <see cref="TransferSpace.Blendshapes"/> fails on a service without the model: the server's fault, not the studio's.</summary>
    public const string BlendshapeModelMissing =
        "transfer in blendshape space needs the ICT-FaceKit model (scripts/unpack-ict.sh); the default mesh transfer does not";

    private readonly MetricLandmarks _geometry = new(mesh);

    public async Task<ExpressionsTransferred> RunAsync(TransferExpressions command, CancellationToken cancellationToken)
    {
        var settings = command.Settings;
        if (settings.Space == TransferSpace.Blendshapes && blendshapes is null)
        {
            throw new ServerFaultException(BlendshapeModelMissing); // before reading any record
        }

        // Both clips' faces are kept in temporary files beside the result, read one at a time; the plan makes each output
        // frame as the document is written (issue 16: memory flat in length).
        var spill = Path.GetDirectoryName(store.PathFor(command.TransferKey));
        using var sourceFaces = ClipRecords.SpillForRetarget(store, _geometry, command.Source, spill, cancellationToken);
        using var targetFaces = ClipRecords.SpillForRetarget(store, _geometry, command.Target, spill, cancellationToken);
        var source = WithClock(store, ClipRecords.RetargetClipOf(sourceFaces, command.Source, settings.SourceNeutralFrame), command.Source);
        var target = WithClock(store, ClipRecords.RetargetClipOf(targetFaces, command.Target, settings.TargetNeutralFrame), command.Target);
        RetargetPlan plan;
        try
        {
            plan = PlanLazily(source, target, settings);
        }
        catch (RetargetInputException refused)
        {
            throw new JobInputException(FailureCodes.BadSettings, $"{refused.Message} Name another neutral frame, or leave it out to have it estimated.", refused);
        }

        var held = 0;
        var index = new TransferIndex.Builder();
        await store.WriteAsync(command.TransferKey, async (stream, ct) => held = await WriteDocumentAsync(stream, command, plan, ct, index), cancellationToken);
        await store.WriteAsync(MediaKeys.TransferIndex(command.JobId), (stream, _) =>
        {
            index.WriteTo(stream);
            return Task.CompletedTask;
        }, cancellationToken);
        return new ExpressionsTransferred(command.JobId, command.TransferKey, plan.Frames.Count, held);
    }

    /// <summary>Plans the retarget of two loaded clips with the job's settings (in blendshape space when they say so).</summary>
    /// <exception cref="RetargetInputException">A clip without a face, or a neutral frame without one.</exception>
    /// <exception cref="ServerFaultException"><see cref="TransferSpace.Blendshapes"/> without the model (<see cref="BlendshapeModelMissing"/>).</exception>
    public RetargetPlan Plan(RetargetClip source, RetargetClip target, RetargetSettings settings)
    {
        var (s, t) = Prepared(source, target, settings);
        return new RetargetPlanner(mesh).Plan(s, t, OptionsOf(settings));
    }

    /// <summary>
    /// <see cref="Plan"/> whose per-frame lists are made as they are read (<see cref="RetargetPlanner.PlanLazily"/>): the
    /// clips must stay readable while the plan is used.
    /// </summary>
    public RetargetPlan PlanLazily(RetargetClip source, RetargetClip target, RetargetSettings settings)
    {
        var (s, t) = Prepared(source, target, settings);
        return new RetargetPlanner(mesh).PlanLazily(s, t, OptionsOf(settings));
    }

    private (RetargetClip Source, RetargetClip Target) Prepared(RetargetClip source, RetargetClip target, RetargetSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        source = WithNeutral(source, settings.Neutral);
        target = WithNeutral(target, settings.Neutral);
        if (settings.Space == TransferSpace.Blendshapes)
        {
            (source, target) = InBlendshapeSpace(source, target);
        }

        return (source, target);
    }

    /// <summary>
    /// A clip with its neutral chosen as <paramref name="mode"/> says, unless the studio named its neutral frame: the
    /// resting frames (<see cref="RestingFaceFinder"/>), or the first frame with a face.
    /// </summary>
    public static RetargetClip WithNeutral(RetargetClip clip, NeutralMode mode)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (clip.NeutralFrame is not null || clip.Neutral is not null || !Enumerable.Range(0, clip.Frames.Count).Any(clip.Frames.HasFace))
        {
            return clip;
        }

        if (mode == NeutralMode.First)
        {
            return clip with { NeutralFrame = Enumerable.Range(0, clip.Frames.Count).First(clip.Frames.HasFace) };
        }

        var rest = RestingFaceFinder.Find(LazyList<Vec3[]?>.PoseFree(clip.Frames));
        return clip with { Neutral = rest.Neutral, NeutralFrame = rest.Frame, RestingFrames = rest.RestingFrames };
    }

    /// <summary>
    /// The two clips as the planner takes them for a transfer in blendshape space: the source's pose-free faces
    /// replaced by the transferred ones (frames without a face stay without), and both neutrals by the target neutral
    /// they were built on. Everything else (screen landmarks, poses, rates, sizes) is the clips' own.
    /// </summary>
    /// <exception cref="RetargetInputException">As <see cref="Plan"/>.</exception>
    /// <exception cref="ServerFaultException">As <see cref="Plan"/>.</exception>
    public (RetargetClip Source, RetargetClip Target) InBlendshapeSpace(RetargetClip source, RetargetClip target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);

        // The planner's own checks first (a clip without a face, a neutral frame without one), with its messages.
        RetargetPlanner.NeutralOf(source, "source");
        RetargetPlanner.NeutralOf(target, "target");
        if (blendshapes is null
            || !blendshapes.TryTransfer(
                [.. source.Frames.Select(f => f?.PoseFree)], source.NeutralFrame,
                [.. target.Frames.Select(f => f?.PoseFree)], target.NeutralFrame,
                out var transferred))
        {
            throw new ServerFaultException(BlendshapeModelMissing);
        }

        if (transferred.Faces.Count != source.Frames.Count)
        {
            throw new InvalidOperationException($"The blendshape transfer returned {transferred.Faces.Count} faces for {source.Frames.Count} source frames.");
        }

        var frames = source.Frames
            .Select((face, f) => face is not null && transferred.Faces[f] is { } moved ? face with { PoseFree = moved } : null)
            .ToList();
        return (source with { Frames = frames, Neutral = transferred.TargetNeutral }, target with { Neutral = transferred.TargetNeutral });
    }

    /// <summary>
    /// The clip with its frames' times (<see cref="RetargetClip.Clock"/>) from its extraction's timeline (issue 15): the
    /// planner places a variable-frame-rate clip's frames by these times. Unchanged when the timeline is missing or does
    /// not have one time per frame (the clip is then timed by index at its nominal rate, as before).
    /// </summary>
    public static RetargetClip WithClock(MediaStore store, RetargetClip clip, ClipTrack track)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(track);
        if (string.IsNullOrEmpty(track.TimelineKey) || !store.Exists(track.TimelineKey))
        {
            return clip;
        }

        var timeline = FrameTimeline.Load(store.PathFor(track.TimelineKey));
        return timeline.FrameCount == clip.Frames.Count && timeline.FrameCount > 0
            ? clip with { Clock = new ClipClock(timeline.Seconds, timeline.EndSeconds) }
            : clip;
    }

    /// <summary>The planner's options from the job's settings.</summary>
    public static RetargetPlanOptions OptionsOf(RetargetSettings settings) => new(
        new TransferControls(settings.Intensity, settings.MouthGain, settings.EyesGain, settings.BrowsGain),
        settings.Pose == PoseSource.Source ? PoseMode.Source : PoseMode.Target,
        settings.Timing switch
        {
            TargetTiming.Loop => ShortTargetMode.Loop,
            TargetTiming.Hold => ShortTargetMode.HoldLast,
            _ => ShortTargetMode.PingPong,
        });

    public static RetargetDocument Document(TransferExpressions command, RetargetPlan plan)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(plan);
        return Header(command, plan) with
        {
            TargetFrames = [.. Enumerable.Range(0, plan.TargetTracked.Count).Select(t => TargetFrameOf(plan, t))],
            Frames = [.. plan.Frames.Select(f => OutputFrameOf(plan, f))],
        };
    }

    /// <summary>The document of <paramref name="plan"/> without its frames (both lists empty).</summary>
    private static RetargetDocument Header(TransferExpressions command, RetargetPlan plan) => new(
        RetargetDocument.SchemaV1,
        new RetargetInput(command.Source.FileName, VideoOf(command.Source.Video)),
        new RetargetInput(command.Target.FileName, VideoOf(command.Target.Video)),
        OutputOf(command, plan),
        command.Settings,
        Points(plan.SourceNeutral, 4),
        Points(plan.TargetNeutral, 4),
        [],
        [],
        plan.SourceNeutralFrame,
        plan.TargetNeutralFrame,
        plan.TargetRestingFrames,
        NeutralGazeOf(plan));

    /// <summary>
    /// Writes the transfer document of <paramref name="plan"/> frame by frame (issue 16: memory flat in length): the bytes of
    /// <see cref="Document"/> written in one piece, each target frame and output frame made, written and let go in turn
    /// (a lazy plan, <see cref="PlanLazily"/>, makes each as it is reached). Returns the output frames whose source
    /// expression is held (the source's face lost for long).
    /// </summary>
    /// <param name="index">Collects the document's index as it is written (<see cref="TransferIndex"/>), or null.</param>
    public static async Task<int> WriteDocumentAsync(Stream stream, TransferExpressions command, RetargetPlan plan, CancellationToken cancellationToken, TransferIndex.Builder? index = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(plan);
        var options = RetargetDocument.JsonOptions;
        var held = 0;
        await using var json = new Utf8JsonWriter(stream, TrackingJson.WriterOptions(options));
        void Property<T>(string name, T value)
        {
            json.WritePropertyName(options.PropertyNamingPolicy?.ConvertName(name) ?? name);
            JsonSerializer.Serialize(json, value, options);
        }

        long Position() => json.BytesCommitted + json.BytesPending; // where the writer stands in the document

        // Everything but the frames, written around them (and the index's header); what follows the frames is read once
        // they are made.
        var header = Header(command, plan);
        json.WriteStartObject();
        Property(nameof(RetargetDocument.Schema), header.Schema);
        Property(nameof(RetargetDocument.Source), header.Source);
        Property(nameof(RetargetDocument.Target), header.Target);
        Property(nameof(RetargetDocument.Output), header.Output);
        Property(nameof(RetargetDocument.Settings), header.Settings);
        Property(nameof(RetargetDocument.SourceNeutral), header.SourceNeutral);
        Property(nameof(RetargetDocument.TargetNeutral), header.TargetNeutral);
        json.WritePropertyName(options.PropertyNamingPolicy?.ConvertName(nameof(RetargetDocument.TargetFrames)) ?? nameof(RetargetDocument.TargetFrames));
        json.WriteStartArray();
        for (var t = 0; t < plan.TargetTracked.Count; t++)
        {
            var targetFrame = TargetFrameOf(plan, t);
            var start = Position();
            JsonSerializer.Serialize(json, targetFrame, options);
            index?.AddTarget(start, Position(), targetFrame);
            if (json.BytesPending >= TrackingJson.FlushBytes)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        json.WritePropertyName(options.PropertyNamingPolicy?.ConvertName(nameof(RetargetDocument.Frames)) ?? nameof(RetargetDocument.Frames));
        json.WriteStartArray();
        foreach (var frame in plan.Frames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            held += frame.Source == SourceState.Held ? 1 : 0;
            var outputFrame = OutputFrameOf(plan, frame);
            var start = Position();
            JsonSerializer.Serialize(json, outputFrame, options);
            index?.AddFrame(start, Position(), outputFrame);
            if (json.BytesPending >= TrackingJson.FlushBytes)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        header = Header(command, plan);
        Property(nameof(RetargetDocument.SourceNeutralFrame), header.SourceNeutralFrame);
        Property(nameof(RetargetDocument.TargetNeutralFrame), header.TargetNeutralFrame);
        Property(nameof(RetargetDocument.TargetRestingFrames), header.TargetRestingFrames);
        Property(nameof(RetargetDocument.TargetNeutralGaze), header.TargetNeutralGaze);
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
        index?.Complete(json.BytesCommitted, header);
        return held;
    }

    private static TrackedVideo OutputOf(TransferExpressions command, RetargetPlan plan)
    {
        var target = command.Target.Video;
        var rate = plan.OutputRate;
        // On the performer's clock (issue 15): each frame's time and the duration are the plan's (a variable-rate
        // performer's own frame times; else the target's constant rate).
        var duration = plan.DurationSeconds > 0 ? plan.DurationSeconds : TimingMap.OutputTime(plan.Frames.Count, rate);
        return new TrackedVideo(target.Width, target.Height, rate.ToString(), plan.Frames.Count, duration);
    }

    private static RetargetTargetFrame TargetFrameOf(RetargetPlan plan, int t) =>
        new(t, Name(plan.TargetStates[t]), plan.TargetTracked[t] is { } tracked ? Points(tracked) : null, plan.TargetPoseFree[t] is { } poseFree ? Points(poseFree, 4) : null,
            t < plan.TargetIrises.Count && plan.TargetIrises[t] is { } irises ? Points(irises) : null);

    private static RetargetOutputFrame OutputFrameOf(RetargetPlan plan, RetargetFrame f) => new(
        f.Index,
        Math.Round(f.Time, 6),
        Math.Round(f.SourcePosition, 4),
        f.TargetFrame,
        Name(f.Source),
        Name(f.Target),
        f.Pose is { } pose ? FaceSequenceBuilder.ToRecord(pose) : null,
        f.Transferred is { } transferred ? Points(ExpressionModel.Expression(transferred, plan.TargetNeutral), 4) : null,
        f.Destination is { } destination ? Points(destination) : null,
        f.Index < plan.GazeOffsets.Count && plan.GazeOffsets[f.Index] is { } gaze ? [(float)Math.Round(gaze.Across, 4), (float)Math.Round(gaze.Down, 4)] : null);

    private static float[][]? NeutralGazeOf(RetargetPlan plan) =>
        plan.TargetNeutralGaze is var (right, left) ? [[(float)right.Across, (float)right.Down], [(float)left.Across, (float)left.Down]] : null;

    private static TrackedVideo VideoOf(VideoInfo video) =>
        new(video.Width, video.Height, $"{video.FrameRateNumerator}/{video.FrameRateDenominator}", video.FrameCount, video.DurationSeconds);

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static float[][] Points(ReadOnlySpan<Vec3> points, int decimals)
    {
        var result = new float[points.Length][];
        for (var k = 0; k < points.Length; k++)
        {
            result[k] = [(float)Math.Round(points[k].X, decimals), (float)Math.Round(points[k].Y, decimals), (float)Math.Round(points[k].Z, decimals)];
        }

        return result;
    }

    private static float[][] Points(ReadOnlySpan<Point2> points)
    {
        var result = new float[points.Length][];
        for (var k = 0; k < points.Length; k++)
        {
            result[k] = [(float)Math.Round(points[k].X, 2), (float)Math.Round(points[k].Y, 2)];
        }

        return result;
    }
}
