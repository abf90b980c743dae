namespace FacePipeline.Morphable.Tests;

[Trait("Lane", "Fast")]
public sealed class BoxConstrainedQpTests
{
    [Fact]
    public void Solution_satisfies_the_KKT_conditions_on_random_problems()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = random.Next(1, 25);
            var (h, g) = RandomProblem(random, n);
            var w = new double[n];
            var qp = new BoxConstrainedQp(n);
            qp.Solve(h, g, 0, 1, w);
            AssertKkt(h, g, w, new double[n], Enumerable.Repeat(1.0, n).ToArray());
        }
    }

    [Fact]
    public void Warm_start_gives_the_same_minimiser()
    {
        var random = new Random(5);
        var (h, g) = RandomProblem(random, 30);
        var cold = new double[30];
        var qp = new BoxConstrainedQp(30);
        qp.Solve(h, g, 0, 1, cold);
        var warm = Enumerable.Range(0, 30).Select(_ => random.NextDouble() * 3 - 1).ToArray(); // also outside the box
        qp.Solve(h, g, 0, 1, warm);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(cold[i], warm[i], 9);
        }
    }

    [Fact]
    public void Per_variable_bounds_can_fix_a_variable()
    {
        var random = new Random(3);
        var (h, g) = RandomProblem(random, 12);
        var lower = new double[12];
        var upper = Enumerable.Repeat(1.0, 12).ToArray();
        upper[4] = 0; // held at 0
        lower[7] = upper[7] = 0.25; // fixed inside
        var w = new double[12];
        new BoxConstrainedQp(12).Solve(h, g, lower, upper, w);
        Assert.Equal(0, w[4]);
        Assert.Equal(0.25, w[7]);
        AssertKkt(h, g, w, lower, upper);
    }

    [Fact]
    public void Unconstrained_interior_minimum_is_the_linear_solution()
    {
        // H = diag(2, 4), g = (1, 1): minimiser (0.5, 0.25), inside the box.
        double[] h = [2, 0, 0, 4];
        double[] g = [1, 1];
        var w = new double[2];
        new BoxConstrainedQp(2).Solve(h, g, 0, 1, w);
        Assert.Equal(0.5, w[0], 12);
        Assert.Equal(0.25, w[1], 12);
        Assert.Equal(-0.375, BoxConstrainedQp.Objective(h, g, w), 12);
    }

    private static (double[] H, double[] G) RandomProblem(Random random, int n)
    {
        // H = AᵀA + 0.01 I with A (n+3)×n: positive definite, correlated like a blendshape Gram matrix.
        var m = n + 3;
        var a = new double[m * n];
        for (var k = 0; k < a.Length; k++)
        {
            a[k] = (random.NextDouble() * 2) - 1;
        }

        var h = new double[n * n];
        var g = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var r = 0; r < m; r++)
                {
                    s += a[(r * n) + i] * a[(r * n) + j];
                }

                h[(i * n) + j] = s + (i == j ? 0.01 : 0);
            }

            g[i] = ((random.NextDouble() * 2) - 1) * n;
        }

        return (h, g);
    }

    private static void AssertKkt(double[] h, double[] g, double[] w, double[] lower, double[] upper)
    {
        var n = g.Length;
        var gradient = new double[n];
        BoxConstrainedQp.ObjectiveGradient(h, g, w, gradient);
        var tolerance = 1e-7 * Math.Max(1, g.Max(Math.Abs));
        for (var i = 0; i < n; i++)
        {
            Assert.InRange(w[i], lower[i], upper[i]);
            if (lower[i] == upper[i])
            {
                continue;
            }

            if (w[i] <= lower[i])
            {
                Assert.True(gradient[i] >= -tolerance, $"at lower bound with gradient {gradient[i]}");
            }
            else if (w[i] >= upper[i])
            {
                Assert.True(gradient[i] <= tolerance, $"at upper bound with gradient {gradient[i]}");
            }
            else
            {
                Assert.True(Math.Abs(gradient[i]) <= tolerance, $"free with gradient {gradient[i]}");
            }
        }
    }
}
