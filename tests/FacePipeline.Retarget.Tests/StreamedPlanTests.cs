using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

/// <summary>
/// The planner over clips that are not held in memory (issue 16): a plan whose per-frame lists are made as they are read,
/// clips whose faces are kept on disk, the resting face and the face bases found from compact per-frame values; each
/// gives to the bit what the whole-clip, in-memory version gives.
/// </summary>
public sealed class StreamedPlanTests
{
    private const int Width = 1280;
    private const int Height = 720;
    private static readonly FrameRate Pal = new(25);

    /// <summary>A talking, turning face with irises, as the records hold it (screen points are floats), lost on the frames <paramref name="lost"/> says.</summary>
    private static RetargetClip Clip(int frames, double phase, Func<int, bool> lost, FrameRate rate)
    {
        var geometry = new MetricLandmarks(TestMesh.Canonical);
        var faces = Enumerable.Range(0, frames).Select(f =>
        {
            if (lost(f))
            {
                return null;
            }

            var poseFree = TestMesh.MouthOpen(TestMesh.Neutral, 0.5 + (0.5 * Math.Sin((f * 0.3) + phase)));
            var pose = new FacePose(new EulerAngles(10 * Math.Sin(f * 0.05), 5, 0).ToMatrix(), new Vec3(1, -2, -60), 1);
            var screen = PerspectiveCamera.Default.ProjectToScreen(poseFree.Select(pose.Apply).ToArray(), Width, Height)
                .Select(p => new Vec3((float)p.X, (float)p.Y, (float)p.Z)).ToArray();
            var estimate = geometry.Estimate(screen, Width, Height);
            var (r, l) = (Mid(screen[33], screen[133]), Mid(screen[362], screen[263]));
            var shift = (float)Math.Sin(f * 0.2);
            Vec3[] irises = [.. Enumerable.Repeat(new Vec3((float)(r.X + shift), (float)r.Y, 0f), 5), .. Enumerable.Repeat(new Vec3((float)(l.X + shift), (float)l.Y, 0f), 5)];
            return (ClipFace?)new ClipFace(screen, estimate.Pose, estimate.PoseFreeLandmarks, irises);
        }).ToList();
        return new RetargetClip(faces, rate, Width, Height);

        static Vec3 Mid(Vec3 a, Vec3 b) => new((float)((a.X + b.X) / 2), (float)((a.Y + b.Y) / 2), 0f);
    }

    private static RetargetClip Rested(RetargetClip clip)
    {
        var rest = RestingFaceFinder.Find([.. clip.Frames.Select(f => f?.PoseFree)]);
        return clip with { Neutral = rest.Neutral, NeutralFrame = rest.Frame, RestingFrames = rest.RestingFrames };
    }

    private static void AssertSamePlan(RetargetPlan expected, RetargetPlan actual)
    {
        Assert.Equal(expected.SourceNeutral, actual.SourceNeutral);
        Assert.Equal(expected.TargetNeutral, actual.TargetNeutral);
        Assert.Equal(expected.OutputRate, actual.OutputRate);
        Assert.Equal(expected.DurationSeconds, actual.DurationSeconds);
        Assert.Equal((expected.SourceNeutralFrame, expected.TargetNeutralFrame), (actual.SourceNeutralFrame, actual.TargetNeutralFrame));
        Assert.Equal(expected.TargetRestingFrames, actual.TargetRestingFrames);
        Assert.Equal(expected.TargetNeutralGaze, actual.TargetNeutralGaze);
        Assert.Equal(expected.TargetStates, actual.TargetStates);
        Assert.Equal(expected.TargetPoseFree, actual.TargetPoseFree);
        Assert.Equal(expected.TargetTracked, actual.TargetTracked);
        Assert.Equal(expected.TargetIrises, actual.TargetIrises);
        Assert.Equal(expected.GazeOffsets, actual.GazeOffsets);
        Assert.Equal(expected.Frames.Count, actual.Frames.Count);
        var i = 0;
        foreach (var frame in actual.Frames)
        {
            var want = expected.Frames[i++];
            Assert.Equal((want.Index, want.SourcePosition, want.TargetFrame, want.Source, want.Target, want.Time), (frame.Index, frame.SourcePosition, frame.TargetFrame, frame.Source, frame.Target, frame.Time));
            Assert.Equal(want.Transferred, frame.Transferred);
            Assert.Equal(want.Pose, frame.Pose);
            Assert.Equal(want.Tracked, frame.Tracked);
            Assert.Equal(want.Destination, frame.Destination);
        }
    }

