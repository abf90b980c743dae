using System.Diagnostics.CodeAnalysis;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>The transfer stage's choice of transfer space, on synthetic clips (no broker, no footage) and a stand-in blendshape transfer.</summary>
public sealed class ExpressionTransferStageTests : IDisposable
{
    private const int Width = 640;
    private const int Height = 480;
    private static readonly FrameRate Pal = new(25);
    private readonly MediaStore _store = new(RepoPaths.NewScratchFolder("transfer-stage"));
    private readonly CanonicalFaceMesh _mesh = CanonicalFaceMesh.Load(new ModelPaths(RepoPaths.Models).FaceGeometry);

    public void Dispose() => Directory.Delete(_store.Root, recursive: true);

    [Fact]
    public void In_blendshape_space_the_planner_shows_the_transferred_faces_with_intensity_gaps_and_the_targets_footage()
    {
        var source = Clip(12, scale: 0.9, lost: 5) with { NeutralFrame = 2 };
        var target = Clip(12, scale: 1.1);
        var transfer = new StandIn(accept: true);
        var stage = new ExpressionTransferStage(_store, _mesh, transfer);

        var plan = stage.Plan(source, target, RetargetSettings.Default with { Space = TransferSpace.Blendshapes });

        // The stand-in was handed both clips' pose-free faces, the studio's neutral frame of the source, and the target's
        // resting frame (none was named for it).
        var call = Assert.Single(transfer.Calls);
        var targetRest = ExpressionTransferStage.WithNeutral(target, NeutralMode.Resting).NeutralFrame;
        Assert.NotNull(targetRest);
        Assert.Equal((12, 12, (int?)2, targetRest), (call.Source.Count, call.Target.Count, call.SourceNeutralFrame, call.TargetNeutralFrame));
        Assert.Null(call.Source[5]);
        Assert.Same(source.Frames[3]!.PoseFree, call.Source[3]);

        // Its faces come out of the planner as they went in (deformation transfer between one neutral and itself),
        // the short source gap interpolated, on the target's neutral.
        Assert.Equal(transfer.Neutral, plan.SourceNeutral);
        Assert.Equal(transfer.Neutral, plan.TargetNeutral);
        Assert.Equal(12, plan.Frames.Count);
        foreach (var frame in plan.Frames)
        {
            var expected = frame.Index == 5 ? Lerp(transfer.Faces[4]!, transfer.Faces[6]!, 0.5) : transfer.Faces[frame.Index]!;
            Assert.True(MaxDistance(frame.Transferred!, expected) < 1e-6, $"frame {frame.Index}: {MaxDistance(frame.Transferred!, expected)} cm");
            Assert.Equal(frame.Index == 5 ? SourceState.Interpolated : SourceState.Tracked, frame.Source);
            Assert.Equal(target.Frames[frame.Index]!.Pose, frame.Pose); // the target's own head motion
        }

        // Intensity scales the transferred expression as it does a mesh transfer's.
        var half = stage.Plan(source, target, RetargetSettings.Default with { Space = TransferSpace.Blendshapes, Intensity = 0.5 });
        var full = transfer.Faces[8]!;
        var halfway = Lerp(transfer.Neutral, full, 0.5);
        Assert.True(MaxDistance(half.Frames[8].Transferred!, halfway) < 1e-6);
    }

