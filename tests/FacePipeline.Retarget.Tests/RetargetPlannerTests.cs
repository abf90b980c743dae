using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

public sealed class RetargetPlannerTests
{
    private const int Width = 1280;
    private const int Height = 720;
    private static readonly FrameRate Ntsc = new(30000, 1001);
    private static readonly FrameRate Pal = new(25);

    /// <summary>A face 60 cm in front of the camera, turned by <paramref name="yawDegrees"/>, as the tracker would see it.</summary>
    private static ClipFace Face(Vec3[] poseFree, double yawDegrees = 0)
    {
        var pose = new FacePose(new EulerAngles(yawDegrees, 5, 0).ToMatrix(), new Vec3(1, -2, -60), 1);
        var metric = poseFree.Select(pose.Apply).ToArray();
        return new ClipFace(PerspectiveCamera.Default.ProjectToScreen(metric, Width, Height), pose, poseFree);
    }

    /// <summary>A clip whose mouth opens and closes, with a slow head turn.</summary>
    private static RetargetClip Talking(int frames, FrameRate rate, Func<int, bool>? lost = null) => new(
        [.. Enumerable.Range(0, frames).Select(f => lost?.Invoke(f) == true
            ? null
            : Face(TestMesh.MouthOpen(TestMesh.Neutral, 0.5 + (0.5 * Math.Sin(f * 0.3))), yawDegrees: 10 * Math.Sin(f * 0.05)))],
        rate,
        Width,
        Height);

    private static double MaxDistance(IReadOnlyList<Point2> a, IReadOnlyList<Point2> b) =>
        a.Zip(b, (p, q) => Math.Sqrt(((p.X - q.X) * (p.X - q.X)) + ((p.Y - q.Y) * (p.Y - q.Y)))).Max();

    [Fact]
    public void Retargeting_a_clip_onto_itself_leaves_every_landmark_where_it_was_tracked()
    {
        var clip = Talking(40, Pal);

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(clip, clip, RetargetPlanOptions.Default);

        Assert.Equal(40, plan.Frames.Count);
        foreach (var frame in plan.Frames)
        {
            Assert.Equal(frame.Index, frame.TargetFrame);
            Assert.Equal(SourceState.Tracked, frame.Source);
            Assert.True(MaxDistance(frame.Destination!, frame.Tracked!) < 1e-3, $"frame {frame.Index}: {MaxDistance(frame.Destination!, frame.Tracked!)} px");
        }
    }

    [Fact]
    public void The_output_has_the_sources_duration_at_the_targets_rate_and_ping_pongs_a_short_target()
    {
        var source = Talking(115, Ntsc);
        var target = Talking(75, Pal);

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default);

