using FacePipeline.TestSupport;

namespace FacePipeline.Geometry.Tests.Support;

/// <summary>The real canonical mesh from the models folder; a missing file fails the test (never skips).</summary>
internal static class TestMesh
{
    private static readonly Lazy<CanonicalFaceMesh> Mesh = new(() =>
    {
        var path = CanonicalFaceMesh.DefaultPath(RepoPaths.Models);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Test input missing: {path}. Run scripts/fetch-models.sh (it extracts geometry_pipeline_metadata_landmarks.binarypb from the npm package @mediapipe/face_mesh) or set FACEPIPE_MODELS.",
                path);
        }

        return CanonicalFaceMesh.Load(path);
    });

    public static string Path => CanonicalFaceMesh.DefaultPath(RepoPaths.Models);

    public static CanonicalFaceMesh Canonical => Mesh.Value;
}

/// <summary>Random rotations, points and Gaussian noise.</summary>
internal static class Rand
{
    public static double Gaussian(Random random)
    {
        // Box–Muller.
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static Vec3 GaussianVec(Random random, double sigma) =>
        new(sigma * Gaussian(random), sigma * Gaussian(random), sigma * Gaussian(random));

    public static Matrix3 Rotation(Random random)
    {
        // A uniformly random unit quaternion.
        var q = new QuaternionD(Gaussian(random), Gaussian(random), Gaussian(random), Gaussian(random)).Normalized();
        return q.ToMatrix();
    }

    public static double Uniform(Random random, double min, double max) => min + ((max - min) * random.NextDouble());
}