    [Fact]
    public void Without_the_model_a_blendshape_space_job_fails_as_the_servers_fault_and_a_mesh_job_does_not_need_it()
    {
        var source = Clip(6, scale: 0.9);
        var target = Clip(6, scale: 1.1);
        var blendshapes = RetargetSettings.Default with { Space = TransferSpace.Blendshapes };

        var noProvider = Assert.Throws<ServerFaultException>(() => new ExpressionTransferStage(_store, _mesh).Plan(source, target, blendshapes));
        Assert.Equal(ExpressionTransferStage.BlendshapeModelMissing, noProvider.Message);
        Assert.Equal(
            "transfer in blendshape space needs the ICT-FaceKit model (scripts/unpack-ict.sh); the default mesh transfer does not",
            noProvider.Message);
        var declined = Assert.Throws<ServerFaultException>(() => new ExpressionTransferStage(_store, _mesh, new StandIn(accept: false)).Plan(source, target, blendshapes));
        Assert.Equal(ExpressionTransferStage.BlendshapeModelMissing, declined.Message);

        // The command fails before any record is read (these clips have no chunks at all).
        var video = new VideoInfo(Width, Height, 25, 1, 6, 0.24, false);
        var command = new TransferExpressions(Guid.NewGuid(), new ClipTrack("source", "a.mp4", "a.mp4", video, [], "s", null), new ClipTrack("target", "b.mp4", "b.mp4", video, [], "t", null), blendshapes, "transfer.json");
        var early = Assert.Throws<ServerFaultException>(() => new ExpressionTransferStage(_store, _mesh).RunAsync(command, CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal(ExpressionTransferStage.BlendshapeModelMissing, early.Message);

        // The default mesh transfer never asks for the model.
        var unused = new StandIn(accept: true);
        var plan = new ExpressionTransferStage(_store, _mesh, unused).Plan(source, target, RetargetSettings.Default);
        Assert.Empty(unused.Calls);
        Assert.Equal(6, plan.Frames.Count);

        // A clip without a face keeps the planner's own message, as the studio's to fix.
        var faceless = source with { Frames = [.. source.Frames.Select(_ => (ClipFace?)null)] };
        var noFace = Assert.Throws<RetargetInputException>(() => new ExpressionTransferStage(_store, _mesh, unused).Plan(faceless, target, blendshapes));
        Assert.Contains("source clip has no tracked face", noFace.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_transfer_document_says_which_space_was_used()
    {
        var stage = new ExpressionTransferStage(_store, _mesh, new StandIn(accept: true));
        var settings = RetargetSettings.Default with { Space = TransferSpace.Blendshapes };
        var plan = stage.Plan(Clip(4, scale: 0.9), Clip(4, scale: 1.1), settings);
        var video = new VideoInfo(Width, Height, 25, 1, 4, 0.16, false);
        var command = new TransferExpressions(Guid.NewGuid(), new ClipTrack("source", "a.mp4", "a.mp4", video, [], "s", null), new ClipTrack("target", "b.mp4", "b.mp4", video, [], "t", null), settings, "transfer.json");

        using var stream = new MemoryStream();
        await ExpressionTransferStage.Document(command, plan).WriteAsync(stream, CancellationToken.None);

        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"space\":\"blendshapes\"", text, StringComparison.Ordinal);
        stream.Position = 0;
        Assert.Equal(TransferSpace.Blendshapes, (await RetargetDocument.ReadAsync(stream, CancellationToken.None)).Settings.Space);
    }

    [Fact]
    public async Task The_neutral_is_a_resting_frame_by_default_or_the_first_frame_and_transfer_json_names_it()
    {
        // Frame 0 has no face; the face holds an expression on every frame but 6 and 7.
        var held = Clip(12, scale: 1, lost: 0, stretch: f => f is 6 or 7 ? 0 : 0.15);
        var rested = ExpressionTransferStage.WithNeutral(held, NeutralMode.Resting);
        Assert.Contains(rested.NeutralFrame!.Value, new[] { 6, 7 });
        Assert.Contains(6, rested.RestingFrames!);
        Assert.Contains(7, rested.RestingFrames!);
        Assert.True(MaxDistance(rested.Neutral!, held.Frames[6]!.PoseFree) < 1e-9);

        Assert.Equal(1, ExpressionTransferStage.WithNeutral(held, NeutralMode.First).NeutralFrame);
        var named = held with { NeutralFrame = 3 };
        Assert.Same(named, ExpressionTransferStage.WithNeutral(named, NeutralMode.Resting));

        var stage = new ExpressionTransferStage(_store, _mesh);
        var plan = stage.Plan(Clip(12, scale: 0.9), held, RetargetSettings.Default);
        Assert.Contains(plan.TargetNeutralFrame, new[] { 6, 7 });
        Assert.Contains(plan.TargetNeutralFrame, plan.TargetRestingFrames);
        var video = new VideoInfo(Width, Height, 25, 1, 12, 0.48, false);
        var command = new TransferExpressions(Guid.NewGuid(), new ClipTrack("source", "a.mp4", "a.mp4", video, [], "s", null), new ClipTrack("target", "b.mp4", "b.mp4", video, [], "t", null), RetargetSettings.Default, "transfer.json");
        using var stream = new MemoryStream();
        await ExpressionTransferStage.Document(command, plan).WriteAsync(stream, CancellationToken.None);
        stream.Position = 0;
        var document = await RetargetDocument.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(plan.TargetNeutralFrame, document.TargetNeutralFrame);
        Assert.Equal(plan.SourceNeutralFrame, document.SourceNeutralFrame);
        Assert.Equal(plan.TargetRestingFrames, document.TargetRestingFrames);
        Assert.Equal(NeutralMode.Resting, document.Settings.Neutral);
    }

    /// <summary>A clip of the canonical face scaled by <paramref name="scale"/>, mouth opening and closing, head turning slowly; frame <paramref name="lost"/> without a face.</summary>
    private RetargetClip Clip(int frames, double scale, int? lost = null, Func<int, double>? stretch = null)
    {
        var neutral = _mesh.Vertices.ToArray().Select(p => p * scale).ToArray();
        var faces = new ClipFace?[frames];
        for (var f = 0; f < frames; f++)
        {
            if (f == lost)
            {
                continue;
            }

            var poseFree = Stretch(neutral, stretch?.Invoke(f) ?? 0.1 * Math.Sin(f * 0.7));
            var pose = new FacePose(new EulerAngles(8 * Math.Sin(f * 0.2), 5, 0).ToMatrix(), new Vec3(1, -2, -60), 1);
            faces[f] = new ClipFace(PerspectiveCamera.Default.ProjectToScreen([.. poseFree.Select(pose.Apply)], Width, Height), pose, poseFree);
        }

        return new RetargetClip(faces, Pal, Width, Height);
    }

    /// <summary>A smooth expression: the face stretched vertically below its centre by <paramref name="amount"/>.</summary>
    private static Vec3[] Stretch(Vec3[] face, double amount)
    {
        var centre = face.Aggregate(Vec3.Zero, (s, p) => s + p) / face.Length;
        return [.. face.Select(p => p.Y < centre.Y ? p + new Vec3(0, amount * (p.Y - centre.Y), 0) : p)];
    }

    private static Vec3[] Lerp(Vec3[] a, Vec3[] b, double t) => [.. a.Zip(b, (p, q) => p + ((q - p) * t))];

    private static double MaxDistance(Vec3[] a, Vec3[] b) => a.Zip(b, (p, q) => (p - q).Length).Max();

    /// <summary>
    /// Stands in for the ICT fit: the target's neutral is its frame 0; each source frame with a face becomes that
    /// neutral stretched by an amount of its own (known, so what the planner makes of it can be checked).
    /// </summary>
    private sealed class StandIn(bool accept) : IBlendshapeSpaceTransfer
    {
        public List<(IReadOnlyList<Vec3[]?> Source, int? SourceNeutralFrame, IReadOnlyList<Vec3[]?> Target, int? TargetNeutralFrame)> Calls { get; } = [];

        public Vec3[] Neutral { get; private set; } = [];

        public Vec3[]?[] Faces { get; private set; } = [];

        public bool TryTransfer(
            IReadOnlyList<Vec3[]?> source,
            int? sourceNeutralFrame,
            IReadOnlyList<Vec3[]?> target,
            int? targetNeutralFrame,
            [NotNullWhen(true)] out BlendshapeSpaceFaces? faces)
        {
            Calls.Add((source, sourceNeutralFrame, target, targetNeutralFrame));
            if (!accept)
            {
                faces = null;
                return false;
            }

            Neutral = target[0]!;
            Faces = [.. source.Select((s, f) => s is null ? null : Stretch(Neutral, 0.05 + (0.03 * f)))];
            faces = new BlendshapeSpaceFaces(Faces, Neutral);
            return true;
        }
    }
}
