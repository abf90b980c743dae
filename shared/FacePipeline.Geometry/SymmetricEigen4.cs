namespace FacePipeline.Geometry;

/// <summary>Eigen-decomposition of a symmetric 4x4 matrix by the cyclic Jacobi method.</summary>
internal static class SymmetricEigen4
{
    /// <summary>
    /// The eigenvector of the largest eigenvalue of the symmetric matrix <paramref name="a"/>
    /// (row-major, 16 entries; only read). Returns the eigenvalue too.
    /// </summary>
    public static (double Value, double[] Vector) Largest(ReadOnlySpan<double> a)
    {
        const int n = 4;
        Span<double> m = stackalloc double[n * n];
        a[..(n * n)].CopyTo(m);
        var v = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
        }

        double scale = 0;
        for (var i = 0; i < n * n; i++)
        {
            scale = Math.Max(scale, Math.Abs(m[i]));
        }

        for (var sweep = 0; sweep < 100 && scale > 0; sweep++)
        {
            double off = 0;
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    off += m[(p * n) + q] * m[(p * n) + q];
                }
            }

            if (off <= 1e-32 * scale * scale)
            {
                break;
            }

            for (var p = 0; p < n - 1; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    var apq = m[(p * n) + q];
                    if (Math.Abs(apq) <= 1e-300)
                    {
                        continue;
                    }

                    // Rotation angle that zeroes m[p,q] (Golub & Van Loan, symmetric Schur).
                    var theta = (m[(q * n) + q] - m[(p * n) + p]) / (2 * apq);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    var c = 1 / Math.Sqrt((t * t) + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        // Columns p and q.
                        var mkp = m[(k * n) + p];
                        var mkq = m[(k * n) + q];
                        m[(k * n) + p] = (c * mkp) - (s * mkq);
                        m[(k * n) + q] = (s * mkp) + (c * mkq);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        // Rows p and q.
                        var mpk = m[(p * n) + k];
                        var mqk = m[(q * n) + k];
                        m[(p * n) + k] = (c * mpk) - (s * mqk);
                        m[(q * n) + k] = (s * mpk) + (c * mqk);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        var vkp = v[(k * n) + p];
                        var vkq = v[(k * n) + q];
                        v[(k * n) + p] = (c * vkp) - (s * vkq);
                        v[(k * n) + q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }

        var best = 0;
        for (var i = 1; i < n; i++)
        {
            if (m[(i * n) + i] > m[(best * n) + best])
            {
                best = i;
            }
        }

        var vector = new double[n];
        for (var k = 0; k < n; k++)
        {
            vector[k] = v[(k * n) + best];
        }

        return (m[(best * n) + best], vector);
    }
}
