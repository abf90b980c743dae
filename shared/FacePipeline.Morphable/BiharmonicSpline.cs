using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>
/// A smoothing 3D biharmonic spline (radial basis φ(r) = r plus an affine part) giving an offset
/// field that takes centres <c>cₖ</c> to targets <c>tₖ</c>: solves
/// <c>[Φ + λ W⁻¹  P; Pᵀ 0] [α; β] = [t − c; 0]</c> with <c>Φᵢⱼ = ‖cᵢ − cⱼ‖</c>, <c>P = [1 x y z]</c>.
/// λ = 0 interpolates; a landmark of weight w is followed less closely as λ/w grows.
/// </summary>
internal sealed class BiharmonicSpline
{
    private readonly Vec3[] centres;
    private readonly double[] coefficients; // (n + 4) × 3, row-major

    private BiharmonicSpline(Vec3[] centres, double[] coefficients)
    {
        this.centres = centres;
        this.coefficients = coefficients;
    }

    public static BiharmonicSpline Fit(ReadOnlySpan<Vec3> centres, ReadOnlySpan<Vec3> targets, ReadOnlySpan<double> weights, double smoothing)
    {
        var n = centres.Length;
        var size = n + 4;
        var a = new double[size * size];
        var b = new double[size * 3];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                a[(i * size) + j] = (centres[i] - centres[j]).Length;
            }

            a[(i * size) + i] += smoothing / weights[i];
            ReadOnlySpan<double> poly = [1, centres[i].X, centres[i].Y, centres[i].Z];
            for (var k = 0; k < 4; k++)
            {
                a[(i * size) + n + k] = poly[k];
                a[((n + k) * size) + i] = poly[k];
            }

            var d = targets[i] - centres[i];
            b[3 * i] = d.X;
            b[(3 * i) + 1] = d.Y;
            b[(3 * i) + 2] = d.Z;
        }

        DenseSolve.Gaussian(a, size, b, 3);
        return new BiharmonicSpline(centres.ToArray(), b);
    }

    public Vec3 Offset(Vec3 p)
    {
        var n = centres.Length;
        double x = 0, y = 0, z = 0;
        for (var k = 0; k < n; k++)
        {
            var r = (p - centres[k]).Length;
            x += coefficients[3 * k] * r;
            y += coefficients[(3 * k) + 1] * r;
            z += coefficients[(3 * k) + 2] * r;
        }

        ReadOnlySpan<double> poly = [1, p.X, p.Y, p.Z];
        for (var k = 0; k < 4; k++)
        {
            x += coefficients[(3 * (n + k))] * poly[k];
            y += coefficients[(3 * (n + k)) + 1] * poly[k];
            z += coefficients[(3 * (n + k)) + 2] * poly[k];
        }

        return new Vec3(x, y, z);
    }
}
