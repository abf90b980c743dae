using FacePipeline.Geometry;
using Xunit.Abstractions;

namespace FacePipeline.Retarget.Tests;

public class DeformationTransferTests(ITestOutputHelper output)
{
    private static Vec3[] OtherActor(Vec3[] neutral)
    {
        // 1.2x larger, with different proportions: wider lower face, longer mid-face, a little
        // more depth at the sides (smooth, a few percent).
        return neutral.Select(p => new Vec3(
            1.2 * p.X * (1 + (0.04 * Math.Sin(p.Y / 4))),
            1.2 * (p.Y + (0.015 * p.X * p.X)),
            1.2 * (p.Z + (0.01 * p.X * p.X))) + new Vec3(0.5, -0.3, 0.2)).ToArray();
    }

    private static double MaxDiff(Vec3[] a, Vec3[] b) => a.Zip(b, (p, q) => (p - q).Length).Max();

    [Fact]
    public void Mesh_is_the_expected_topology()
    {
        Assert.Equal(468, TestMesh.Canonical.VertexCount);
        Assert.Equal(898, TestMesh.Canonical.Triangles.Length);
    }

    [Fact]
    public void Transferring_onto_the_own_neutral_returns_the_own_expression()
    {
        var neutral = TestMesh.Neutral;
        var transfer = DeformationTransfer.ForCanonical(TestMesh.Canonical, neutral, neutral);
        var random = new Random(7);
        var frames = new[]
        {
            TestMesh.MouthOpen(neutral),
            TestMesh.BrowRaise(neutral),
            neutral.Select(p => p + new Vec3(random.NextDouble() - 0.5, random.NextDouble() - 0.5, random.NextDouble() - 0.5) * 0.3).ToArray(),
        };
        foreach (var frame in transfer.TransferSequence(frames).Zip(frames))
        {
            var err = MaxDiff(frame.First, frame.Second);
            output.WriteLine($"identity max error {err:E2} cm");
            Assert.True(err < 1e-6, $"max error {err}");
        }
    }

    [Fact]
    public void A_uniformly_scaled_target_gets_exactly_the_scaled_displacement()
    {
        var neutral = TestMesh.Neutral;
        var target = neutral.Select(p => (p * 1.2) + new Vec3(1, 2, 3)).ToArray();
        var transfer = DeformationTransfer.ForCanonical(TestMesh.Canonical, neutral, target);
        var source = ExpressionModel.Expression(TestMesh.MouthOpen(neutral), neutral);
        var moved = transfer.TransferDisplacement(TestMesh.MouthOpen(neutral));
        var err = MaxDiff(moved, source.Select(d => d * 1.2).ToArray());
        output.WriteLine($"scale 1.2 max error {err:E2} cm");
        Assert.True(err < 1e-6, $"max error {err}");
    }

    [Fact]
    public void An_actor_whose_lips_are_pressed_together_opens_the_mouth_as_far_as_the_performer_in_inter_ocular_distances()
    {
        // The actor's neutral: the canonical face with the inner lips closed onto their midline (no gap at all).
        var neutral = TestMesh.Neutral;
        var pressed = (Vec3[])neutral.Clone();
        foreach (var (upper, lower) in new[] { (13, 14), (82, 87), (312, 317), (81, 178), (311, 402), (80, 88), (310, 318), (191, 95), (415, 324) })
        {
            var mid = (neutral[upper] + neutral[lower]) * 0.5;
            (pressed[upper], pressed[lower]) = (mid, mid);
        }

        var open = FaceImages.JawDrop(neutral, 1.0);
        double Gap(IReadOnlyList<Vec3> face) => (face[13] - face[14]).Length / FaceSize.Of(face.ToArray());
        var performerChange = Gap(open) - Gap(neutral);

        var direct = DeformationTransfer.ForCanonical(TestMesh.Canonical, neutral, pressed).Transfer(open);
        var deformation = new DeformationTransfer(TestMesh.Canonical.Triangles, neutral, pressed, FaceRegions.FromCanonical(TestMesh.Canonical)) { MouthDirectShare = 0 }.Transfer(open);
        output.WriteLine($"performer {performerChange:F4} IOD; actor: direct {Gap(direct):F4}, deformation transfer {Gap(deformation):F4}");

        Assert.InRange(Gap(direct), 0.95 * performerChange, 1.05 * performerChange); // the gap's length, from lips that met: within 3 % here
        Assert.True(Gap(deformation) < 0.5 * performerChange, "deformation transfer alone opens a pressed mouth far less (why the mouth takes the scaled displacement)");
    }

