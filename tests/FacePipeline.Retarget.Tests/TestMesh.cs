using FacePipeline.Geometry;
using FacePipeline.TestSupport;

namespace FacePipeline.Retarget.Tests;

/// <summary>The real canonical mesh from the models folder; a missing file fails the test (never skips).</summary>
internal static class TestMesh
{
    private static readonly Lazy<CanonicalFaceMesh> Mesh = new(() =>
    {
        var path = CanonicalFaceMesh.DefaultPath(RepoPaths.Models);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Test input missing: {path}. Run scripts/fetch-models.sh or set FACEPIPE_MODELS.", path);
        }

        return CanonicalFaceMesh.Load(path);
    });

    public static CanonicalFaceMesh Canonical => Mesh.Value;

    public static Vec3[] Neutral => Canonical.Vertices.ToArray();

    /// <summary>A mouth opening: every point below the lip corners drops (up to 0.8 cm at the chin) and
    /// moves forward a little, growing linearly with depth below the corners.</summary>
    public static Vec3[] MouthOpen(Vec3[] neutral, double amount = 1)
    {
        var corner = (neutral[61].Y + neutral[291].Y) / 2;
        var chin = neutral[152].Y;
        return neutral.Select(p =>
        {
            var w = Math.Clamp((corner - p.Y) / (corner - chin), 0, 1);
            return p + (new Vec3(0, -0.8, 0.2) * (w * amount));
        }).ToArray();
    }

    /// <summary>A brow raise: the brows and the forehead above rise by 0.3 cm, fading out linearly
    /// over the 1.5 cm below the brows (a smooth field, as real expressions are).</summary>
    public static Vec3[] BrowRaise(Vec3[] neutral)
    {
        var brow = FaceRegions.BrowContours.Min(i => neutral[i].Y);
        return neutral.Select(p => p + new Vec3(0, 0.3 * Math.Clamp((p.Y - (brow - 1.5)) / 1.5, 0, 1), 0)).ToArray();
    }
}
