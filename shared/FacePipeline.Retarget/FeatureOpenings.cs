using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// How open the mouth and each eye are, in units of the face's <see cref="FaceSize"/> (so identities
/// compare). A canonical neutral face: mouth ≈ 0.087, eyes ≈ 0.10; a closed eye ≈ 0.
/// </summary>
/// <param name="Mouth">Mean inner-lip gap (<see cref="FeatureOpenings.MouthPairs"/>) / face size.</param>
/// <param name="LeftEye">Mean lid gap of the subject's left eye (<see cref="FeatureOpenings.LeftEyePairs"/>) / face size.</param>
/// <param name="RightEye">Mean lid gap of the subject's right eye (<see cref="FeatureOpenings.RightEyePairs"/>) / face size.</param>
public readonly record struct FeatureOpening(double Mouth, double LeftEye, double RightEye)
{
    /// <summary>The opening of one feature.</summary>
    public double Of(FaceFeature feature) => feature switch
    {
        FaceFeature.Mouth => Mouth,
        FaceFeature.LeftEye => LeftEye,
        FaceFeature.RightEye => RightEye,
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, "Unknown feature."),
    };
}

/// <summary>Measures <see cref="FeatureOpening"/>s of pose-free 468-point faces (canonical frame, cm).</summary>
public static class FeatureOpenings
{
    /// <summary>Facing inner-lip points, upper then lower: the five middle pairs (13–14 at the centre).</summary>
    public static IReadOnlyList<(int Upper, int Lower)> MouthPairs { get; } = [(81, 178), (82, 87), (13, 14), (312, 317), (311, 402)];

    /// <summary>Facing lid-margin points of the subject's left eye, upper then lower (386–374 at the centre).</summary>
    public static IReadOnlyList<(int Upper, int Lower)> LeftEyePairs { get; } = [(387, 373), (386, 374), (385, 380)];

    /// <summary>Facing lid-margin points of the subject's right eye, upper then lower (159–145 at the centre).</summary>
    public static IReadOnlyList<(int Upper, int Lower)> RightEyePairs { get; } = [(160, 144), (159, 145), (158, 153)];

    /// <summary>
    /// The openings of <paramref name="face"/>: for each feature, the mean distance between its facing
    /// pairs, divided by <see cref="FaceSize.Of"/>(<paramref name="face"/>).
    /// </summary>
    public static FeatureOpening Of(ReadOnlySpan<Vec3> face)
    {
        if (face.Length != WarpMesh.FacePointCount)
        {
            throw new ArgumentException($"Expected the {WarpMesh.FacePointCount}-point face mesh, got {face.Length} points.", nameof(face));
        }

        var size = FaceSize.Of(face);
        return new FeatureOpening(
            MeanGap(face, MouthPairs) / size,
            MeanGap(face, LeftEyePairs) / size,
            MeanGap(face, RightEyePairs) / size);
    }

    private static double MeanGap(ReadOnlySpan<Vec3> face, IReadOnlyList<(int Upper, int Lower)> pairs)
    {
        var sum = 0.0;
        foreach (var (upper, lower) in pairs)
        {
            sum += (face[upper] - face[lower]).Length;
        }

        return sum / pairs.Count;
    }
}
