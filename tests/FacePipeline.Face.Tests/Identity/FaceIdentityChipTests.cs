namespace FacePipeline.Face.Tests.Identity;

/// <summary>The chip geometry and the distance, without the model.</summary>
[Trait("Lane", "Fast")]
public sealed class FaceIdentityChipTests
{
    private const int Size = FaceIdentityChip.Size;

    [Fact]
    public void Anchors_follow_dlibs_chip_layout_with_level_eyes_and_mouth_corners()
    {
        var a = FaceIdentityChip.Anchors;

        // dlib: chip = (mean face + 0.25) / 1.5 * 150, e.g. nose tip iBUG 30 at (0.490127, 0.515625).
        Assert.Equal(74.0127, a[2].X, 4);
        Assert.Equal(76.5625, a[2].Y, 4);
        Assert.Equal(a[0].Y, a[1].Y, 9);
        Assert.Equal(a[3].Y, a[4].Y, 9);
        Assert.True(a[0].X < a[2].X && a[2].X < a[1].X, "the nose lies between the eyes");
        Assert.True(a[0].Y < a[2].Y && a[2].Y < a[3].Y, "eyes above the nose above the mouth");
        Assert.Equal(52.391, a[1].X - a[0].X, 3); // eye distance in chip pixels
    }

    [Fact]
    public void Fit_recovers_a_similarity_transform_exactly()
    {
        var truth = new FaceIdentityAlignment(1.7 * Math.Cos(0.3), 1.7 * Math.Sin(0.3), 210.5, -33.25);
        var targets = FaceIdentityChip.Anchors.Select(p => truth.ToImage(p.X, p.Y)).ToArray();

        var fit = FaceIdentityChip.Fit(FaceIdentityChip.Anchors, targets);

        Assert.Equal(truth.A, fit.A, 9);
        Assert.Equal(truth.B, fit.B, 9);
        Assert.Equal(truth.Tx, fit.Tx, 9);
        Assert.Equal(truth.Ty, fit.Ty, 9);
        Assert.Equal(1.7, fit.Scale, 9);
        Assert.Equal(0.3, fit.Rotation, 9);
    }

    [Fact]
    public void Fit_is_least_squares_over_the_five_anchors_not_an_exact_match_of_two()
    {
        var targets = FaceIdentityChip.Anchors.Select(p => (p.X, p.Y)).ToArray();
        targets[2] = (targets[2].X + 10, targets[2].Y); // the nose pulled 10 px to one side

        var fit = FaceIdentityChip.Fit(FaceIdentityChip.Anchors, targets);

        // Least squares maps the anchors' centroid onto the targets' (moved by a fifth of the
        // displacement) and leaves the nose off its target: no anchor is matched exactly.
        var (cx, cy) = (FaceIdentityChip.Anchors.Average(p => p.X), FaceIdentityChip.Anchors.Average(p => p.Y));
        var centroid = fit.ToImage(cx, cy);
        Assert.Equal(cx + 2, centroid.X, 9);
        Assert.Equal(cy, centroid.Y, 9);
        var nose = fit.ToImage(FaceIdentityChip.Anchors[2].X, FaceIdentityChip.Anchors[2].Y);
        Assert.InRange(targets[2].X - nose.X, 5, 9);
        Assert.NotEqual(0.0, fit.B);
    }

    [Fact]
    public void Landmarks_on_the_canonical_anchors_cut_the_frame_itself()
    {
        var frame = Pattern(Size, Size);
        var landmarks = CanonicalLandmarks(offsetX: 0, offsetY: 0, scale: 1);
        var chip = new byte[Size * Size * 3];

        var alignment = FaceIdentityChip.Cut(frame, Size, Size, landmarks, chip);

        // Landmarks are float32: the identity up to their rounding.
        Assert.Equal(1.0, alignment.A, 6);
        Assert.Equal(0.0, alignment.B, 6);
        Assert.Equal(0.0, alignment.Tx, 4);
        Assert.Equal(0.0, alignment.Ty, 4);
        Assert.Equal(frame, chip);
    }

