using FacePipeline.Geometry.Tests.Support;
using Xunit.Abstractions;

namespace FacePipeline.Geometry.Tests;

public class MetricLandmarksTests(ITestOutputHelper output)
{
    private static readonly Vec3 Translation = new(2, -1, -50);

    public static TheoryData<double, double, double> Poses()
    {
        var data = new TheoryData<double, double, double>();
        foreach (var yaw in new[] { -30.0, 0, 30 })
        {
            foreach (var pitch in new[] { -30.0, 0, 30 })
            {
                foreach (var roll in new[] { -30.0, 0, 30 })
                {
                    data.Add(yaw, pitch, roll);
                }
            }
        }

        data.Add(17.3, -8.1, 4.2);
        data.Add(-24.9, 12.5, -19.0);
        return data;
    }

    [Theory]
    [MemberData(nameof(Poses))]
    public void The_pose_of_a_rendered_canonical_face_is_recovered(double yaw, double pitch, double roll)
    {
        var mesh = TestMesh.Canonical;
        var estimator = new MetricLandmarks(mesh);
        var angles = new EulerAngles(yaw, pitch, roll);

        foreach (var (width, height) in new[] { (1280, 720), (720, 1280) })
        {
            var screen = SyntheticFace.Render(mesh.Vertices, angles, Translation, width, height);
            var geometry = estimator.Estimate(screen, width, height);
            var (rotationError, translationError) = Errors(geometry.Pose, angles, Translation);
            output.WriteLine($"{width}x{height} ({yaw}, {pitch}, {roll}): rotation error {rotationError:E2}°, translation error {translationError:P4}, scale {geometry.Pose.Scale:F6}");

            Assert.True(rotationError < 1e-6, $"rotation error {rotationError}°");
            Assert.True(translationError < 1e-6, $"translation error {translationError:P4}");
            Assert.Equal(1, geometry.Pose.Scale, 6);
            var recovered = geometry.Pose.Angles;
            Assert.Equal(yaw, recovered.YawDegrees, 5);
            Assert.Equal(pitch, recovered.PitchDegrees, 5);
            Assert.Equal(roll, recovered.RollDegrees, 5);
            // Pose-free landmarks are the canonical face again.
            for (var i = 0; i < mesh.VertexCount; i++)
            {
                Assert.True((geometry.PoseFreeLandmarks[i] - mesh.Vertices[i]).Length < 1e-6, $"vertex {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Poses))]
    public void With_the_mouth_open_the_pose_stays_within_a_degree(double yaw, double pitch, double roll)
    {
        var mesh = TestMesh.Canonical;
        var estimator = new MetricLandmarks(mesh);
        var angles = new EulerAngles(yaw, pitch, roll);
        var open = SyntheticFace.OpenMouth(mesh.Vertices, 1.2);

        var screen = SyntheticFace.Render(open, angles, Translation, 1280, 720);
        var geometry = estimator.Estimate(screen, 1280, 720);
        var (rotationError, translationError) = Errors(geometry.Pose, angles, Translation);
        output.WriteLine($"mouth open 1.2 cm ({yaw}, {pitch}, {roll}): rotation error {rotationError:F3}°, translation error {translationError:P2}");

        Assert.True(rotationError < 1, $"rotation error {rotationError}°");
        Assert.True(translationError < 0.05, $"translation error {translationError:P2}");
        // The expression survives in the pose-free landmarks: the chin moved down by most of the
        // opening (the weighted fit absorbs a little of it: the basis includes jaw-line points).
        var chinDrop = mesh.Vertices[152].Y - geometry.PoseFreeLandmarks[152].Y;
        Assert.InRange(chinDrop, 0.6, 1.5);
        // And the forehead did not move.
        Assert.True((geometry.PoseFreeLandmarks[10] - mesh.Vertices[10]).Length < 0.3);
    }

    [Fact]
    public void Unweighted_Procrustes_would_be_pulled_by_the_expression_the_basis_is_not()
    {
        // The weighted basis exists to separate expression from pose: compare with all-ones weights.
        var mesh = TestMesh.Canonical;
        var open = SyntheticFace.OpenMouth(mesh.Vertices, 1.2);
        var angles = new EulerAngles(10, -5, 3);
        var weighted = new MetricLandmarks(mesh).EstimatePose(SyntheticFace.Render(open, angles, Translation, 1280, 720), 1280, 720);
        var weightedError = weighted.Rotation.AngleTo(angles.ToMatrix()) * 180 / Math.PI;

        var uniform = WeightedProcrustes.Solve(mesh.Vertices, open, Enumerable.Repeat(1.0, mesh.VertexCount).ToArray());
        var uniformError = uniform.Rotation.AngleTo(Matrix3.Identity) * 180 / Math.PI;
        output.WriteLine($"pose error from a 1.2 cm mouth opening: weighted basis {weightedError:F3}°, all landmarks equally {uniformError:F3}°");

        Assert.True(weightedError < uniformError, $"{weightedError} vs {uniformError}");
    }

    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(0.97, 1.0)]
    [InlineData(1.03, 1.0)]
    public void Pixel_noise_and_a_slightly_wrong_z_scale_keep_the_pose_within_bounds(double zScale, double limitDegrees)
    {
        // The face mesh's Z is only "on about the scale of X"; the pipeline trusts it, so an error
        // in that scale tilts the recovered pose (see the report in the output for ±10%).
        var mesh = TestMesh.Canonical;
        var estimator = new MetricLandmarks(mesh);
        var random = new Random(5);
        double worst = 0, worstTranslation = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var angles = new EulerAngles(Rand.Uniform(random, -30, 30), Rand.Uniform(random, -30, 30), Rand.Uniform(random, -30, 30));
            var screen = SyntheticFace.Render(mesh.Vertices, angles, Translation, 1280, 720);
            for (var i = 0; i < screen.Length; i++)
            {
                var noisy = screen[i] + Rand.GaussianVec(random, 0.5);
                screen[i] = noisy with { Z = noisy.Z * zScale };
            }

            var pose = estimator.EstimatePose(screen, 1280, 720);
            var (rotationError, translationError) = Errors(pose, angles, Translation);
            worst = Math.Max(worst, rotationError);
            worstTranslation = Math.Max(worstTranslation, translationError);
        }

        output.WriteLine($"0.5 px noise, Z scale x{zScale}: worst rotation error {worst:F3}°, worst translation error {worstTranslation:P2} over 40 poses within ±30°");
        Assert.True(worst < limitDegrees, $"{worst}°");
        Assert.True(worstTranslation < 0.05, $"{worstTranslation:P2}");
    }

    [Fact]
    public void Iris_landmarks_beyond_468_are_ignored_and_single_precision_input_works()
    {
        var mesh = TestMesh.Canonical;
        var angles = new EulerAngles(5, 10, -5);
        var screen = SyntheticFace.Render(mesh.Vertices, angles, Translation, 640, 480);
        var withIrises = screen.Concat(Enumerable.Repeat(new Vec3(1e6, -1e6, 3), 10)).Select(p => p.ToVector3()).ToArray();

        var pose = new MetricLandmarks(mesh).EstimatePose(withIrises, 640, 480);

        Assert.True(pose.Rotation.AngleTo(angles.ToMatrix()) * 180 / Math.PI < 0.05);
        Assert.Throws<ArgumentException>(() => new MetricLandmarks(mesh).EstimatePose(screen.AsSpan(0, 100), 640, 480));
    }

    [Fact]
    public void Euler_angles_follow_the_documented_convention()
    {
        var random = new Random(3);
        for (var i = 0; i < 100; i++)
        {
            var angles = new EulerAngles(Rand.Uniform(random, -179, 179), Rand.Uniform(random, -89, 89), Rand.Uniform(random, -179, 179));
            var back = EulerAngles.FromMatrix(angles.ToMatrix());
            Assert.Equal(angles.YawDegrees, back.YawDegrees, 9);
            Assert.Equal(angles.PitchDegrees, back.PitchDegrees, 9);
            Assert.Equal(angles.RollDegrees, back.RollDegrees, 9);
        }

        // Seen in the image: +yaw moves the nose tip to the right of the face centre, +pitch moves it
        // down, +roll turns the face anticlockwise (the forehead moves left).
        var mesh = TestMesh.Canonical;
        Vec3 Nose(EulerAngles a) => SyntheticFace.Render(mesh.Vertices, a, new Vec3(0, 0, -50), 1000, 1000)[1];
        Vec3 Forehead(EulerAngles a) => SyntheticFace.Render(mesh.Vertices, a, new Vec3(0, 0, -50), 1000, 1000)[10];
        var front = Nose(default);
        Assert.True(Nose(new EulerAngles(20, 0, 0)).X > front.X + 10);
        Assert.True(Nose(new EulerAngles(0, 20, 0)).Y > front.Y + 10);
        Assert.True(Forehead(new EulerAngles(0, 0, 20)).X < Forehead(default).X - 10);
    }

    private static (double RotationDegrees, double TranslationRelative) Errors(FacePose pose, EulerAngles truth, Vec3 translation) =>
        (pose.Rotation.AngleTo(truth.ToMatrix()) * 180 / Math.PI, (pose.Translation - translation).Length / translation.Length);
}
