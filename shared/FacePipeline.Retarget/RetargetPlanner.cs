using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>One tracked face on one frame of a clip.</summary>
/// <param name="Screen">468 landmarks as tracked: pixels of the upright frame and the mesh's relative depth.</param>
/// <param name="Pose">Head pose (canonical face → camera, cm).</param>
/// <param name="PoseFree">468 landmarks in the canonical, pose-free frame (cm).</param>
/// <param name="Irises">With the refined landmark model, the 10 iris points as tracked (pixels; the subject's right iris, centre first, then the left); null without.</param>
public sealed record ClipFace(Vec3[] Screen, FacePose Pose, Vec3[] PoseFree, Vec3[]? Irises = null);

/// <summary>A reconstructed clip as the planner needs it: one face per frame (null: none tracked).</summary>
/// <param name="Frames">Per frame, the followed face or null.</param>
/// <param name="Rate">The clip's exact frame rate.</param>
/// <param name="Width">Frame width, pixels.</param>
/// <param name="Height">Frame height, pixels.</param>
/// <param name="NeutralFrame">The frame showing the actor's neutral face; null: estimated (per-point median).</param>
/// <param name="Neutral">
/// The actor's pose-free neutral face itself (468 points, cm), when the caller already has it; it takes precedence over
/// <paramref name="NeutralFrame"/> (e.g. a transfer in blendshape space gives the source the target's neutral).
/// </param>
/// <param name="RestingFrames">Frames where the actor's face is at rest (<see cref="RestingFaceFinder"/>); the renderer takes the face's texture from the one nearest in head pose. Null: the neutral frame alone.</param>
/// <param name="Clock">
/// When each frame is shown (the extraction's timeline; one time per frame). Null, or times within a tenth of a frame of
/// the constant <paramref name="Rate"/>: a constant-rate clip, timed by index. Any other: a variable-frame-rate clip, timed
/// by these times (issue 15).
/// </param>
public sealed record RetargetClip(IReadOnlyList<ClipFace?> Frames, FrameRate Rate, int Width, int Height, int? NeutralFrame = null, Vec3[]? Neutral = null, IReadOnlyList<int>? RestingFrames = null, ClipClock? Clock = null)
{
    /// <summary>True when <see cref="Clock"/> says the frames are not at the constant <see cref="Rate"/> (a variable-frame-rate clip).</summary>
    public bool IsVariableRate => Clock is { } clock && !clock.IsConstantRate(Rate);

    /// <summary>The clip's frame times: <see cref="Clock"/>, else the constant rate from 0.</summary>
    public ClipClock ClockOrConstant => Clock ?? ClipClock.ConstantRate(Math.Max(1, Frames.Count), Rate);
}

/// <summary>Where a retarget's head pose comes from.</summary>
public enum PoseMode
{
    /// <summary>The target footage's own head motion.</summary>
    Target,

    /// <summary>The source's rotation relative to its average, applied on the target's average rotation.</summary>
    Source,
}

/// <summary>The studio's choices, as the planner takes them.</summary>
/// <param name="Controls">Intensity and per-region gains.</param>
/// <param name="Pose">Head pose from the target footage or the source.</param>
/// <param name="Timing">What a target shorter than the source does.</param>
/// <param name="MaxInterpolatedGap">Lost-face gaps up to this many seconds are interpolated; longer ones hold the neutral (source) or leave the footage as it is (target).</param>
/// <param name="NeutralRamp">Seconds over which a held neutral blends in and out at the edges of a long gap.</param>
public sealed record RetargetPlanOptions(
    TransferControls Controls,
    PoseMode Pose = PoseMode.Target,
    ShortTargetMode Timing = ShortTargetMode.PingPong,
    double MaxInterpolatedGap = 0.5,
    double NeutralRamp = 0.2)
{
    /// <summary>Full expression, the target's pose, ping-pong, 0.5 s gaps interpolated, 0.2 s neutral ramps.</summary>
    public static RetargetPlanOptions Default { get; } = new(TransferControls.Full);
}

/// <summary>How an output frame's source expression was obtained.</summary>
public enum SourceState
{
    /// <summary>The source's face was tracked on the frames around this time.</summary>
    Tracked,