    [Fact]
    public void Chip_pixels_outside_the_frame_are_black()
    {
        var frame = Enumerable.Repeat((byte)200, 100 * 100 * 3).ToArray();
        var chip = new byte[Size * Size * 3];

        // The canonical face shifted so that the chip's left 60 columns fall left of the frame.
        FaceIdentityChip.Cut(frame, 100, 100, CanonicalLandmarks(offsetX: -60, offsetY: -20, scale: 1), chip);

        Assert.Equal(0, chip[((75 * Size) + 10) * 3]);       // column 10: image x = -50
        Assert.Equal(200, chip[((75 * Size) + 100) * 3]);    // column 100: image x = 40
        Assert.Equal(0, chip[((140 * Size) + 100) * 3]);     // row 140: image y = 120
    }

    [Fact]
    public void A_face_larger_than_the_chip_is_averaged_over_each_chip_pixels_footprint()
    {
        // A one-pixel checkerboard at twice the chip's resolution: plain bilinear sampling at the
        // footprint centres would alias it; averaging the footprint gives mid-grey.
        const int big = 2 * Size;
        var frame = new byte[big * big * 3];
        for (var y = 0; y < big; y++)
        {
            for (var x = 0; x < big; x++)
            {
                frame.AsSpan(((y * big) + x) * 3, 3).Fill((x + y) % 2 == 0 ? (byte)0 : (byte)254);
            }
        }

        var chip = new byte[Size * Size * 3];
        var alignment = FaceIdentityChip.Cut(frame, big, big, CanonicalLandmarks(0, 0, scale: 2), chip);

        Assert.Equal(2.0, alignment.Scale, 6);

        // Chip pixel (u, v) is centred on image pixel (2u, 2v) (dlib's index convention), so
        // column and row 0 reach half a pixel outside the frame; every other pixel is grey.
        for (var v = 1; v < Size; v++)
        {
            for (var u = 1; u < Size; u++)
            {
                Assert.InRange(chip[((v * Size) + u) * 3], 126, 128);
            }
        }
    }

    [Fact]
    public void Cut_needs_the_468_mesh_landmarks()
    {
        var chip = new byte[Size * Size * 3];

        Assert.Throws<ArgumentException>(() => FaceIdentityChip.Cut(new byte[30], 10, 1, new Landmark[68], chip));
    }

    [Fact]
    public void Distance_is_euclidean()
    {
        float[] a = [1, 2, 3, 4];
        float[] b = [1, 5, 3, 0];

        Assert.Equal(5f, FaceIdentityEmbedder.Distance(a, b), 6);
        Assert.Equal(0f, FaceIdentityEmbedder.Distance(a, a));
        Assert.True(FaceIdentityEmbedder.IsSamePerson([0.1f, 0.2f], [0.3f, 0.4f]));
        Assert.False(FaceIdentityEmbedder.IsSamePerson([0f, 0f], [0.6f, 0f]));
    }

    [Fact]
    public void Distance_rejects_descriptors_of_different_lengths()
    {
        Assert.Throws<ArgumentException>(() => FaceIdentityEmbedder.Distance(new float[128], new float[127]));
    }

    /// <summary>468 landmarks (pixels, continuous coordinates) with the five anchors at the chip layout, scaled and shifted.</summary>
    private static Landmark[] CanonicalLandmarks(double offsetX, double offsetY, double scale)
    {
        var points = new Landmark[468];
        var anchors = FaceIdentityChip.Anchors;
        Landmark At(double x, double y) => new((float)((x * scale) + offsetX + 0.5), (float)((y * scale) + offsetY + 0.5), 0);

        // Eye centres are the midpoints of the corners: put both corners 10 px either side.
        points[FaceIdentityChip.RightEyeOuter] = At(anchors[0].X - 10, anchors[0].Y);
        points[FaceIdentityChip.RightEyeInner] = At(anchors[0].X + 10, anchors[0].Y);
        points[FaceIdentityChip.LeftEyeInner] = At(anchors[1].X - 10, anchors[1].Y);
        points[FaceIdentityChip.LeftEyeOuter] = At(anchors[1].X + 10, anchors[1].Y);
        points[FaceIdentityChip.NoseTip] = At(anchors[2].X, anchors[2].Y);
        points[FaceIdentityChip.MouthRight] = At(anchors[3].X, anchors[3].Y);
        points[FaceIdentityChip.MouthLeft] = At(anchors[4].X, anchors[4].Y);
        return points;
    }

    private static byte[] Pattern(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i * 37) % 251);
        }

        return pixels;
    }
}
