namespace FacePipeline.Geometry.Tests.Support;

/// <summary>
/// An independent reference for the weighted similarity Procrustes problem: iterative
/// Gauss–Newton on (rotation increment ω, scale, translation), started from a given guess.
/// Residuals √wᵢ (s R aᵢ + t − bᵢ); rotation updated as R ← exp([ω]×) R.
/// </summary>
internal static class GaussNewtonProcrustes
{
    public static SimilarityTransform Refine(SimilarityTransform start, ReadOnlySpan<Vec3> a, ReadOnlySpan<Vec3> b, ReadOnlySpan<double> w, int iterations = 100)
    {
        var r = start.Rotation;
        var s = start.Scale;
        var t = start.Translation;
        var row = new double[7];
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var jtj = new double[7, 7];
            var jtr = new double[7];
            for (var i = 0; i < a.Length; i++)
            {
                if (w[i] == 0)
                {
                    continue;
                }

                var ra = r * a[i];
                var residual = (s * ra) + t - b[i];
                // d(s R a)/dω = −s [R a]× ; columns for ω, s, t per coordinate k.
                for (var k = 0; k < 3; k++)
                {
                    Array.Clear(row);
                    var sra = s * ra;
                    // −[v]× rows: [0, vz, −vy; −vz, 0, vx; vy, −vx, 0]
                    switch (k)
                    {
                        case 0: row[0] = 0; row[1] = sra.Z; row[2] = -sra.Y; break;
                        case 1: row[0] = -sra.Z; row[1] = 0; row[2] = sra.X; break;
                        default: row[0] = sra.Y; row[1] = -sra.X; row[2] = 0; break;
                    }

                    row[3] = k == 0 ? ra.X : k == 1 ? ra.Y : ra.Z;
                    row[4 + k] = 1;
                    var rk = k == 0 ? residual.X : k == 1 ? residual.Y : residual.Z;
                    for (var p = 0; p < 7; p++)
                    {
                        jtr[p] += w[i] * row[p] * rk;
                        for (var q = 0; q < 7; q++)
                        {
                            jtj[p, q] += w[i] * row[p] * row[q];
                        }
                    }
                }
            }

            var delta = Solve(jtj, jtr);
            var omega = new Vec3(-delta[0], -delta[1], -delta[2]);
            var angle = omega.Length;
            if (angle > 0)
            {
                r = Matrix3.AxisAngle(omega, angle) * r;
            }

            s -= delta[3];
            t -= new Vec3(delta[4], delta[5], delta[6]);
            if (angle < 1e-15 && Math.Abs(delta[3]) < 1e-15 && Math.Abs(delta[4]) + Math.Abs(delta[5]) + Math.Abs(delta[6]) < 1e-14)
            {
                break;
            }
        }

        // Re-orthonormalise the accumulated rotation.
        return new SimilarityTransform(QuaternionD.FromMatrix(r).ToMatrix(), t, s);
    }

    private static double[] Solve(double[,] m, double[] rhs)
    {
        var n = rhs.Length;
        var a = (double[,])m.Clone();
        var x = (double[])rhs.Clone();
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = r;
                }
            }

            for (var c = 0; c < n; c++)
            {
                (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
            }

            (x[col], x[pivot]) = (x[pivot], x[col]);
            for (var r = col + 1; r < n; r++)
            {
                var f = a[r, col] / a[col, col];
                for (var c = col; c < n; c++)
                {
                    a[r, c] -= f * a[col, c];
                }

                x[r] -= f * x[col];
            }
        }

        for (var r = n - 1; r >= 0; r--)
        {
            for (var c = r + 1; c < n; c++)
            {
                x[r] -= a[r, c] * x[c];
            }

            x[r] /= a[r, r];
        }

        return x;
    }
}
