using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>A robust size of a face, for normalising displacements between identities.</summary>
public static class FaceSize
{
    /// <summary>
    /// For the 468-point mesh: the distance between the eye centres (midpoints of landmarks 33–133
    /// and 362–263, as in the accuracy figures of docs/face-reconstruction.md), insensitive to mouth
    /// and brow motion. Otherwise: the diagonal of the bounding box.
    /// </summary>
    public static double Of(ReadOnlySpan<Vec3> points)
    {
        if (points.Length >= 468)
        {
            var right = (points[33] + points[133]) * 0.5;
            var left = (points[362] + points[263]) * 0.5;
            var d = (left - right).Length;
            if (d > 0)
            {
                return d;
            }
        }

        if (points.Length == 0)
        {
            throw new ArgumentException("No points.");
        }

        Vec3 min = points[0], max = points[0];
        foreach (var p in points)
        {
            min = new Vec3(Math.Min(min.X, p.X), Math.Min(min.Y, p.Y), Math.Min(min.Z, p.Z));
            max = new Vec3(Math.Max(max.X, p.X), Math.Max(max.Y, p.Y), Math.Max(max.Z, p.Z));
        }

        var diagonal = (max - min).Length;
        return diagonal > 0 ? diagonal : throw new ArgumentException("Degenerate face: zero size.");
    }
}
