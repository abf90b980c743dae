using System.Globalization;
using FacePipeline.Geometry;
using Xunit.Abstractions;

namespace FacePipeline.Morphable.Tests;

/// <summary>
/// Measured gaze in the fit (<see cref="BlendshapeAnimation.FromScreenLandmarks"/> with irises): the eyeLook weights are
/// the measured ones, held while the rest is fitted. MediaPipe's own landmarks of the Obama clip (the goldens: 468 points,
/// no irises) with irises placed at known positions in each eye.
/// </summary>
[Collection(IctModelCollection.Name)]
public sealed class GazeFitTests(BlendshapeFixture fixture, ITestOutputHelper output)
{
    /// <summary>Frames where the synthetic irises look to the subject's left, then to the right, by 0.3 of a half eye width.</summary>
    private static readonly Range LookLeft = 30..51;
    private static readonly Range LookRight = 70..81;

    [Fact]
    public void Measured_gaze_from_irises_is_held_by_the_fit_and_written_as_the_eyeLook_weights()
    {
        var clip = fixture.Obama;
        var rest = GazeRest.Default();
        var irises = clip.Pixels.Select((points, f) =>
        {
            var shift = Within(f, LookLeft) ? 0.3 : Within(f, LookRight) ? -0.3 : 0;
            return (Vec3[]?)Irises(points, rest.RightHorizontal + shift, rest.LeftHorizontal + shift);
        }).ToList();
        var metric = new MetricLandmarks(fixture.Canonical);
        var rate = new RationalFrameRate(30000, 1001);

        var withGaze = BlendshapeAnimation.FromScreenLandmarks(fixture.Fitter, metric, [.. clip.Pixels], 1280, 720, rate, irises: irises);
        var without = clip.Animation; // the same landmarks without irises

        // The rest is the actor's own (the neutral frames, most of which look straight): the irises' base place.
        var own = withGaze.GazeRest!.Value;
        Assert.Equal(rest.RightHorizontal, own.RightHorizontal, 0.01);
        Assert.Equal(rest.LeftHorizontal, own.LeftHorizontal, 0.01);

        float W(int f, string name) => withGaze.Frames[f].Weights[ArkitBlendshapes.IndexOf(name)];
        for (var f = 0; f < withGaze.Frames.Count; f++)
        {
            // The weights written are the measured ones (the fit holds them).
            var measured = GazeEstimator.EyeLook(withGaze.Gaze[f]!.Value, rest: own);
            for (var k = 0; k < measured.Length; k++)
            {
                Assert.Equal(measured[k], W(f, GazeEstimator.EyeLookNames[k]), 5);
            }
        }

        // Looking left: out for the left eye, in for the right (0.3 / 0.35 = 0.86 of the full scale); right: the opposite.
        foreach (var f in Frames(LookLeft))
        {
            Assert.InRange(W(f, "eyeLookOutLeft"), 0.75f, 1f);
            Assert.InRange(W(f, "eyeLookInRight"), 0.75f, 1f);
            Assert.Equal((0f, 0f), (W(f, "eyeLookInLeft"), W(f, "eyeLookOutRight")));
        }

        foreach (var f in Frames(LookRight))
        {
            Assert.InRange(W(f, "eyeLookInLeft"), 0.75f, 1f);
            Assert.InRange(W(f, "eyeLookOutRight"), 0.75f, 1f);
            Assert.Equal((0f, 0f), (W(f, "eyeLookOutLeft"), W(f, "eyeLookInRight")));
        }

        var straight = Enumerable.Range(0, withGaze.Frames.Count).Where(f => !Within(f, LookLeft) && !Within(f, LookRight)).ToArray();
        var horizontal = new[] { "eyeLookInLeft", "eyeLookOutLeft", "eyeLookInRight", "eyeLookOutRight" };
        Assert.All(straight, f => Assert.All(horizontal, n => Assert.True(W(f, n) < 0.15f, $"frame {f} {n} {W(f, n):F2}")));

        // The other weights stay what the fit finds without irises, near enough: jaw and blinks are still read.
        var others = Enumerable.Range(0, ArkitBlendshapes.Names.Count).Where(i => !ArkitBlendshapes.Names[i].StartsWith("eyeLook", StringComparison.Ordinal)).ToArray();
        var change = withGaze.Frames.Zip(without.Frames).Average(p => others.Average(i => Math.Abs(p.First.Weights[i] - p.Second.Weights[i])));
        var jaw = withGaze.Frames.Select(f => (double)f.Weights[ArkitBlendshapes.IndexOf("jawOpen")]).ToArray();
        var blink = withGaze.Frames.Select(f => (double)f.Weights[ArkitBlendshapes.IndexOf("eyeBlinkLeft")]).ToArray();
        var rJaw = Stats.Pearson(jaw, clip.LipGap);
        var rBlink = Stats.Pearson(blink, clip.LeftEyeOpening);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean change of the 44 other weights {change:F4}; r(jawOpen, lip gap) {rJaw:F3}; r(eyeBlinkLeft, opening) {rBlink:F3}; rest {own}"));
        Assert.True(change < 0.03, $"mean change {change:F4}");
        Assert.True(rJaw >= 0.6 && rBlink <= -0.55, $"r(jaw) {rJaw:F3}, r(blink) {rBlink:F3}");
    }

    [Fact]
    public void Without_irises_the_fit_and_its_curves_are_as_before()
    {
        var clip = fixture.Obama;
        var metric = new MetricLandmarks(fixture.Canonical);

        var again = BlendshapeAnimation.FromScreenLandmarks(fixture.Fitter, metric, [.. clip.Pixels], 1280, 720, new RationalFrameRate(30000, 1001), irises: null);

        Assert.Null(again.GazeRest);
        Assert.All(again.Gaze, g => Assert.Null(g));
        Assert.Equal(clip.Animation.Frames.Select(f => f.Weights), again.Frames.Select(f => f.Weights));
    }

    private static bool Within(int f, Range range) => f >= range.Start.Value && f < range.End.Value;

    private static IEnumerable<int> Frames(Range range) => Enumerable.Range(range.Start.Value, range.End.Value - range.Start.Value);

    /// <summary>10 iris points: each iris (centre and its 4 edge points alike) on its eye's corner line, at a horizontal gaze of h.</summary>
    private static Vec3[] Irises(Vec3[] points, double rightHorizontal, double leftHorizontal)
    {
        static Vec3 At(Vec3 a, Vec3 b, double h) => a + ((b - a) * ((h + 1) / 2));
        var right = At(points[33], points[133], rightHorizontal); // corner on the subject's right side first
        var left = At(points[362], points[263], leftHorizontal);
        return [.. Enumerable.Repeat(right, 5), .. Enumerable.Repeat(left, 5)];
    }
}
