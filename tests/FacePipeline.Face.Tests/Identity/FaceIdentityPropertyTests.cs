using System.Globalization;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests.Identity;

/// <summary>
/// What the descriptor is for, on real footage: frames of one person stay under dlib's
/// same-person threshold (0.6), different people stay over it. Landmarks are MediaPipe's own
/// (golden <c>landmarks_cpu</c>) or the project's tracker on every frame of a clip.
/// </summary>
public sealed class FaceIdentityPropertyTests(IdentityModelFixture model, FaceMeshFixture mesh, ITestOutputHelper output)
    : IClassFixture<IdentityModelFixture>, IClassFixture<FaceMeshFixture>
{
    [Theory]
    [InlineData("grid_bbaf2n_t00500ms", "grid_bbaf2n_t02500ms")]
    [InlineData("grid_lbbc2a_t00500ms", "grid_lbbc2a_t02500ms")]
    [InlineData("grid_swiz3n_t00500ms", "grid_swiz3n_t02500ms")]
    [InlineData("intel_headpose_male_t00861ms", "intel_headpose_male_t04306ms")] // head turned between the two
    [InlineData("obama_wh_closeup_t00647ms", "obama_wh_medium_t03764ms")] // two different clips
    [InlineData("obama_wh_closeup_t03233ms", "obama_wh_medium_t00753ms")]
    public void Two_stills_of_the_same_person_are_closer_than_dlibs_threshold(string a, string b)
    {
        var distance = FaceIdentityEmbedder.Distance(model.GoldenDescriptor(a), model.GoldenDescriptor(b));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{a} vs {b}: {distance:F3}"));
        Assert.True(distance < FaceIdentityEmbedder.SamePersonThreshold, $"distance {distance}");
        Assert.True(FaceIdentityEmbedder.IsSamePerson(model.GoldenDescriptor(a), model.GoldenDescriptor(b)));
    }

    [Theory]
    [InlineData("grid_bbaf2n_t00500ms", "obama_wh_closeup_t01940ms")]
    [InlineData("grid_bbaf2n_t00500ms", "obama_wh_medium_t02258ms")]
    [InlineData("grid_bbaf2n_t00500ms", "astronaut")]
    [InlineData("grid_bbaf2n_t00500ms", "grid_lbbc2a_t00500ms")]
    [InlineData("grid_bbaf2n_t00500ms", "grid_lwbsza_t00500ms")]
    [InlineData("grid_bbaf2n_t00500ms", "grid_swiz3n_t00500ms")]
    [InlineData("grid_bbaf2n_t02500ms", "intel_headpose_male_t02584ms")]
    [InlineData("obama_wh_closeup_t01940ms", "grid_swiz3n_t01500ms")]
    [InlineData("astronaut", "painting_leonardo_mona_lisa")]
    public void Stills_of_different_people_are_farther_than_dlibs_threshold(string a, string b)
    {
        var distance = FaceIdentityEmbedder.Distance(model.GoldenDescriptor(a), model.GoldenDescriptor(b));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{a} vs {b}: {distance:F3}"));
        Assert.True(distance > FaceIdentityEmbedder.SamePersonThreshold, $"distance {distance}");
        Assert.False(FaceIdentityEmbedder.IsSamePerson(model.GoldenDescriptor(a), model.GoldenDescriptor(b)));
    }

    [Fact]
    public void Tracked_frames_of_one_clip_are_one_person_and_another_speakers_frames_are_not()
    {
        var bbaf = TrackedDescriptors("grid_bbaf2n.mp4", 360, 288, every: 10);
        var lbbc = TrackedDescriptors("grid_lbbc2a.mp4", 360, 288, every: 10);

        var within = Pairs(bbaf, bbaf).Max();
        var across = Pairs(bbaf, lbbc).Min();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"grid_bbaf2n: {bbaf.Count} frames, worst same-person distance {within:F3}; closest to grid_lbbc2a ({lbbc.Count} frames) {across:F3}"));
        Assert.True(bbaf.Count >= 7 && lbbc.Count >= 7);
        Assert.True(within < FaceIdentityEmbedder.SamePersonThreshold, $"same clip, distance {within}");
        Assert.True(across > FaceIdentityEmbedder.SamePersonThreshold, $"different speakers, distance {across}");
    }

    [Fact]
    public void The_descriptor_does_not_depend_on_how_the_frame_is_rotated()
    {
        var golden = IdentityGolden.Load("grid_bbaf2n_t01500ms");
        var (w, h) = (golden.Image.Width, golden.Image.Height);
        var rotated = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                // 90° clockwise: pixel (x, y) goes to (h - 1 - y, x) of an h x w frame.
                golden.Image.Pixels.AsSpan(((y * w) + x) * 3, 3).CopyTo(rotated.AsSpan(((x * h) + (h - 1 - y)) * 3));
            }
        }

        var rotatedLandmarks = golden.Landmarks.Select(p => new Landmark(h - p.Y, p.X, p.Z)).ToArray();

        var upright = model.Embedder.Embed(golden.Image.Pixels, w, h, golden.Landmarks);
        var uprightChip = model.Embedder.LastChip.ToArray();
        var turned = model.Embedder.Embed(rotated, h, w, rotatedLandmarks);
        var chipDifference = uprightChip.Zip(model.Embedder.LastChip.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        var distance = FaceIdentityEmbedder.Distance(upright, turned);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chip max difference {chipDifference} levels, descriptor distance {distance:E2}"));
        Assert.True(chipDifference <= 1, $"chips differ by {chipDifference} levels");
        Assert.True(distance < 0.01, $"distance {distance}");
    }

    private List<float[]> TrackedDescriptors(string clip, int width, int height, int every)
    {
        var frames = RgbImage.DecodeFrames(RepoPaths.MediaFile(clip), width, height);
        var tracker = new FaceTracker(mesh.Detector, mesh.Landmarker);
        var descriptors = new List<float[]>();
        for (var i = 0; i < frames.Count; i++)
        {
            var face = Assert.Single(tracker.Process(frames[i].Pixels, width, height));
            if (i % every == 0)
            {
                descriptors.Add(model.Embedder.Embed(frames[i].Pixels, width, height, face.Landmarks.Points));
            }
        }

        return descriptors;
    }

    private static IEnumerable<float> Pairs(List<float[]> a, List<float[]> b) =>
        from x in a from y in b where !ReferenceEquals(x, y) select FaceIdentityEmbedder.Distance(x, y);
}