    /// <summary>The source's face was lost briefly; the expression is interpolated across the gap.</summary>
    Interpolated,

    /// <summary>The source's face was lost for long: the target's neutral (ramped at the edges).</summary>
    Held,
}

/// <summary>How the target frame's face was obtained.</summary>
public enum TargetState
{
    /// <summary>Tracked on this frame.</summary>
    Tracked,

    /// <summary>Lost briefly; the mesh and pose are interpolated.</summary>
    Interpolated,

    /// <summary>Lost for long: the frame is shown as it is (no face to drive).</summary>
    Untracked,
}

/// <summary>One frame of the result.</summary>
/// <param name="Index">Output frame index.</param>
/// <param name="SourcePosition">Position on the source's frame axis (fractional: interpolated between frames): the source frame shown at this output frame's time.</param>
/// <param name="TargetFrame">The target footage's frame under this output frame.</param>
/// <param name="Source">How the source expression was obtained.</param>
/// <param name="Target">How the target frame's face was obtained.</param>
/// <param name="Transferred">The target's pose-free face carrying the source's expression (cm); null when <see cref="Target"/> is Untracked.</param>
/// <param name="Pose">The head pose the result shows; null when Untracked.</param>
/// <param name="Tracked">The target frame's tracked landmarks in pixels (x, y); null when Untracked.</param>
/// <param name="Destination">Where those landmarks go in the result (pixels); null when Untracked.</param>
public sealed record RetargetFrame(
    int Index,
    double SourcePosition,
    int TargetFrame,
    SourceState Source,
    TargetState Target,
    Vec3[]? Transferred,
    FacePose? Pose,
    Point2[]? Tracked,
    Point2[]? Destination)
{
    /// <summary>When this output frame is shown, in seconds from the result's start (the performer's first frame): on the performer's clock.</summary>
    public double Time { get; init; }
}

/// <summary>The whole retarget, frame by frame, with the two neutrals it was computed from.</summary>
/// <param name="SourceNeutral">The source's neutral face (pose-free, cm).</param>
/// <param name="TargetNeutral">The target's neutral face (pose-free, cm).</param>
/// <param name="OutputRate">The output's nominal frame rate: the target's (a constant-rate performer), or the performer's nominal rate when the output takes a variable-rate performer's own frame times.</param>
/// <param name="Frames">Every output frame, in order.</param>
public sealed record RetargetPlan(Vec3[] SourceNeutral, Vec3[] TargetNeutral, FrameRate OutputRate, IReadOnlyList<RetargetFrame> Frames)
{
    /// <summary>From the first output frame's start to the last one's end, in seconds: the performer's duration.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>True when the output frames are the variable-rate performer's own frames at its own times (not a constant rate).</summary>
    public bool VariableRate { get; init; }

    /// <summary>Target frames' pose-free faces (null where untracked), after short gaps were filled.</summary>
    public required IReadOnlyList<Vec3[]?> TargetPoseFree { get; init; }

    /// <summary>Target frames' tracked pixel landmarks (null where untracked), after short gaps were filled.</summary>
    public required IReadOnlyList<Point2[]?> TargetTracked { get; init; }

    /// <summary>How each target frame's face was obtained.</summary>
    public required IReadOnlyList<TargetState> TargetStates { get; init; }

    /// <summary>The source frame showing its neutral: the named one, else the tracked frame closest to the neutral used.</summary>
    public int SourceNeutralFrame { get; init; }

    /// <summary>The target frame showing its neutral: the named one, else the tracked frame closest to the neutral used.</summary>
    public int TargetNeutralFrame { get; init; }

    /// <summary>Target frames at rest (the face's texture comes from the one nearest in head pose); at least <see cref="TargetNeutralFrame"/>.</summary>
    public IReadOnlyList<int> TargetRestingFrames { get; init; } = [];

    /// <summary>Per output frame, the performer's gaze offset from its neutral gaze (<see cref="GazeTransfer"/>); null where either clip has no irises.</summary>
    public IReadOnlyList<EyeGaze?> GazeOffsets { get; init; } = [];

    /// <summary>Target frames' tracked iris points (10, pixels; null where untracked or tracked without irises).</summary>
    public IReadOnlyList<Point2[]?> TargetIrises { get; init; } = [];

