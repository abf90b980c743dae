using FacePipeline.Geometry;
using FacePipeline.Retarget;
using Xunit.Abstractions;

namespace FacePipeline.Morphable.Tests;

/// <summary>Issue 13: a neutral that a held expression cannot fool, on clips built from real tracked frames.</summary>
[Collection(IctModelCollection.Name)]
public sealed class RestingFaceTests(BlendshapeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void A_mouth_held_open_for_80_percent_of_the_clip_is_not_taken_for_the_neutral()
    {
        var clip = fixture.Grid;
        var rest = Ranked(clip.LipGap).Take(8).ToArray();                   // the 8 most closed-mouth frames
        var held = Ranked(clip.LipGap).Reverse().Take(6).ToArray();         // the 6 widest-open ones
        AssertRestingFramesAreFound(clip, rest, held, clip.LipGap, "lip gap");
    }

    [Fact]
    public void A_smile_held_for_80_percent_of_the_clip_is_not_taken_for_the_neutral()
    {
        var clip = fixture.Obama;
        var smile = clip.Curve("mouthSmileLeft").Zip(clip.Curve("mouthSmileRight"), (l, r) => l + r).ToArray();
        var rest = Ranked(smile).Where(f => clip.LipGap[f] < Median(clip.LipGap)).Take(8).ToArray();
        var held = Ranked(smile).Reverse().Take(6).ToArray();
        AssertRestingFramesAreFound(clip, rest, held, smile, "smile weight");
    }

    /// <summary>
    /// A clip of 60 frames: the rest frames first (20 %), then the held frames played forward and back (80 %). Every frame
    /// the finder calls resting must be one of the rest frames, while the per-point median (the estimate before issue 13)
    /// lands on the held expression.
    /// </summary>
    private void AssertRestingFramesAreFound(GoldenClipFit clip, int[] rest, int[] held, double[] feature, string name)
    {
        var order = new List<int>(rest);
        for (var i = 0; order.Count < 60; i++)
        {
            var cycle = i % (2 * held.Length);
            order.Add(held[cycle < held.Length ? cycle : (2 * held.Length) - 1 - cycle]);
        }

        var frames = order.Select(f => (Vec3[]?)clip.Geometry[f].PoseFreeLandmarks).ToList();
        var found = RestingFaceFinder.Find(frames);
        output.WriteLine($"{clip.Clip}: rest frames {string.Join(",", rest)} ({name} {string.Join(" ", rest.Select(f => feature[f].ToString("F3")))}), " +
            $"held {string.Join(",", held)} ({string.Join(" ", held.Select(f => feature[f].ToString("F3")))}); resting found at positions {string.Join(",", found.RestingFrames)}");

        Assert.NotEmpty(found.RestingFrames);
        Assert.All(found.RestingFrames, p => Assert.InRange(p, 0, rest.Length - 1));
        Assert.InRange(found.Frame, 0, rest.Length - 1);
        Assert.True(found.Score.Take(rest.Length).Average() < found.Score.Skip(rest.Length).Average());

        // The median of the clip is the held expression: what the finder must not return.
        var median = NeutralEstimator.Estimate([.. frames.Select(f => f!)]);
        var restGap = rest.Max(f => clip.LipGap[f]);
        if (name == "lip gap")
        {
            Assert.True(MediaPipeFaceIndices.InnerLipGap(median) > restGap, "the median should be the held open mouth");
            Assert.True(MediaPipeFaceIndices.InnerLipGap(found.Neutral) <= restGap + 1e-9, "the neutral's mouth opens no wider than the rest frames'");
        }
    }

    private static IEnumerable<int> Ranked(double[] values) => Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ThenBy(i => i);

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
