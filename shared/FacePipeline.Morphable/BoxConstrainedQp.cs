namespace FacePipeline.Morphable;

/// <summary>
/// Exact solver of the box-constrained convex quadratic program
/// <c>min ½ wᵀ H w − gᵀ w  subject to  lower ≤ wᵢ ≤ upper</c> (H symmetric positive definite),
/// the normal-equation form of bounded least squares <c>min ‖A w − b‖² + …</c> with
/// <c>H = AᵀA + …</c>, <c>g = Aᵀb + …</c>.
/// <para>
/// Method: a primal active-set method (the scheme of Stark and Parker's BVLS, on the normal
/// equations). Each variable is free or held at one of its bounds. Solve the equality problem on
/// the free variables (Cholesky of H restricted to them); if that point leaves the box, step towards
/// it only as far as the first bound and hold the variable that hit it; otherwise, when a held
/// variable's gradient points into the box (its KKT multiplier has the wrong sign), free the worst
/// one; stop when none does. Every iterate is feasible and the objective never increases; with H
/// positive definite this ends at the unique minimiser, which satisfies the KKT conditions
/// (free: gradient 0; at the lower bound: gradient ≥ 0; at the upper bound: gradient ≤ 0).
/// A warm start (the previous frame's weights) usually needs only a few iterations.
/// </para>
/// An instance holds scratch buffers for one problem size and is not thread-safe.
/// </summary>
public sealed class BoxConstrainedQp
{
    private readonly int n;
    private readonly double[] factor;
    private readonly double[] rhs;
    private readonly double[] gradient;
    private readonly int[] free;
    private readonly State[] state;
    private readonly double[] lowerBounds;
    private readonly double[] upperBounds;