    /// <summary>The actor's neutral gaze per eye (right, left), from its resting frames; null without irises.</summary>
    public (EyeGaze Right, EyeGaze Left)? TargetNeutralGaze { get; init; }
}

/// <summary>
/// Plans a retarget: which target frame and which (interpolated) source moment make each output
/// frame, the transferred pose-free face (deformation transfer, <see cref="DeformationTransfer"/>),
/// the head pose, and the destination mesh in the target frame's pixels:
/// <c>D = P_t + project(pose_out, X') − project(pose_t, C_t)</c>, where P_t are the target frame's
/// tracked landmarks, C_t its pose-free face and X' the transferred face. The difference form keeps
/// D exactly on the tracked landmarks when the transferred expression equals the target's own, so
/// camera-model error never shows as motion.
/// <para>
/// Timing (on the performer's clock, issue 15): a constant-rate source gives the source's duration at the target's
/// frame rate (<see cref="TimingMap.ResampledCount"/>), the source sampled at each output time by linear
/// interpolation between its frames; a variable-frame-rate source (<see cref="RetargetClip.Clock"/>) gives one output
/// frame per source frame at the source's own frame time. The target frame under each output frame is the one shown at
/// that time (<see cref="TimingMap.TargetFrameAt"/>; by index, <see cref="TimingMap.TargetFrame"/>, when both clips are
/// constant-rate, exactly as before): trimmed when longer and ping-ponged (or looped, or held) when shorter. Lost faces: gaps up to <see cref="RetargetPlanOptions.MaxInterpolatedGap"/>
/// are interpolated; longer source gaps hold the neutral expression, ramped over
/// <see cref="RetargetPlanOptions.NeutralRamp"/> at each edge so nothing pops; longer target gaps
/// leave the footage as it is.
/// </para>
/// </summary>
public sealed class RetargetPlanner(CanonicalFaceMesh mesh, PerspectiveCamera? camera = null)
{
    private readonly PerspectiveCamera _camera = camera ?? PerspectiveCamera.Default;

    /// <summary>Plans every output frame of retargeting <paramref name="source"/>'s expressions onto <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">A clip without any tracked face, or a neutral frame without one.</exception>
    public RetargetPlan Plan(RetargetClip source, RetargetClip target, RetargetPlanOptions options)
    {
        var plan = PlanLazily(source, target, options);
        return plan with
        {
            Frames = [.. plan.Frames],
            TargetPoseFree = [.. plan.TargetPoseFree],
            TargetTracked = [.. plan.TargetTracked],
            TargetStates = [.. plan.TargetStates],
            GazeOffsets = [.. plan.GazeOffsets],
            TargetIrises = [.. plan.TargetIrises],
        };
    }

