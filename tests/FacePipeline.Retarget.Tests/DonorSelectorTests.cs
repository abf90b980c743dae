using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

public class DonorSelectorTests
{
    [Fact]
    public void Mouth_opening_is_the_mean_inner_lip_gap_over_the_face_size()
    {
        const double Gap = 1.7;
        var face = TestMesh.Neutral;
        foreach (var (upper, lower) in FeatureOpenings.MouthPairs)
        {
            face[lower] = face[upper] - new Vec3(0, Gap, 0);
        }

        var size = FaceSize.Of(face);
        var opening = FeatureOpenings.Of(face);
        Assert.Equal(Gap / size, opening.Mouth, 12);

        // The eyes did not move; a face twice as big has the same openings.
        var neutral = FeatureOpenings.Of(TestMesh.Neutral);
        Assert.Equal(neutral.LeftEye, opening.LeftEye, 12);
        Assert.Equal(neutral.RightEye, opening.RightEye, 12);
        var doubled = FeatureOpenings.Of(face.Select(p => p * 2).ToArray());
        Assert.Equal(opening.Mouth, doubled.Mouth, 12);
    }

    [Fact]
    public void A_closed_eye_has_zero_opening_and_the_other_eye_keeps_its_own()
    {
        var face = TestMesh.Neutral;
        foreach (var (upper, lower) in FeatureOpenings.RightEyePairs)
        {
            face[upper] = face[lower];
        }

        var opening = FeatureOpenings.Of(face);
        Assert.Equal(0, opening.RightEye, 12);

        // 386–374 of the neutral: (3.177, 2.964, 3.877) − (3.177, 2.294, 3.776), about 0.68 cm of a 6.3 cm face.
        Assert.InRange(opening.LeftEye, 0.09, 0.11);
        Assert.Equal(opening.LeftEye, opening.Of(FaceFeature.LeftEye));
        Assert.True(face[263].X > 0 && face[386].X > 0, "the subject's left eye is at +X in the canonical frame");
    }

    private static FeatureOpening Open(double mouth, double eyes = 0.10) => new(mouth, eyes, eyes);

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_wider_wanted_mouth_takes_the_nearest_opening_from_a_tracked_frame()
    {
        FeatureOpening?[] clip = [Open(0.08), null, Open(0.30), Open(0.20), Open(0.09), Open(0.33)];
        var selector = new DonorSelector(clip);

        // 0.31 wanted on frame 0 (0.08): frames 2 (0.30, gap 0.01) and 5 (0.33, gap 0.02): frame 2.
        Assert.Equal([new DonorChoice(FaceFeature.Mouth, 2)], selector.Select(0, Open(0.31)));
        Assert.Equal([new DonorChoice(FaceFeature.Mouth, 5)], selector.Select(0, Open(0.40)));

        // Within the threshold (0.05 by default): no donor; just beyond it, frame 4 (0.09) is nearer than frame 3 (0.20).
        Assert.Empty(selector.Select(0, Open(0.125)));
        Assert.Equal([new DonorChoice(FaceFeature.Mouth, 4)], selector.Select(0, Open(0.135)));
        Assert.Equal([new DonorChoice(FaceFeature.Mouth, 3)], selector.Select(0, Open(0.17)));

        // A narrower wanted mouth never needs a donor; nor does an untracked target frame.
        Assert.Empty(selector.Select(2, Open(0.08)));
        Assert.Empty(selector.Select(1, Open(0.40)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Untracked_frames_are_never_donors_and_ties_go_to_the_nearest_frame_in_time()
    {
        FeatureOpening?[] clip = [Open(0.25), Open(0.05), null, null, Open(0.25), Open(0.05), Open(0.25)];
        var selector = new DonorSelector(clip);

        // From frame 5, frames 4 and 6 tie on 0.25: one frame away each, the earlier wins; 0 is further away.
        Assert.Equal([new DonorChoice(FaceFeature.Mouth, 4)], selector.Select(5, Open(0.25)));
        Assert.Equal([new DonorChoice(FaceFeature.Mouth, 0)], selector.Select(1, Open(0.25)));

        // Only untracked frames and worse ones: no donor at all.
        var sparse = new DonorSelector([Open(0.05), null, Open(0.04)]);
        Assert.Empty(sparse.Select(0, Open(0.30)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_more_closed_wanted_eye_takes_the_frame_whose_eye_is_closest()
    {
        FeatureOpening?[] clip =
        [
            new(0.08, 0.10, 0.10),
            new(0.08, 0.10, 0.01), // right eye blinking
            new(0.08, 0.04, 0.10), // left eye half closed
            new(0.08, 0.00, 0.00),
        ];
        var selector = new DonorSelector(clip, new DonorSelectorOptions { EyeThreshold = 0.02 });

        Assert.Equal([new DonorChoice(FaceFeature.RightEye, 1)], selector.Select(0, new FeatureOpening(0.08, 0.10, 0.02)));
        Assert.Equal([new DonorChoice(FaceFeature.LeftEye, 2)], selector.Select(0, new FeatureOpening(0.08, 0.05, 0.10)));
        Assert.Equal(
            [new DonorChoice(FaceFeature.Mouth, 3), new DonorChoice(FaceFeature.LeftEye, 3), new DonorChoice(FaceFeature.RightEye, 3)],
            new DonorSelector([.. clip, new FeatureOpening(0.02, 0.10, 0.10)]).Select(4, new FeatureOpening(0.08, 0.0, 0.0)));

        // Within the threshold, or wider open than the target frame: no eye donor.
        Assert.Empty(selector.Select(0, new FeatureOpening(0.08, 0.085, 0.085)));
        Assert.Empty(selector.Select(1, new FeatureOpening(0.08, 0.10, 0.10)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Bad_arguments_are_rejected()
    {
        var selector = new DonorSelector([Open(0.1)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => selector.Select(1, Open(0.3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => selector.Select(-1, Open(0.3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DonorSelector([], new DonorSelectorOptions { MouthThreshold = -1 }));
        Assert.Throws<ArgumentException>(() => FeatureOpenings.Of(new Vec3[10]));
    }
}
