using FacePipeline.Geometry.Tests.Support;
using Xunit.Abstractions;

namespace FacePipeline.Geometry.Tests;

public class ExpressionModelTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void The_median_neutral_ignores_a_minority_of_expressive_frames()
    {
        var random = new Random(1);
        var neutral = Enumerable.Range(0, 50).Select(_ => Rand.GaussianVec(random, 5)).ToArray();
        var frames = new List<Vec3[]>();
        for (var f = 0; f < 31; f++)
        {
            // 12 of 31 frames carry a large displacement of the first 20 vertices.
            var expressive = f % 9 < 3;
            frames.Add(neutral.Select((p, i) => p + (expressive && i < 20 ? new Vec3(0, -2, 0.5) : default) + Rand.GaussianVec(random, 0.01)).ToArray());
        }

        var median = NeutralEstimator.Estimate(frames);
        var medoid = NeutralEstimator.Estimate(frames, NeutralMethod.MedoidFrame);

        Assert.True(Rms(median, neutral) < 0.01, $"median off by {Rms(median, neutral)}");
        Assert.True(Rms(medoid, neutral) < 0.03, $"medoid off by {Rms(medoid, neutral)}");
        Assert.Contains(frames, f => f.SequenceEqual(medoid));
        Assert.Equal(frames[3], NeutralEstimator.FromFrame(frames, 3));
        Assert.NotSame(frames[3], NeutralEstimator.FromFrame(frames, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeutralEstimator.FromFrame(frames, 31));
        Assert.Throws<ArgumentException>(() => NeutralEstimator.Estimate([]));
    }

    [Fact]
    public void A_posed_clip_with_known_expressions_recovers_the_neutral_and_separates_the_expressions()
    {
        var mesh = TestMesh.Canonical;
        var estimator = new MetricLandmarks(mesh);
        var random = new Random(42);
        // The actor: the canonical face with a personal shape (±1 mm per vertex).
        var actor = mesh.Vertices.ToArray().Select(v => v + Rand.GaussianVec(random, 0.1)).ToArray();
        var actorMouthOpen = SyntheticFace.OpenMouth(actor, 1.0);
        var actorBlink = SyntheticFace.Blink(actor, 0.6);

        // The known neutral and expressions as the pipeline sees them: pose-free (normalised to the
        // canonical frame by the weighted fit), from a noise-free frontal view.
        Vec3[] Seen(Vec3[] face) => estimator.Estimate(SyntheticFace.Render(face, default, new Vec3(0, 0, -50), 1280, 720), 1280, 720).PoseFreeLandmarks;
        var knownNeutral = Seen(actor);
        var knownMouthOpen = ExpressionModel.Expression(Seen(actorMouthOpen), knownNeutral);
        var knownBlink = ExpressionModel.Expression(Seen(actorBlink), knownNeutral);
        var none = new Vec3[mesh.VertexCount];

        var poseFree = new List<Vec3[]>();
        var truth = new List<Vec3[]>();
        const int frames = 60;
        for (var f = 0; f < frames; f++)
        {
            // Mouth open on frames 10–29 (a third of the clip), a blink on 40–44, neutral otherwise.
            var (face, expression) = f is >= 10 and < 30 ? (actorMouthOpen, knownMouthOpen) : f is >= 40 and < 45 ? (actorBlink, knownBlink) : (actor, none);
            truth.Add(expression);
            var angles = new EulerAngles(Rand.Uniform(random, -25, 25), Rand.Uniform(random, -20, 20), Rand.Uniform(random, -15, 15));
            var translation = new Vec3(Rand.Uniform(random, -5, 5), Rand.Uniform(random, -3, 3), Rand.Uniform(random, -70, -40));
            var screen = SyntheticFace.Render(face, angles, translation, 1280, 720);
            for (var i = 0; i < screen.Length; i++)
            {
                screen[i] += Rand.GaussianVec(random, 0.3); // landmark jitter, pixels
            }

            poseFree.Add(estimator.Estimate(screen, 1280, 720).PoseFreeLandmarks);
        }

        var neutral = NeutralEstimator.Estimate(poseFree);
        var neutralError = Rms(neutral, knownNeutral);
        output.WriteLine($"neutral (median of 60 posed frames, 25 expressive): RMS error {neutralError * 10:F3} mm over {mesh.VertexCount} vertices");
        Assert.True(neutralError < 0.05, $"neutral RMS error {neutralError} cm");

        double worstError = 0, largestOnNeutral = 0, smallestOnExpressive = double.MaxValue;
        for (var f = 0; f < frames; f++)
        {
            var expression = ExpressionModel.Expression(poseFree[f], neutral);
            var error = Rms(expression, truth[f]);
            worstError = Math.Max(worstError, error);
            // Separation: the largest vertex displacement tells expressive frames from neutral ones.
            var largest = expression.Max(d => d.Length);
            if (ReferenceEquals(truth[f], none))
            {
                largestOnNeutral = Math.Max(largestOnNeutral, largest);
            }
            else
            {
                smallestOnExpressive = Math.Min(smallestOnExpressive, largest);
            }
        }

        output.WriteLine($"largest vertex displacement: neutral frames up to {largestOnNeutral * 10:F2} mm, expressive frames from {smallestOnExpressive * 10:F2} mm");
        Assert.True(smallestOnExpressive > 1.5 * largestOnNeutral, "expressive and neutral frames are not separated");

        // The jitter alone is √3 · 0.3 px ≈ 0.6 mm per vertex at 70 cm (f ≈ 587 px at 720p).
        output.WriteLine($"expression: worst RMS error {worstError * 10:F3} mm per vertex (jitter alone: {Math.Sqrt(3) * 0.3 / 587 * 70 * 10:F2} mm at 70 cm)");
        Assert.True(worstError < 0.1, $"expression RMS error {worstError} cm");

        // The chin's expression on a mouth-open frame: most of the 1 cm opening, downwards (the
        // weighted fit absorbs part of it through the jaw-line points of the basis).
        var chin = ExpressionModel.Expression(poseFree[15], neutral)[152];
        output.WriteLine($"1 cm mouth opening reads as {-chin.Y * 10:F2} mm chin drop");
        Assert.InRange(-chin.Y, 0.5, 1.2);
        Assert.Equal(poseFree[15], ExpressionModel.Apply(neutral, ExpressionModel.Expression(poseFree[15], neutral)), new Vec3Comparer(1e-12));
    }

    private static double Rms(ReadOnlySpan<Vec3> a, ReadOnlySpan<Vec3> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]).LengthSquared;
        }

        return Math.Sqrt(sum / a.Length);
    }

    private sealed class Vec3Comparer(double tolerance) : IEqualityComparer<Vec3>
    {
        public bool Equals(Vec3 x, Vec3 y) => (x - y).Length <= tolerance;

        public int GetHashCode(Vec3 obj) => 0;
    }
}