        // 115 frames at 29.97 = 3.837 s; at 25 fps that is 95.9 frames, so 96.
        Assert.Equal(96, plan.Frames.Count);
        Assert.Equal(Pal, plan.OutputRate);
        Assert.Equal(74, plan.Frames[74].TargetFrame);
        Assert.Equal(73, plan.Frames[75].TargetFrame);
        Assert.Equal(1.1988, plan.Frames[1].SourcePosition, 4);
        Assert.All(plan.Frames, f => Assert.InRange(f.SourcePosition, 0, 114));
    }

    [Fact]
    public void A_short_loss_of_the_source_is_interpolated_and_a_long_one_holds_the_neutral_without_a_pop()
    {
        var source = Talking(120, Pal, lost: f => f is 10 or 11 or 12 || f is >= 40 and < 90);
        var target = Talking(120, Pal);

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default);

        Assert.Equal(SourceState.Interpolated, plan.Frames[11].Source);
        Assert.Equal(SourceState.Held, plan.Frames[65].Source);
        Assert.Equal(SourceState.Tracked, plan.Frames[95].Source);

        // In the middle of the long gap the target shows its own neutral.
        var held = ExpressionModel.Expression(plan.Frames[65].Transferred!, plan.TargetNeutral);
        Assert.True(held.Max(d => d.Length) < 1e-6);

        // No frame-to-frame jump larger than the performance's own largest step: the neutral ramps in and out.
        var steps = plan.Frames.Zip(plan.Frames.Skip(1), (a, b) => a.Transferred!.Zip(b.Transferred!, (p, q) => (p - q).Length).Max()).ToList();
        var tracked = plan.Frames.Zip(plan.Frames.Skip(1), (a, b) => a.Source == SourceState.Tracked && b.Source == SourceState.Tracked)
            .Select((both, i) => both ? steps[i] : 0).Max();
        Assert.True(steps.Max() <= tracked * 1.01, $"largest step {steps.Max():F3} cm, largest tracked step {tracked:F3} cm");
    }

    [Fact]
    public void A_long_loss_of_the_target_leaves_the_footage_as_it_is()
    {
        var source = Talking(60, Pal);
        var target = Talking(60, Pal, lost: f => f is >= 20 and < 50);

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default);

        Assert.Equal(TargetState.Untracked, plan.Frames[30].Target);
        Assert.Null(plan.Frames[30].Destination);
        Assert.Equal(TargetState.Tracked, plan.Frames[55].Target);
        Assert.NotNull(plan.Frames[55].Destination);
    }

    [Fact]
    public void With_the_source_pose_the_head_turns_as_the_source_turns_relative_to_its_average()
    {
        var neutral = TestMesh.Neutral;
        var source = new RetargetClip([Face(neutral, -10), Face(neutral, 10)], Pal, Width, Height);
        var target = new RetargetClip([Face(neutral, 30), Face(neutral, 30)], Pal, Width, Height);

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default with { Pose = PoseMode.Source });

        Assert.Equal(20, plan.Frames[0].Pose!.Value.Angles.YawDegrees, 1);
        Assert.Equal(40, plan.Frames[1].Pose!.Value.Angles.YawDegrees, 1);
        var targetPose = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default);
        Assert.Equal(30, targetPose.Frames[0].Pose!.Value.Angles.YawDegrees, 6);
    }

    [Fact]
    public void A_neutral_frame_without_a_face_is_refused_with_the_clip_named()
    {
        var clip = Talking(10, Pal, lost: f => f == 3) with { NeutralFrame = 3 };

        var error = Assert.Throws<RetargetInputException>(() => new RetargetPlanner(TestMesh.Canonical).Plan(clip, Talking(10, Pal), RetargetPlanOptions.Default));
        Assert.Contains("source's neutral frame 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_given_neutral_face_is_used_and_faces_already_on_the_targets_neutral_pass_through()
    {
        // What a transfer in blendshape space hands the planner: source faces already built on the target's neutral,
        // and that neutral as the source's.
        var targetNeutral = TestMesh.Neutral.Select(p => p * 1.1).ToArray();
        var faces = Enumerable.Range(0, 12).Select(f => TestMesh.MouthOpen(targetNeutral, 0.5 + (0.5 * Math.Sin(f * 0.5)))).ToArray();
        var source = new RetargetClip([.. faces.Select(f => Face(f))], Pal, Width, Height, NeutralFrame: 4, Neutral: targetNeutral);
        var target = Talking(12, Pal) with { Neutral = targetNeutral };

        var plan = new RetargetPlanner(TestMesh.Canonical).Plan(source, target, RetargetPlanOptions.Default);

        Assert.Equal(targetNeutral, plan.SourceNeutral);
        Assert.Equal(targetNeutral, plan.TargetNeutral);
        foreach (var frame in plan.Frames)
        {
            var error = frame.Transferred!.Zip(faces[frame.Index], (a, b) => (a - b).Length).Max();
            Assert.True(error < 1e-6, $"frame {frame.Index}: {error} cm");
        }

        Assert.Throws<ArgumentException>(() => RetargetPlanner.NeutralOf(source with { Neutral = [.. targetNeutral.Take(10)] }, "source"));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Gap_filling_interpolates_short_gaps_only_between_known_frames()
    {
        double[]?[] frames = [null, [0], null, null, [3], null, null, null, null, [8], null];

        var filled = GapFilling.Fill(frames, 2, (a, b, t) => [a[0] + ((b[0] - a[0]) * t)], out var states);

        Assert.Equal([GapState.Long, GapState.Known, GapState.Interpolated, GapState.Interpolated, GapState.Known, GapState.Long, GapState.Long, GapState.Long, GapState.Long, GapState.Known, GapState.Long], states);
        Assert.Equal(1, filled[2]![0], 12);
        Assert.Equal(2, filled[3]![0], 12);
        Assert.Null(filled[6]);
        Assert.Null(filled[0]);
    }
}