    /// <summary>
    /// <see cref="Plan"/> without holding the result (issue 16: memory flat in length): the clip-wide steps (neutrals,
    /// gap states, mean rotations, timing, the neutral and resting frames, the gaze) run here on compact per-frame values,
    /// reading the clips' faces one at a time; the plan's per-frame lists (<see cref="RetargetPlan.Frames"/>, the target's
    /// faces, the gaze offsets) make each item when it is asked for, with the values <see cref="Plan"/> holds, from the
    /// clips (which must stay readable while the plan is used). Items are made again on each access: walk them once.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Plan"/>.</exception>
    public RetargetPlan PlanLazily(RetargetClip source, RetargetClip target, RetargetPlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var sourceNeutral = NeutralOf(source, "source");
        var targetNeutral = NeutralOf(target, "target");

        var sourceFaces = GapFilling.FillLazily(source.Frames, GapFrames(options.MaxInterpolatedGap, source.Rate), InterpolateFace, out var sourceStates);
        var targetFaces = GapFilling.FillLazily(target.Frames, GapFrames(options.MaxInterpolatedGap, target.Rate), InterpolateFace, out var targetStates);
        var sourcePoseFree = HoldNeutral(sourceFaces, sourceStates, sourceNeutral, GapFrames(options.NeutralRamp, source.Rate));

        var transfer = DeformationTransfer.ForCanonical(mesh, sourceNeutral, targetNeutral);
        var (sourceMean, targetMean) = (MeanRotation(sourceFaces), MeanRotation(targetFaces));
        var timing = OutputTiming(source, target, options.Timing);
        var outputCount = timing.Times.Length;
        var targetTracked = new LazyList<Point2[]?>(targetFaces.Count, t => targetFaces[t] is { } f ? ToPoints(f.Screen) : null, t => targetStates[t] != GapState.Long);

        (int Lower, int Upper, double Fraction, SourceState State) SourceAt(int i)
        {
            var position = timing.Positions[i];
            var (lower, fraction) = ((int)Math.Floor(position), position - Math.Floor(position));
            var upper = Math.Min(lower + 1, source.Frames.Count - 1);
            return (lower, upper, fraction, Worst(sourceStates[lower], fraction > 0 ? sourceStates[upper] : sourceStates[lower]));
        }

        RetargetFrame FrameAt(int i)
        {
            var position = timing.Positions[i];
            var (lower, upper, fraction, sourceState) = SourceAt(i);
            var t = timing.TargetFrames[i];
            if (targetFaces[t] is not { } targetFace)
            {
                return new RetargetFrame(i, position, t, sourceState, TargetState.Untracked, null, null, null, null) { Time = timing.Times[i] };
            }

            var sourceFace = Lerp(sourcePoseFree[lower], sourcePoseFree[upper], fraction);
            var transferred = transfer.Transfer(sourceFace, options.Controls);
            var pose = targetFace.Pose;
            if (options.Pose == PoseMode.Source && sourceFaces[lower] is { } s0 && sourceFaces[upper] is { } s1 && sourceMean is { } sm && targetMean is { } tm)
            {
                var sourceRotation = Slerp(s0.Pose.Rotation, s1.Pose.Rotation, fraction);
                pose = pose with { Rotation = sourceRotation * sm.Transpose() * tm };
            }

            var destination = Destination(targetFace, transferred, pose, target.Width, target.Height);
            return new RetargetFrame(i, position, t, sourceState, StateOf(targetStates[t]),
                transferred, pose, ToPoints(targetFace.Screen), destination) { Time = timing.Times[i] };
        }

        var targetNeutralFrame = NeutralFrameOf(target, targetNeutral);
        var targetResting = target.RestingFrames is { Count: > 0 } rest
            ? [.. rest.Where(f => f >= 0 && f < target.Frames.Count && target.Frames.HasFace(f)).Append(targetNeutralFrame).Distinct().Order()]
            : new[] { targetNeutralFrame };

        // The gaze: the performer's offset from its resting gaze, for the actor's eyes from theirs (clips with irises only).
        var sourceGaze = GazeTransfer.Of(source);
        var sourceResting = source.RestingFrames is { Count: > 0 } sourceRest ? sourceRest : [NeutralFrameOf(source, sourceNeutral)];
        var sourceNeutralGaze = GazeTransfer.Neutral(source, sourceResting, Eye.Right) is { } sr && GazeTransfer.Neutral(source, sourceResting, Eye.Left) is { } sl
            ? new EyeGaze((sr.Across + sl.Across) / 2, (sr.Down + sl.Down) / 2)
            : (EyeGaze?)null;
        (EyeGaze, EyeGaze)? targetNeutralGaze = GazeTransfer.Neutral(target, targetResting, Eye.Right) is { } tr && GazeTransfer.Neutral(target, targetResting, Eye.Left) is { } tl
            ? (tr, tl)
            : null;

        // A frame's gaze offset needs only its source state, position and whether its target frame has a face (a destination).
        var gazeOffsets = new LazyList<EyeGaze?>(outputCount, i => sourceNeutralGaze is { } n && targetNeutralGaze is not null
            && SourceAt(i).State != SourceState.Held && targetStates[timing.TargetFrames[i]] != GapState.Long
            ? GazeTransfer.OffsetAt(sourceGaze, n, timing.Positions[i])
            : null);

        return new RetargetPlan(sourceNeutral, targetNeutral, timing.Rate, new LazyList<RetargetFrame>(outputCount, FrameAt))
        {
            DurationSeconds = timing.Duration,
            VariableRate = timing.Variable,
            GazeOffsets = gazeOffsets,
            TargetIrises = new LazyList<Point2[]?>(targetFaces.Count, t => targetFaces[t]?.Irises is { } irises ? ToPoints(irises) : null),
            TargetNeutralGaze = targetNeutralGaze,
            TargetPoseFree = new LazyList<Vec3[]?>(targetFaces.Count, t => targetFaces[t]?.PoseFree, t => targetStates[t] != GapState.Long),
            TargetTracked = targetTracked,
            TargetStates = [.. targetStates.Select(StateOf)],
            SourceNeutralFrame = NeutralFrameOf(source, sourceNeutral),
            TargetNeutralFrame = targetNeutralFrame,
            TargetRestingFrames = targetResting,
        };
    }