    /// <summary>Creates a solver for problems with <paramref name="variables"/> unknowns.</summary>
    public BoxConstrainedQp(int variables)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(variables, 1);
        n = variables;
        factor = new double[n * n];
        rhs = new double[n];
        gradient = new double[n];
        free = new int[n];
        state = new State[n];
        lowerBounds = new double[n];
        upperBounds = new double[n];
    }

    private enum State : byte
    {
        Free,
        AtLower,
        AtUpper,
    }

    /// <summary>Number of unknowns.</summary>
    public int Variables => n;

    /// <summary>
    /// Solves the program. <paramref name="w"/> is the start on entry (clamped into the box) and the
    /// minimiser on return. Returns the number of active-set iterations.
    /// </summary>
    /// <param name="h">H, n×n row-major, symmetric positive definite.</param>
    /// <param name="g">g, n values.</param>
    /// <param name="lower">Lower bound of every variable.</param>
    /// <param name="upper">Upper bound of every variable (&gt; lower).</param>
    /// <param name="w">Start and result, n values.</param>
    /// <exception cref="InvalidOperationException">H restricted to the free variables is not positive definite.</exception>
    public int Solve(ReadOnlySpan<double> h, ReadOnlySpan<double> g, double lower, double upper, Span<double> w)
    {
        if (!(upper > lower))
        {
            throw new ArgumentException($"The upper bound {upper} must exceed the lower bound {lower}.", nameof(upper));
        }

        lowerBounds.AsSpan().Fill(lower);
        upperBounds.AsSpan().Fill(upper);
        return SolveCore(h, g, w);
    }

    /// <summary>
    /// As <see cref="Solve(ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, Span{double})"/> with a
    /// bound pair per variable (<c>lower[i] ≤ upper[i]</c>; equal bounds fix the variable).
    /// </summary>
    public int Solve(ReadOnlySpan<double> h, ReadOnlySpan<double> g, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> w)
    {
        if (lower.Length != n || upper.Length != n)
        {
            throw new ArgumentException($"Expected {n} lower and upper bounds; got {lower.Length} and {upper.Length}.");
        }

        for (var i = 0; i < n; i++)
        {
            if (!(upper[i] >= lower[i]))
            {
                throw new ArgumentException($"Variable {i}: the upper bound {upper[i]} is below the lower bound {lower[i]}.", nameof(upper));
            }
        }

        lower.CopyTo(lowerBounds);
        upper.CopyTo(upperBounds);
        return SolveCore(h, g, w);
    }

    /// <summary>The objective <c>½ wᵀ H w − gᵀ w</c> at <paramref name="w"/>.</summary>
    public static double Objective(ReadOnlySpan<double> h, ReadOnlySpan<double> g, ReadOnlySpan<double> w)
    {
        var size = g.Length;
        double value = 0;
        for (var i = 0; i < size; i++)
        {
            var row = h.Slice(i * size, size);
            double hw = 0;
            for (var j = 0; j < size; j++)
            {
                hw += row[j] * w[j];
            }

            value += w[i] * ((0.5 * hw) - g[i]);
        }

        return value;
    }

    private int SolveCore(ReadOnlySpan<double> h, ReadOnlySpan<double> g, Span<double> w)
    {
        if (h.Length != n * n || g.Length != n || w.Length != n)
        {
            throw new ArgumentException($"Expected H {n}×{n}, g and w of {n}; got {h.Length}, {g.Length}, {w.Length}.");
        }

        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            scale = Math.Max(scale, Math.Max(Math.Abs(g[i]), h[(i * n) + i] * Math.Max(upperBounds[i] - lowerBounds[i], 1e-3)));
        }

        var tolerance = 1e-11 * Math.Max(scale, 1e-300);
        for (var i = 0; i < n; i++)
        {
            var (lower, upper) = (lowerBounds[i], upperBounds[i]);
            var v = double.IsFinite(w[i]) ? Math.Clamp(w[i], lower, upper) : lower;
            w[i] = v;
            state[i] = v <= lower ? State.AtLower : v >= upper ? State.AtUpper : State.Free;
        }

        var maxIterations = (10 * n) + 100;
        var iteration = 0;
        while (iteration++ < maxIterations)
        {
            var freeCount = 0;
            for (var i = 0; i < n; i++)
            {
                if (state[i] == State.Free)
                {
                    free[freeCount++] = i;
                }
            }

            if (freeCount > 0)
            {
                SolveFreeSubproblem(h, g, w, freeCount);

                // rhs now holds the free-set minimiser; step towards it as far as the box allows.
                var step = 1.0;
                var blocking = -1;
                for (var k = 0; k < freeCount; k++)
                {
                    var i = free[k];
                    var target = rhs[k];
                    var (lower, upper) = (lowerBounds[i], upperBounds[i]);
                    if (target < lower && w[i] > target)
                    {
                        var s = (w[i] - lower) / (w[i] - target);
                        if (s < step)
                        {
                            step = s;
                            blocking = i;
                        }
                    }
                    else if (target > upper && target > w[i])
                    {
                        var s = (upper - w[i]) / (target - w[i]);
                        if (s < step)
                        {
                            step = s;
                            blocking = i;
                        }
                    }
                }

                for (var k = 0; k < freeCount; k++)
                {
                    var i = free[k];
                    w[i] = Math.Clamp(w[i] + (step * (rhs[k] - w[i])), lowerBounds[i], upperBounds[i]);
                }

                if (blocking >= 0)
                {
                    // Hold the variable that hit its bound (and any that reached one at the same step).
                    for (var k = 0; k < freeCount; k++)
                    {
                        var i = free[k];
                        var (lower, upper) = (lowerBounds[i], upperBounds[i]);
                        if (i == blocking || w[i] <= lower || w[i] >= upper)
                        {
                            var atLower = i == blocking ? rhs[k] < lower : w[i] <= lower;
                            w[i] = atLower ? lower : upper;
                            state[i] = atLower ? State.AtLower : State.AtUpper;
                        }
                    }

                    continue;
                }
            }

            // At the free-set minimiser: free the held variable whose multiplier has the wrong sign.
            Gradient(h, g, w);
            var worst = -1;
            var worstViolation = tolerance;
            for (var i = 0; i < n; i++)
            {
                if (lowerBounds[i] == upperBounds[i])
                {
                    continue; // fixed
                }

                var violation = state[i] switch
                {
                    State.AtLower => -gradient[i],
                    State.AtUpper => gradient[i],
                    _ => 0,
                };
                if (violation > worstViolation)
                {
                    worstViolation = violation;
                    worst = i;
                }
            }

            if (worst < 0)
            {
                return iteration;
            }

            state[worst] = State.Free;
        }

        return iteration;
    }

    /// <summary>The gradient <c>H w − g</c> of the objective at <paramref name="w"/>, into <paramref name="destination"/>.</summary>
    public static void ObjectiveGradient(ReadOnlySpan<double> h, ReadOnlySpan<double> g, ReadOnlySpan<double> w, Span<double> destination)
    {
        var size = g.Length;
        for (var i = 0; i < size; i++)
        {
            var row = h.Slice(i * size, size);
            var s = -g[i];
            for (var j = 0; j < size; j++)
            {
                s += row[j] * w[j];
            }

            destination[i] = s;
        }
    }

    private void Gradient(ReadOnlySpan<double> h, ReadOnlySpan<double> g, ReadOnlySpan<double> w) =>
        ObjectiveGradient(h, g, w, gradient);

    /// <summary>rhs[0..freeCount) = argmin over the free variables with the held ones fixed.</summary>
    private void SolveFreeSubproblem(ReadOnlySpan<double> h, ReadOnlySpan<double> g, ReadOnlySpan<double> w, int freeCount)
    {
        for (var a = 0; a < freeCount; a++)
        {
            var i = free[a];
            var row = h.Slice(i * n, n);
            var s = g[i];
            for (var j = 0; j < n; j++)
            {
                if (state[j] != State.Free)
                {
                    s -= row[j] * w[j];
                }
            }

            rhs[a] = s;
            for (var b = 0; b <= a; b++)
            {
                factor[(a * freeCount) + b] = row[free[b]];
            }
        }

        var sub = factor.AsSpan(0, freeCount * freeCount);
        if (!DenseSolve.Cholesky(sub, freeCount))
        {
            throw new InvalidOperationException("The quadratic program's Hessian is not positive definite on the free variables.");
        }

        DenseSolve.CholeskySolve(sub, freeCount, rhs.AsSpan(0, freeCount));
    }
}