    [Fact]
    public void A_mouth_opening_keeps_its_per_region_displacement_on_a_differently_shaped_face()
    {
        var neutral = TestMesh.Neutral;
        var target = OtherActor(neutral);
        var transfer = DeformationTransfer.ForCanonical(TestMesh.Canonical, neutral, target);
        var regions = FaceRegions.FromCanonical(TestMesh.Canonical);
        var open = TestMesh.MouthOpen(neutral);
        var source = ExpressionModel.Expression(open, neutral);
        var moved = transfer.TransferDisplacement(open);
        var scale = transfer.TargetSize / transfer.SourceSize;
        output.WriteLine($"face sizes {transfer.SourceSize:F3} → {transfer.TargetSize:F3} cm (ratio {scale:F4})");

        // Per region: the mean displacement, in units of each face's size, must agree. Tolerance:
        // the target's proportions differ by up to 4% (width) and its jaw/profile curvature by
        // ~1.5%, so triangle shapes — and with them the gradients' effect — differ by a few percent;
        // we allow 5% of the mouth's peak displacement (0.82 cm) per region and 10% per vertex.
        var peak = source.Max(d => d.Length) / transfer.SourceSize;
        foreach (var (name, set) in new[] { ("mouth+jaw", regions.MouthJaw), ("eyes+lids", regions.EyesLids), ("brows", regions.Brows) })
        {
            var s = Mean(source, set) / transfer.SourceSize;
            var t = Mean(moved, set) / transfer.TargetSize;
            var rel = (s - t).Length / peak;
            output.WriteLine($"{name}: source {Fmt(s)}, target {Fmt(t)} (face sizes), difference {rel:P2} of peak");
            Assert.True(rel < 0.05, $"{name}: {rel:P2}");
        }

        var worst = Enumerable.Range(0, 468).Max(i => ((source[i] / transfer.SourceSize) - (moved[i] / transfer.TargetSize)).Length) / peak;
        output.WriteLine($"worst vertex: {worst:P2} of peak");
        Assert.True(worst < 0.10, $"worst vertex {worst:P2}");

        // The still upper face stays still.
        var upper = Enumerable.Range(0, 468).Where(i => source[i].LengthSquared == 0 && neutral[i].Y > neutral[1].Y).ToArray();
        var upperMax = upper.Max(i => moved[i].Length) / transfer.TargetSize / peak;
        output.WriteLine($"upper face (still in the source): max {upperMax:P2} of peak");
        Assert.True(upperMax < 0.05);
    }

    [Fact]
    public void Intensity_scales_between_neutral_and_full()
    {
        var neutral = TestMesh.Neutral;
        var target = OtherActor(neutral);
        var transfer = DeformationTransfer.ForCanonical(TestMesh.Canonical, neutral, target);
        var open = TestMesh.MouthOpen(neutral);
        var full = transfer.Transfer(open);
        var none = transfer.Transfer(open, new TransferControls(Intensity: 0));
        var half = transfer.Transfer(open, new TransferControls(Intensity: 0.5));
        Assert.Equal(0, MaxDiff(none, target), 12);
        Assert.Equal(0, MaxDiff(full, ExpressionModel.Apply(target, transfer.TransferDisplacement(open))), 12);
        var mid = target.Zip(full, (a, b) => (a + b) * 0.5).ToArray();
        Assert.True(MaxDiff(half, mid) < 1e-9);
        Assert.True(MaxDiff(full, target) > 0.5);
    }

    [Fact]
    public void Mouth_gain_zero_keeps_the_mouth_at_neutral_and_the_brows_move()
    {
        var neutral = TestMesh.Neutral;
        var target = OtherActor(neutral);
        var transfer = DeformationTransfer.ForCanonical(TestMesh.Canonical, neutral, target);
        var regions = FaceRegions.FromCanonical(TestMesh.Canonical);
        var both = TestMesh.BrowRaise(TestMesh.MouthOpen(neutral));
        var result = transfer.Transfer(both, new TransferControls(MouthJaw: 0));
        foreach (var i in regions.MouthJaw)
        {
            Assert.Equal(target[i], result[i]);
        }

        var browMove = regions.Brows.Average(i => result[i].Y - target[i].Y);
        var expected = 0.3 * transfer.TargetSize / transfer.SourceSize;
        output.WriteLine($"brow rise with mouth gain 0: {browMove:F3} cm (source 0.3 cm scaled: {expected:F3})");
        Assert.InRange(browMove, expected * 0.9, expected * 1.1);

        var noBrows = transfer.Transfer(both, new TransferControls(Brows: 0, EyesLids: 0.5));
        foreach (var i in regions.Brows)
        {
            Assert.Equal(target[i], noBrows[i]);
        }

        var disp = transfer.TransferDisplacement(both);
        foreach (var i in regions.EyesLids)
        {
            Assert.True((noBrows[i] - (target[i] + (disp[i] * 0.5))).Length < 1e-12);
        }
    }

    [Fact]
    public void Regions_are_disjoint_valid_and_where_expected()
    {
        var neutral = TestMesh.Neutral;
        var regions = FaceRegions.FromCanonical(TestMesh.Canonical);
        var all = regions.MouthJaw.Concat(regions.EyesLids).Concat(regions.Brows).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.All(all, i => Assert.InRange(i, 0, 467));
        Assert.Equal(40, FaceRegions.Lips.Distinct().Count());
        Assert.Equal(96, FaceRegions.EyesAndLids.Distinct().Count());
        Assert.Equal(28, FaceRegions.BrowContours.Distinct().Count());
        double MeanY(IReadOnlyList<int> set) => set.Average(i => neutral[i].Y);
        output.WriteLine($"mouth+jaw {regions.MouthJaw.Count} points, eyes+lids {regions.EyesLids.Count}, brows {regions.Brows.Count}");
        Assert.True(MeanY(regions.MouthJaw) < MeanY(regions.EyesLids));
        Assert.True(MeanY(regions.EyesLids) < MeanY(regions.Brows));
    }

    private static Vec3 Mean(Vec3[] v, IReadOnlyList<int> set) => set.Aggregate(Vec3.Zero, (s, i) => s + v[i]) / set.Count;

    private static string Fmt(Vec3 v) => $"({v.X:F4}, {v.Y:F4}, {v.Z:F4})";
}