    /// <summary>
    /// The output's frames on the performer's clock (issue 15): per output frame its time from the result's start, its
    /// position on the source's frame axis (the source frame shown then, fractional between two frames) and the target
    /// frame shown then.
    /// <list type="bullet">
    /// <item>A constant-rate source (no clock, or its times within a tenth of a frame of its rate): the source's duration at
    /// the target's rate, frame i at i / r_t, position i · r_s / r_t (as before issue 15).</item>
    /// <item>A variable-rate source: its own frames at its own times (t_k − t_0), position k, the output lasting as long as
    /// the source (its last frame until the video stream's end); no frame dropped or repeated to reach a constant rate.</item>
    /// </list>
    /// The target frame: by index (<see cref="TimingMap.TargetFrame"/>) when both clips are constant-rate, so such jobs give
    /// exactly what they gave before; else by time on the target's clock (<see cref="TimingMap.TargetFrameAt"/>).
    /// </summary>
    public static (double[] Times, double[] Positions, int[] TargetFrames, FrameRate Rate, double Duration, bool Variable) OutputTiming(
        RetargetClip source, RetargetClip target, ShortTargetMode mode)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.Frames.Count == 0 || target.Frames.Count == 0)
        {
            throw new RetargetInputException($"The {(source.Frames.Count == 0 ? "source" : "target")} clip has no frames.");
        }

        if ((source.Clock is { } sc && sc.Count != source.Frames.Count) || (target.Clock is { } tc && tc.Count != target.Frames.Count))
        {
            throw new ArgumentException("A clip's clock must have one time per frame.");
        }

        double[] times, positions;
        FrameRate rate;
        double duration;
        var variable = source.IsVariableRate;
        if (variable)
        {
            var clock = source.Clock!;
            times = [.. Enumerable.Range(0, clock.Count).Select(clock.Offset)];
            positions = [.. Enumerable.Range(0, clock.Count).Select(k => (double)k)];
            rate = source.Rate;
            duration = clock.Duration(source.Rate);
        }
        else
        {
            var count = TimingMap.ResampledCount(source.Frames.Count, source.Rate, target.Rate);
            times = [.. Enumerable.Range(0, count).Select(i => TimingMap.OutputTime(i, target.Rate))];
            positions = [.. Enumerable.Range(0, count).Select(i => Math.Min(TimingMap.SourcePosition(i, source.Rate, target.Rate), source.Frames.Count - 1))];
            rate = target.Rate;
            duration = TimingMap.OutputTime(count, target.Rate);
        }

        var byTime = variable || target.IsVariableRate;
        var targetClock = target.ClockOrConstant;
        var targetFrames = byTime
            ? times.Select(t => TimingMap.TargetFrameAt(t, targetClock, target.Rate, mode)).ToArray()
            : TimingMap.TargetFrames(times.Length, target.Frames.Count, mode);
        return (times, positions, targetFrames, rate, duration, variable);
    }

    /// <summary>The destination mesh: the tracked landmarks moved by the projected change from the target's own face to the transferred one.</summary>
    public Point2[] Destination(ClipFace target, ReadOnlySpan<Vec3> transferred, FacePose pose, int width, int height)
    {
        var wanted = Project(transferred, pose, width, height);
        var own = Project(target.PoseFree, target.Pose, width, height);
        var result = new Point2[target.Screen.Length];
        for (var k = 0; k < result.Length; k++)
        {
            result[k] = new Point2(target.Screen[k].X + wanted[k].X - own[k].X, target.Screen[k].Y + wanted[k].Y - own[k].Y);
        }

        return result;
    }

    private Vec3[] Project(ReadOnlySpan<Vec3> poseFree, FacePose pose, int width, int height)
    {
        var metric = new Vec3[poseFree.Length];
        for (var k = 0; k < metric.Length; k++)
        {
            metric[k] = pose.Apply(poseFree[k]);
        }

        return _camera.ProjectToScreen(metric, width, height);
    }

    /// <summary>
    /// The neutral face the planner uses for a clip: <see cref="RetargetClip.Neutral"/> when given, else the frame
    /// <see cref="RetargetClip.NeutralFrame"/>, else the per-point median over its tracked frames.
    /// </summary>
    /// <param name="clip">The clip.</param>
    /// <param name="role">"source" or "target", for the messages.</param>
    /// <exception cref="RetargetInputException">The clip has no tracked face, or its neutral frame has none.</exception>
    public static Vec3[] NeutralOf(RetargetClip clip, string role)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var frames = clip.Frames;
        var tracked = Enumerable.Range(0, frames.Count).Where(frames.HasFace).ToArray(); // the faces themselves are read one at a time
        if (tracked.Length == 0)
        {
            throw new RetargetInputException($"The {role} clip has no tracked face.");
        }

        var points = frames[tracked[0]]!.PoseFree.Length;
        if (clip.Neutral is { } given)
        {
            if (given.Length != points)
            {
                throw new ArgumentException($"The {role}'s neutral has {given.Length} points; its frames have {points}.");
            }

            return (Vec3[])given.Clone();
        }

        if (clip.NeutralFrame is { } n)
        {
            if (n < 0 || n >= frames.Count || !frames.HasFace(n))
            {
                throw new RetargetInputException($"The {role}'s neutral frame {n} has no tracked face (the clip has {frames.Count} frames).");
            }

            return (Vec3[])frames[n]!.PoseFree.Clone();
        }

        // The per-point median over every tracked frame (NeutralEstimator.Estimate), the faces replayed rather than held.
        return PointMedian.Estimate(tracked.Length, points, visit =>
        {
            foreach (var f in tracked)
            {
                visit(frames[f]!.PoseFree);
            }
        });
    }

    /// <summary>The clip's neutral frame: <see cref="RetargetClip.NeutralFrame"/> when it has a face, else the tracked frame closest to <paramref name="neutral"/>.</summary>
    public static int NeutralFrameOf(RetargetClip clip, Vec3[] neutral)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(neutral);
        if (clip.NeutralFrame is { } n && n >= 0 && n < clip.Frames.Count && clip.Frames.HasFace(n))
        {
            return n;
        }

        var tracked = Enumerable.Range(0, clip.Frames.Count).Where(clip.Frames.HasFace).ToArray();
        return tracked[RestingFaceFinder.ClosestFrame(LazyList<Vec3[]?>.PoseFree(clip.Frames), tracked, neutral)];
    }

    private static int GapFrames(double seconds, FrameRate rate) => Math.Max(0, (int)Math.Round(seconds * rate.FramesPerSecond));

    /// <summary>
    /// Pose-free source faces with every long gap replaced by the neutral, blended with the nearest tracked face over
    /// <paramref name="ramp"/> frames; made per frame when asked for (the nearest faces found from the gap states alone).
    /// </summary>
    private static IReadOnlyList<Vec3[]> HoldNeutral(IReadOnlyList<ClipFace?> faces, GapState[] states, Vec3[] neutral, int ramp)
    {
        // Per frame, the nearest frame with a (filled) face at or before it, and at or after it (-1 / Count: none).
        var count = faces.Count;
        var before = new int[count];
        var after = new int[count];
        for (int f = 0, last = -1; f < count; f++)
        {
            last = states[f] != GapState.Long ? f : last;
            before[f] = last;
        }

        for (int f = count - 1, next = count; f >= 0; f--)
        {
            next = states[f] != GapState.Long ? f : next;
            after[f] = next;
        }

        return new LazyList<Vec3[]>(count, f =>
        {
            if (states[f] != GapState.Long)
            {
                return faces[f]!.PoseFree;
            }

            var (b, a) = (before[f], after[f]);
            var (distance, nearest) = (b >= 0 ? f - b : int.MaxValue, a < count ? a - f : int.MaxValue) switch
            {
                var (db, da) when db <= da && db != int.MaxValue => (db, faces[b]!.PoseFree),
                var (_, da) when da != int.MaxValue => (da, faces[a]!.PoseFree),
                _ => (int.MaxValue, neutral),
            };
            var keep = ramp <= 0 || distance == int.MaxValue ? 0 : Math.Max(0, 1 - ((double)distance / (ramp + 1)));
            return Lerp(neutral, nearest, keep);
        });
    }

    private static ClipFace InterpolateFace(ClipFace a, ClipFace b, double fraction) => new(
        Lerp(a.Screen, b.Screen, fraction),
        new FacePose(Slerp(a.Pose.Rotation, b.Pose.Rotation, fraction), a.Pose.Translation + ((b.Pose.Translation - a.Pose.Translation) * fraction), a.Pose.Scale + ((b.Pose.Scale - a.Pose.Scale) * fraction)),
        Lerp(a.PoseFree, b.PoseFree, fraction),
        a.Irises is { } ai && b.Irises is { } bi ? Lerp(ai, bi, fraction) : null);

    private static Vec3[] Lerp(Vec3[] a, Vec3[] b, double fraction)
    {
        if (fraction <= 0 || ReferenceEquals(a, b))
        {
            return a;
        }

        var result = new Vec3[a.Length];
        for (var k = 0; k < a.Length; k++)
        {
            result[k] = a[k] + ((b[k] - a[k]) * fraction);
        }

        return result;
    }

    /// <summary>Normalised quaternion interpolation (short way round), exact at both ends.</summary>
    public static Matrix3 Slerp(Matrix3 a, Matrix3 b, double fraction)
    {
        if (fraction <= 0)
        {
            return a;
        }

        var (qa, qb) = (QuaternionD.FromMatrix(a), QuaternionD.FromMatrix(b));
        var sign = QuaternionD.Dot(qa, qb) < 0 ? -1 : 1;
        var q = new QuaternionD(
            qa.W + (((sign * qb.W) - qa.W) * fraction),
            qa.X + (((sign * qb.X) - qa.X) * fraction),
            qa.Y + (((sign * qb.Y) - qa.Y) * fraction),
            qa.Z + (((sign * qb.Z) - qa.Z) * fraction));
        return q.Normalized().ToMatrix();
    }

    /// <summary>The average head rotation of a clip (sign-aligned quaternion mean), or null with no face.</summary>
    public static Matrix3? MeanRotation(IReadOnlyList<ClipFace?> faces)
    {
        QuaternionD? first = null;
        double w = 0, x = 0, y = 0, z = 0;
        foreach (var face in faces)
        {
            if (face is null)
            {
                continue;
            }

            var q = QuaternionD.FromMatrix(face.Pose.Rotation);
            first ??= q;
            var sign = QuaternionD.Dot(first.Value, q) < 0 ? -1 : 1;
            (w, x, y, z) = (w + (sign * q.W), x + (sign * q.X), y + (sign * q.Y), z + (sign * q.Z));
        }

        return first is null ? null : new QuaternionD(w, x, y, z).Normalized().ToMatrix();
    }

    private static Point2[] ToPoints(Vec3[] screen)
    {
        var points = new Point2[screen.Length];
        for (var k = 0; k < points.Length; k++)
        {
            points[k] = new Point2(screen[k].X, screen[k].Y);
        }

        return points;
    }

    private static TargetState StateOf(GapState state) => state switch
    {
        GapState.Known => TargetState.Tracked,
        GapState.Interpolated => TargetState.Interpolated,
        _ => TargetState.Untracked,
    };

    private static SourceState Worst(GapState a, GapState b) => (a, b) switch
    {
        (GapState.Long, _) or (_, GapState.Long) => SourceState.Held,
        (GapState.Interpolated, _) or (_, GapState.Interpolated) => SourceState.Interpolated,
        _ => SourceState.Tracked,
    };
}