    [Fact]
    public void A_plan_made_frame_by_frame_from_clips_kept_on_disk_equals_the_plan_held_in_memory()
    {
        // Short and long losses in both clips, a target shorter than the source (ping-pong), the resting neutrals.
        var source = Rested(Clip(160, 0, f => f is 7 or 8 || f is >= 60 and < 100 || f >= 150, Pal));
        var target = Rested(Clip(70, 1, f => f is 20 or 21 or 22 || f is >= 40 and < 60, Pal));
        var planner = new RetargetPlanner(TestMesh.Canonical);
        foreach (var options in new[] { RetargetPlanOptions.Default, RetargetPlanOptions.Default with { Pose = PoseMode.Source } })
        {
            var held = planner.Plan(source, target, options);

            using var sourceFaces = SpilledClipFaces.Write(source.Frames);
            using var targetFaces = SpilledClipFaces.Write(target.Frames);
            var streamed = planner.PlanLazily(source with { Frames = sourceFaces }, target with { Frames = targetFaces }, options);

            Assert.Contains(held.Frames, f => f.Source == SourceState.Held);
            Assert.Contains(held.Frames, f => f.Target == TargetState.Untracked);
            Assert.Contains(held.GazeOffsets, g => g is not null);
            AssertSamePlan(held, streamed);
            AssertSamePlan(held, planner.PlanLazily(source, target, options)); // lazily over the clips in memory, too
        }
    }

    [Fact]
    public void The_neutrals_estimated_over_clips_kept_on_disk_equal_the_per_point_medians_in_memory()
    {
        var clip = Clip(90, 0.5, f => f % 17 == 3, Pal);
        using var faces = SpilledClipFaces.Write(clip.Frames);

        var expected = NeutralEstimator.Estimate([.. clip.Frames.OfType<ClipFace>().Select(f => f.PoseFree)]);

        Assert.Equal(expected, RetargetPlanner.NeutralOf(clip with { Frames = faces }, "source"));
        Assert.Equal(RetargetPlanner.NeutralFrameOf(clip, expected), RetargetPlanner.NeutralFrameOf(clip with { Frames = faces }, expected));
        var rest = RestingFaceFinder.Find(LazyList<Vec3[]?>.PoseFree(faces));
        Assert.Equal(NeutralEstimator.Estimate([.. rest.RestingFrames.Select(f => clip.Frames[f]!.PoseFree)]), rest.Neutral);
        var inMemory = RestingFaceFinder.Find([.. clip.Frames.Select(f => f?.PoseFree)]);
        Assert.Equal(inMemory.Frame, rest.Frame);
        Assert.Equal(inMemory.RestingFrames, rest.RestingFrames);
        Assert.Equal(inMemory.Score, rest.Score);
        Assert.Equal(inMemory.Neutral, rest.Neutral);
    }

    [Fact]
    public void Faces_kept_on_disk_read_back_exactly_and_tell_where_there_is_none_without_reading()
    {
        var clip = Clip(12, 0, f => f is 3 or 4, Pal);

        using var faces = SpilledClipFaces.Write(clip.Frames);

        Assert.Equal(12, faces.Count);
        Assert.Equal(10, faces.FaceCount);
        Assert.False(faces.HasFace(3));
        Assert.Null(faces[4]);
        for (var f = 11; f >= 0; f--)
        {
            if (clip.Frames[f] is not { } want)
            {
                continue;
            }

            var face = faces[f]!;
            Assert.Equal(want.Screen, face.Screen);
            Assert.Equal(want.PoseFree, face.PoseFree);
            Assert.Equal(want.Pose, face.Pose);
            Assert.Equal(want.Irises, face.Irises);
        }

        Assert.Throws<ArgumentException>(() => SpilledClipFaces.Write([clip.Frames[0]! with { Screen = [.. clip.Frames[0]!.Screen.Select(p => p + new Vec3(1e-9, 0, 0))] }]));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_face_base_chosen_from_the_rigid_points_alone_is_the_one_the_whole_meshes_give()
    {
        var random = new Random(5);
        Point2[] Mesh() => [.. Enumerable.Range(0, 468).Select(k => new Point2(300 + (k % 30 * 3) + random.NextDouble(), 200 + (k / 30 * 4) + random.NextDouble()))];
        var tracked = Enumerable.Range(0, 40).Select(f => f % 9 == 4 ? null : Mesh()).ToList();
        int[] resting = [0, 3, 5, 11, 17, 22, 30, 39];
        var chooser = new FaceBaseChooser(tracked, resting);

        for (var f = 0; f < tracked.Count; f++)
        {
            if (tracked[f] is { } mesh)
            {
                var expected = resting.Where(r => tracked[r] is not null).MinBy(r => FaceBaseChooser.Mismatch(tracked[r]!, mesh));
                Assert.Equal(expected, chooser.Choose(f));
            }
        }
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Lazy_gap_filling_gives_the_values_and_states_of_the_filled_copy()
    {
        string?[] frames = ["a", null, null, "b", null, null, null, null, "c", null, "d", null];
        static string Mix(string a, string b, double t) => $"{a}{b}{t:F3}";

        var filled = GapFilling.Fill(frames, 2, Mix, out var states);
        var lazy = GapFilling.FillLazily(frames, 2, Mix, out var lazyStates);

        Assert.Equal(states, lazyStates);
        Assert.Equal(filled, lazy);
    }
}
