using FacePipeline.Geometry.Tests.Support;

namespace FacePipeline.Geometry.Tests;

[Trait("Lane", "Fast")]
public class WeightedProcrustesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Noise_free_transforms_are_recovered_exactly(int seed)
    {
        var random = new Random(seed);
        var n = 5 + random.Next(60);
        var a = new Vec3[n];
        var w = new double[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = Rand.GaussianVec(random, 5);
            w[i] = random.NextDouble() < 0.2 ? 0 : Rand.Uniform(random, 0.01, 2);
        }

        w[0] = w[1] = w[2] = w[3] = 1;
        var truth = new SimilarityTransform(Rand.Rotation(random), Rand.GaussianVec(random, 30), Rand.Uniform(random, 0.05, 20));
        var b = a.Select(truth.Apply).ToArray();

        var solved = WeightedProcrustes.Solve(a, b, w);

        Assert.True(solved.Rotation.AngleTo(truth.Rotation) < 1e-9, $"rotation error {solved.Rotation.AngleTo(truth.Rotation)} rad");
        Assert.Equal(1, solved.Rotation.Determinant(), 12);
        Assert.True(Math.Abs(solved.Scale - truth.Scale) < 1e-9 * truth.Scale, $"scale {solved.Scale} vs {truth.Scale}");
        Assert.True((solved.Translation - truth.Translation).Length < 1e-9 * (1 + truth.Translation.Length), $"translation {solved.Translation} vs {truth.Translation}");
    }

    [Fact]
    public void Rotations_near_180_degrees_and_identity_are_exact()
    {
        var random = new Random(7);
        var a = Enumerable.Range(0, 20).Select(_ => Rand.GaussianVec(random, 3)).ToArray();
        var w = Enumerable.Repeat(1.0, a.Length).ToArray();
        foreach (var rotation in new[] { Matrix3.Identity, Matrix3.RotationX(Math.PI), Matrix3.AxisAngle(new Vec3(1, 2, 3), Math.PI - 1e-7), Matrix3.RotationZ(1e-8) })
        {
            var truth = new SimilarityTransform(rotation, new Vec3(1, 2, 3), 2);
            var solved = WeightedProcrustes.Solve(a, a.Select(truth.Apply).ToArray(), w);
            Assert.True(solved.Rotation.AngleTo(rotation) < 1e-9, $"{rotation}: error {solved.Rotation.AngleTo(rotation)}");
            Assert.Equal(2, solved.Scale, 9);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void With_noise_the_closed_form_matches_an_independent_Gauss_Newton_optimum(int seed)
    {
        var random = new Random(seed);
        var n = 40;
        var a = new Vec3[n];
        var w = new double[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = Rand.GaussianVec(random, 5);
            w[i] = Rand.Uniform(random, 0.05, 1);
        }

        var truth = new SimilarityTransform(Rand.Rotation(random), Rand.GaussianVec(random, 20), Rand.Uniform(random, 0.5, 3));
        var b = a.Select(p => truth.Apply(p) + Rand.GaussianVec(random, 0.5)).ToArray();

        var closed = WeightedProcrustes.Solve(a, b, w);
        var reference = GaussNewtonProcrustes.Refine(truth, a, b, w);

        Assert.True(closed.Rotation.AngleTo(reference.Rotation) < 1e-9, $"rotation differs by {closed.Rotation.AngleTo(reference.Rotation)} rad");
        Assert.Equal(reference.Scale, closed.Scale, 9);
        Assert.True((closed.Translation - reference.Translation).Length < 1e-8, $"{closed.Translation} vs {reference.Translation}");
        var closedObjective = WeightedProcrustes.Objective(closed, a, b, w);
        var referenceObjective = WeightedProcrustes.Objective(reference, a, b, w);
        Assert.True(closedObjective <= referenceObjective * (1 + 1e-12), $"{closedObjective} > {referenceObjective}");
        // Noise really moved the optimum away from the truth (the comparison is not trivial).
        Assert.True(closed.Rotation.AngleTo(truth.Rotation) > 1e-4);
    }

    [Fact]
    public void Mirrored_targets_give_the_best_proper_rotation_never_a_reflection()
    {
        var random = new Random(21);
        var a = Enumerable.Range(0, 30).Select(_ => Rand.GaussianVec(random, 4)).ToArray();
        var w = a.Select(_ => Rand.Uniform(random, 0.1, 1)).ToArray();
        // Targets = a reflection (x → −x) of a rotated copy: no proper rotation fits exactly.
        var rotation = Rand.Rotation(random);
        var b = a.Select(p => rotation * p).Select(p => p with { X = -p.X }).ToArray();

        var solved = WeightedProcrustes.Solve(a, b, w);

        Assert.Equal(1, solved.Rotation.Determinant(), 12);
        Assert.True(solved.Scale > 0);
        // It is a (local and global) optimum among proper similarity transforms: Gauss–Newton from
        // the solution and from random starts finds nothing better.
        var refined = GaussNewtonProcrustes.Refine(solved, a, b, w);
        var objective = WeightedProcrustes.Objective(solved, a, b, w);
        Assert.True(objective <= WeightedProcrustes.Objective(refined, a, b, w) * (1 + 1e-12));
        for (var start = 0; start < 10; start++)
        {
            var other = GaussNewtonProcrustes.Refine(new SimilarityTransform(Rand.Rotation(random), default, 1), a, b, w, 200);
            if (other.Scale > 0)
            {
                Assert.True(objective <= WeightedProcrustes.Objective(other, a, b, w) * (1 + 1e-9));
            }
        }
    }

    [Fact]
    public void Degenerate_inputs_are_rejected()
    {
        Vec3[] a = [new(1, 2, 3), new(1, 2, 3)];
        Vec3[] b = [new(0, 0, 0), new(1, 1, 1)];
        Assert.Throws<InvalidOperationException>(() => WeightedProcrustes.Solve(a, b, [1, 1]));
        Assert.Throws<ArgumentException>(() => WeightedProcrustes.Solve(b, a, [0, 0]));
        Assert.Throws<ArgumentException>(() => WeightedProcrustes.Solve(b, a, [1, -1]));
        Assert.Throws<ArgumentException>(() => WeightedProcrustes.Solve(b, a, [1]));
        // Targets collapsed to one point: the optimal scale is 0.
        Assert.Throws<InvalidOperationException>(() => WeightedProcrustes.Solve(b, [new(5, 5, 5), new(5, 5, 5)], [1, 1]));
    }
}
