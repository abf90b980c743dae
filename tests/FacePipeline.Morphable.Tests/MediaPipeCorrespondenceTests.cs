using FacePipeline.Geometry;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Morphable.Tests;

[Collection(IctModelCollection.Name)]
public sealed class MediaPipeCorrespondenceTests(BlendshapeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Residual_is_below_the_stated_bounds()
    {
        var r = fixture.Correspondence.Residual;
        output.WriteLine($"computed in {fixture.CorrespondenceTime.TotalMilliseconds:F0} ms: {r}");

        // After the similarity alignment at the 68 iBUG landmarks (ICT cm; the ICT face is ~9 cm between the outer eye corners):
        // the 51 interior landmarks (brows, nose, eyes, lips) within 0.35 cm on average and 0.8 cm at worst.
        Assert.InRange(r.InteriorLandmarkMeanCm, 0, 0.35);
        Assert.InRange(r.InteriorLandmarkMaxCm, 0, 0.8);
        // The jaw line follows the silhouette in MediaPipe and a fixed contour in ICT: looser.
        Assert.InRange(r.LandmarkMeanCm, 0, 0.6);
        // Every warped MediaPipe point lies within 0.1 cm of the ICT face surface on average, 0.4 cm at worst.
        Assert.InRange(r.SurfaceMeanCm, 0, 0.1);
        Assert.InRange(r.SurfaceMaxCm, 0, 0.4);
        Assert.InRange(r.LipSideConstrainedPoints, 20, 120);
    }

    [Fact]
    public void Points_are_barycentric_on_face_triangles()
    {
        var model = fixture.Model;
        var faceTriangles = MediaPipeCorrespondence.FaceTriangles(model).ToHashSet();
        Assert.Equal(MediaPipeFaceIndices.PointCount, fixture.Correspondence.Points.Count);
        foreach (var p in fixture.Correspondence.Points)
        {
            Assert.Contains(p.Triangle, faceTriangles);
            Assert.Equal([p.A, p.B, p.C], model.Triangles.AsSpan(3 * p.Triangle, 3).ToArray());
            Assert.All(new[] { p.WeightA, p.WeightB, p.WeightC }, w => Assert.InRange(w, -1e-6f, 1 + 1e-6f));
            Assert.Equal(1.0, p.WeightA + p.WeightB + p.WeightC, 5);
        }
    }

    [Fact]
    public void Mirror_points_land_at_mirrored_places()
    {
        // MediaPipe's canonical face is symmetric and so is ICT's mean head: left/right partners
        // (outer eye corners, mouth corners, brow ends, cheek contour) must map to mirrored places.
        var s = fixture.Correspondence.Sample(fixture.Model.Neutral);
        foreach (var (right, left) in new[] { (33, 263), (133, 362), (61, 291), (70, 300), (234, 454), (159, 386), (145, 374) })
        {
            var mirrored = new Vec3(-s[left].X, s[left].Y, s[left].Z);
            Assert.True((s[right] - mirrored).Length < 0.05, $"{right}/{left}: {s[right]} vs {s[left]}");
        }
    }

    [Fact]
    public void Upper_lip_stays_with_the_skull_and_lower_lip_follows_the_jaw()
    {
        // The lips touch in ICT's neutral: without the lip-side rule an upper-lip point could land on the lower lip.
        var jaw = fixture.Correspondence.Sample(fixture.Model.ExpressionDelta("jawOpen"));
        foreach (var i in MediaPipeFaceIndices.InnerLipUpper.Skip(1).SkipLast(1))
        {
            Assert.True(jaw[i].Y > -1.0, $"upper inner lip {i} moves {jaw[i].Y:F2} cm with jawOpen");
        }

        foreach (var i in MediaPipeFaceIndices.InnerLipLower.Skip(2).SkipLast(2))
        {
            Assert.True(jaw[i].Y < -2.0, $"lower inner lip {i} moves only {jaw[i].Y:F2} cm with jawOpen");
        }

        // The lids: eyeBlink_L closes the subject's left eye (MediaPipe's 386 over 374), not the right one.
        var blinkLeft = fixture.Correspondence.Sample(fixture.Model.ExpressionDelta("eyeBlink_L"));
        Assert.True(blinkLeft[386].Y < -0.5 && Math.Abs(blinkLeft[374].Y) < 0.1 && Math.Abs(blinkLeft[159].Y) < 0.01);
    }

    [Fact]
    public void Cache_round_trips_and_is_recomputed_for_other_inputs()
    {
        var scratch = RepoPaths.NewScratchFolder("correspondence");
        try
        {
            var path = Path.Combine(scratch, "mediapipe-correspondence.json");
            var computed = fixture.Correspondence;
            computed.Save(path);
            var loaded = MediaPipeCorrespondence.LoadOrCompute(fixture.Model, fixture.Canonical, path);
            Assert.Equal(computed.Fingerprint, loaded.Fingerprint);
            Assert.Equal(computed.Points, loaded.Points);
            Assert.Equal(computed.Residual, loaded.Residual);
            Assert.Equal(computed.CanonicalToIct, loaded.CanonicalToIct);

            // A cache of other inputs (its fingerprint changed) is replaced by a computed one.
            File.WriteAllText(path, File.ReadAllText(path).Replace(computed.Fingerprint, new string('0', computed.Fingerprint.Length), StringComparison.Ordinal));
            Assert.NotEqual(computed.Fingerprint, MediaPipeCorrespondence.Load(path).Fingerprint);
            var recomputed = MediaPipeCorrespondence.LoadOrCompute(fixture.Model, fixture.Canonical, path);
            Assert.Equal(computed.Fingerprint, recomputed.Fingerprint);
            Assert.Equal(computed.Fingerprint, MediaPipeCorrespondence.Load(path).Fingerprint);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Try_load_says_why_there_is_no_fitter_and_loads_the_installed_model()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-ict-{Guid.NewGuid():N}");
        var (none, problem, error) = BlendshapeFitter.TryLoad(missing, fixture.Canonical);
        Assert.Null(none);
        Assert.Null(error);
        Assert.Contains("scripts/unpack-ict.sh", problem, StringComparison.Ordinal);

        var (fitter, noProblem, _) = BlendshapeFitter.TryLoad(IctModelFixture.Folder, fixture.Canonical);
        Assert.Null(noProblem);
        Assert.Equal(fixture.Fitter.ExpressionCount, fitter!.ExpressionCount);
    }
}
