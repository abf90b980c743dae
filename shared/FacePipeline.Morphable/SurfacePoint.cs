using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>
/// A point on a triangle of the ICT topology: the triangle's index in <see cref="IctFaceModel.Triangles"/>
/// (÷3), its three vertices and barycentric weights (non-negative, summing to 1). Valid for every
/// shape of the model (any identity and expression), since they share the topology.
/// </summary>
public readonly record struct SurfacePoint(int Triangle, int A, int B, int C, float WeightA, float WeightB, float WeightC)
{
    /// <summary>The point on a mesh of the topology (x y z per vertex).</summary>
    public Vec3 Evaluate(ReadOnlySpan<float> positions) =>
        new(
            (WeightA * positions[3 * A]) + (WeightB * positions[3 * B]) + (WeightC * positions[3 * C]),
            (WeightA * positions[(3 * A) + 1]) + (WeightB * positions[(3 * B) + 1]) + (WeightC * positions[(3 * C) + 1]),
            (WeightA * positions[(3 * A) + 2]) + (WeightB * positions[(3 * B) + 2]) + (WeightC * positions[(3 * C) + 2]));

    /// <summary>
    /// The closest point to <paramref name="p"/> on triangle (a, b, c), as barycentric weights
    /// (Ericson, <i>Real-Time Collision Detection</i>, 5.1.5: Voronoi regions of the vertices, edges and face).
    /// </summary>
    public static (double U, double V, double W) ClosestOnTriangle(Vec3 p, Vec3 a, Vec3 b, Vec3 c)
    {
        var ab = b - a;
        var ac = c - a;
        var ap = p - a;
        var d1 = Vec3.Dot(ab, ap);
        var d2 = Vec3.Dot(ac, ap);
        if (d1 <= 0 && d2 <= 0)
        {
            return (1, 0, 0);
        }

        var bp = p - b;
        var d3 = Vec3.Dot(ab, bp);
        var d4 = Vec3.Dot(ac, bp);
        if (d3 >= 0 && d4 <= d3)
        {
            return (0, 1, 0);
        }

        var vc = (d1 * d4) - (d3 * d2);
        if (vc <= 0 && d1 >= 0 && d3 <= 0)
        {
            var t = d1 / (d1 - d3);
            return (1 - t, t, 0);
        }

        var cp = p - c;
        var d5 = Vec3.Dot(ab, cp);
        var d6 = Vec3.Dot(ac, cp);
        if (d6 >= 0 && d5 <= d6)
        {
            return (0, 0, 1);
        }

        var vb = (d5 * d2) - (d1 * d6);
        if (vb <= 0 && d2 >= 0 && d6 <= 0)
        {
            var t = d2 / (d2 - d6);
            return (1 - t, 0, t);
        }

        var va = (d3 * d6) - (d5 * d4);
        if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0)
        {
            var t = (d4 - d3) / ((d4 - d3) + (d5 - d6));
            return (0, 1 - t, t);
        }

        var denominator = 1 / (va + vb + vc);
        var v = vb * denominator;
        var w = vc * denominator;
        return (1 - v - w, v, w);
    }
}
