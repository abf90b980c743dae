namespace FacePipeline.Morphable;

/// <summary>Small dense linear solves on row-major square matrices (double precision).</summary>
internal static class DenseSolve
{
    /// <summary>
    /// Cholesky factorisation of the symmetric positive-definite <paramref name="a"/> (n×n, row-major,
    /// overwritten by L in its lower triangle). False when a pivot is not positive.
    /// </summary>
    public static bool Cholesky(Span<double> a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            var d = rowJ[j];
            for (var k = 0; k < j; k++)
            {
                d -= rowJ[k] * rowJ[k];
            }

            if (!(d > 0))
            {
                return false;
            }

            d = Math.Sqrt(d);
            rowJ[j] = d;
            for (var i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                var s = rowI[j];
                for (var k = 0; k < j; k++)
                {
                    s -= rowI[k] * rowJ[k];
                }

                rowI[j] = s / d;
            }
        }

        return true;
    }

    /// <summary>Solves L Lᵀ x = b in place (<paramref name="b"/> becomes x) with the factor from <see cref="Cholesky"/>.</summary>
    public static void CholeskySolve(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            var row = l.Slice(i * n, n);
            for (var k = 0; k < i; k++)
            {
                s -= row[k] * b[k];
            }

            b[i] = s / row[i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var k = i + 1; k < n; k++)
            {
                s -= l[(k * n) + i] * b[k];
            }

            b[i] = s / l[(i * n) + i];
        }
    }

    /// <summary>
    /// Solves A X = B for a general square A (n×n) and <paramref name="columns"/> right-hand sides
    /// (B is n×columns, row-major), by Gaussian elimination with partial pivoting. A and B are overwritten; B becomes X.
    /// </summary>
    /// <exception cref="InvalidOperationException">A is singular to working precision.</exception>
    public static void Gaussian(Span<double> a, int n, Span<double> b, int columns)
    {
        var scale = 0.0;
        foreach (var v in a)
        {
            scale = Math.Max(scale, Math.Abs(v));
        }

        for (var c = 0; c < n; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < n; r++)
            {
                if (Math.Abs(a[(r * n) + c]) > Math.Abs(a[(pivot * n) + c]))
                {
                    pivot = r;
                }
            }

            if (!(Math.Abs(a[(pivot * n) + c]) > 1e-13 * scale))
            {
                throw new InvalidOperationException("Singular linear system.");
            }

            if (pivot != c)
            {
                SwapRows(a, n, pivot, c);
                SwapRows(b, columns, pivot, c);
            }

            var d = a[(c * n) + c];
            for (var r = c + 1; r < n; r++)
            {
                var f = a[(r * n) + c] / d;
                if (f == 0)
                {
                    continue;
                }

                for (var k = c; k < n; k++)
                {
                    a[(r * n) + k] -= f * a[(c * n) + k];
                }

                for (var k = 0; k < columns; k++)
                {
                    b[(r * columns) + k] -= f * b[(c * columns) + k];
                }
            }
        }

        for (var r = n - 1; r >= 0; r--)
        {
            for (var k = 0; k < columns; k++)
            {
                var s = b[(r * columns) + k];
                for (var j = r + 1; j < n; j++)
                {
                    s -= a[(r * n) + j] * b[(j * columns) + k];
                }

                b[(r * columns) + k] = s / a[(r * n) + r];
            }
        }
    }

    private static void SwapRows(Span<double> m, int width, int i, int j)
    {
        var ri = m.Slice(i * width, width);
        var rj = m.Slice(j * width, width);
        for (var k = 0; k < width; k++)
        {
            (ri[k], rj[k]) = (rj[k], ri[k]);
        }
    }
}
