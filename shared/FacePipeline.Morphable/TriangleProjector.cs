using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>Closest-point queries against a set of triangles of one mesh (brute force with a bounding-sphere cull).</summary>
internal sealed class TriangleProjector
{
    private readonly int[] triangleIds;
    private readonly int[] corners;
    private readonly Vec3[] a;
    private readonly Vec3[] b;
    private readonly Vec3[] c;
    private readonly Vec3[] centre;
    private readonly double[] radius;

    /// <param name="positions">Mesh positions, x y z per vertex.</param>
    /// <param name="triangleIds">The triangles to search, as indices into the mesh's triangle list.</param>
    /// <param name="triangles">The mesh's triangle list (three vertex indices per triangle).</param>
    public TriangleProjector(ReadOnlySpan<float> positions, int[] triangleIds, ReadOnlySpan<int> triangles)
    {
        this.triangleIds = triangleIds;
        var n = triangleIds.Length;
        corners = new int[3 * n];
        a = new Vec3[n];
        b = new Vec3[n];
        c = new Vec3[n];
        centre = new Vec3[n];
        radius = new double[n];
        for (var k = 0; k < n; k++)
        {
            var t = triangleIds[k];
            for (var j = 0; j < 3; j++)
            {
                corners[(3 * k) + j] = triangles[(3 * t) + j];
            }

            a[k] = Vertex(positions, corners[3 * k]);
            b[k] = Vertex(positions, corners[(3 * k) + 1]);
            c[k] = Vertex(positions, corners[(3 * k) + 2]);
            centre[k] = (a[k] + b[k] + c[k]) / 3;
            radius[k] = Math.Sqrt(Math.Max((a[k] - centre[k]).LengthSquared, Math.Max((b[k] - centre[k]).LengthSquared, (c[k] - centre[k]).LengthSquared)));
        }
    }

    /// <summary>The closest point on an allowed triangle (all when <paramref name="allowed"/> is null) and its distance.</summary>
    public (SurfacePoint Point, double Distance) Closest(Vec3 p, Func<int, bool>? allowed)
    {
        var best = double.PositiveInfinity;
        var bestK = -1;
        (double U, double V, double W) bestUvw = default;
        for (var k = 0; k < a.Length; k++)
        {
            var lowerBound = (p - centre[k]).Length - radius[k];
            if (lowerBound > 0 && lowerBound * lowerBound >= best)
            {
                continue;
            }

            if (allowed is not null && !allowed(triangleIds[k]))
            {
                continue;
            }

            var uvw = SurfacePoint.ClosestOnTriangle(p, a[k], b[k], c[k]);
            var q = (uvw.U * a[k]) + (uvw.V * b[k]) + (uvw.W * c[k]);
            var d = (q - p).LengthSquared;
            if (d < best)
            {
                best = d;
                bestK = k;
                bestUvw = uvw;
            }
        }

        if (bestK < 0)
        {
            throw new InvalidOperationException("No triangle is allowed for this point.");
        }

        var point = new SurfacePoint(triangleIds[bestK], corners[3 * bestK], corners[(3 * bestK) + 1], corners[(3 * bestK) + 2],
            (float)bestUvw.U, (float)bestUvw.V, (float)bestUvw.W);
        return (point, Math.Sqrt(best));
    }

    private static Vec3 Vertex(ReadOnlySpan<float> positions, int v) => new(positions[3 * v], positions[(3 * v) + 1], positions[(3 * v) + 2]);
}
