using FacePipeline.NeuralRenderer;
using FacePipeline.Retarget;

namespace FacePipeline.NeuralRenderer.Tests;

public sealed class PairBuilderTests
{
    private const int Size = 128;
    private const int Plane = Size * Size;

    [Fact]
    public void A_frame_reenacting_itself_gives_its_own_pixels_as_the_warped_input()
    {
        var frame = GridClipFrames.All[10];
        var pair = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, Size).Build(frame, frame);
        pair.Require(ConditioningLayout.Channels, Size, Size);
        var face = Enumerable.Range(0, Plane).Where(i => pair.Mask[i] > 0).ToArray();
        Assert.True(face.Length > Plane / 5, $"face mask covers {face.Length} of {Plane} pixels");
        var l1 = face.Average(i => Enumerable.Range(0, 3).Average(c => Math.Abs(pair.Input[c * Plane + i] - pair.Target[c * Plane + i])));
        Assert.True(l1 < 2.0 / 255, $"identity warp differs by {l1 * 255:F2}/255");
    }

    [Fact]
    public void Conditioning_planes_lie_inside_the_face_and_the_mouth_follows_the_speaker()
    {
        var builder = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, Size);
        var areas = new List<int>();
        foreach (var j in new[] { 0, 20, 30, 40, 60 })
        {
            var pair = builder.Build(GridClipFrames.All[(j + 5) % GridClipFrames.All.Length], GridClipFrames.All[j]);
            var mouth = Plane0(pair, ConditioningLayout.MouthMask);
            var eyes = Plane0(pair, ConditioningLayout.EyesMask);
            Assert.All(pair.Input, v => Assert.InRange(v, 0f, 1f));
            Assert.All(Enumerable.Range(0, Plane).Where(i => mouth[i] > 0 || eyes[i] > 0), i => Assert.Equal(1f, pair.Mask[i]));
            Assert.True(eyes.Count(v => v > 0) > 10, "no eye pixels");

            // The correspondence map covers the face: most of the oval, little outside it.
            var covered = Enumerable.Range(0, Plane).Where(i => Enumerable.Range(0, 3).Any(c => pair.Input[(ConditioningLayout.Correspondence + c) * Plane + i] > 0)).ToArray();
            var inside = covered.Count(i => pair.Mask[i] > 0);
            Assert.True(inside > 0.9 * covered.Length, $"{covered.Length - inside} of {covered.Length} correspondence pixels outside the face oval");
            Assert.True(inside > 0.8 * pair.Mask.Count(m => m > 0), "the correspondence map leaves much of the face empty");
            areas.Add(mouth.Count(v => v > 0));
        }

        // A GRID speaker opens and closes the mouth: the mouth-interior mask must change size across frames.
        Assert.True(areas.Max() > areas.Min() + 20, $"mouth areas {string.Join(", ", areas)}");
    }

    [Fact]
    public void The_crop_maps_frame_and_crop_coordinates_both_ways_and_is_aligned_on_the_eyes()
    {
        var frame = GridClipFrames.All[0];
        var crop = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, Size).CropOf(frame.Mesh);
        foreach (var (u, v) in new[] { (0.0, 0.0), (63.5, 12.25), (127.0, 127.0) })
        {
            var back = crop.ToCrop(crop.ToFrame(u, v));
            Assert.Equal(u, back.X, 9);
            Assert.Equal(v, back.Y, 9);
        }

        var left = crop.ToCrop(new Point2((frame.Mesh[33].X + frame.Mesh[133].X) / 2, (frame.Mesh[33].Y + frame.Mesh[133].Y) / 2));
        var right = crop.ToCrop(new Point2((frame.Mesh[362].X + frame.Mesh[263].X) / 2, (frame.Mesh[362].Y + frame.Mesh[263].Y) / 2));
        Assert.Equal(left.Y, right.Y, 6);
        Assert.True(right.X > left.X);
        Assert.All(frame.Mesh, p => { var c = crop.ToCrop(p); Assert.InRange(c.X, 0, Size - 1); Assert.InRange(c.Y, 0, Size - 1); });
    }

    private static float[] Plane0(TrainingPair pair, int channel) => pair.Input[(channel * Plane)..((channel + 1) * Plane)];
}
