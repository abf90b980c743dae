namespace FacePipeline.Geometry.Tests.Support;

/// <summary>Renders the canonical face (optionally deformed) as the face mesh would report it.</summary>
internal static class SyntheticFace
{
    /// <summary>Poses the points (R p + t, centimetres) and projects them to pixels + relative Z.</summary>
    public static Vec3[] Render(ReadOnlySpan<Vec3> face, EulerAngles angles, Vec3 translation, int width, int height, double? referenceDepth = null, PerspectiveCamera? camera = null)
    {
        var rotation = angles.ToMatrix();
        var posed = new Vec3[face.Length];
        for (var i = 0; i < face.Length; i++)
        {
            posed[i] = (rotation * face[i]) + translation;
        }

        return (camera ?? PerspectiveCamera.Default).ProjectToScreen(posed, width, height, referenceDepth);
    }

    /// <summary>
    /// "Opens the mouth": the lower lip, chin and jaw below the mouth line move down and slightly
    /// back, by up to <paramref name="openingCm"/>, fading out towards the sides of the face.
    /// </summary>
    public static Vec3[] OpenMouth(ReadOnlySpan<Vec3> face, double openingCm)
    {
        var result = face.ToArray();
        for (var i = 0; i < result.Length; i++)
        {
            var v = result[i];
            // Full effect below y = −4.6 (under the inner lower lip, landmark 14 at −4.54), none above −4.1.
            var vertical = SmoothStep(-4.1, -4.6, v.Y);
            var lateral = SmoothStep(6.5, 4.5, Math.Abs(v.X));
            var amount = openingCm * vertical * lateral;
            result[i] = v + new Vec3(0, -amount, -0.3 * amount);
        }

        return result;
    }

    /// <summary>Closes the eyes a little: upper-lid region moves down.</summary>
    public static Vec3[] Blink(ReadOnlySpan<Vec3> face, double amountCm)
    {
        var result = face.ToArray();
        for (var i = 0; i < result.Length; i++)
        {
            var v = result[i];
            // Upper lids: around y ≈ 3.0–3.8, |x| in 1.8–5.
            var weight = Bump(v.Y, 3.4, 0.6) * Bump(Math.Abs(v.X), 3.4, 1.8);
            result[i] = v + new Vec3(0, -amountCm * weight, 0);
        }

        return result;
    }

    private static double SmoothStep(double edge0, double edge1, double x)
    {
        var t = Math.Clamp((x - edge0) / (edge1 - edge0), 0, 1);
        return t * t * (3 - (2 * t));
    }

    private static double Bump(double x, double center, double halfWidth) =>
        Math.Abs(x - center) >= halfWidth ? 0 : 1 - SmoothStep(0, halfWidth, Math.Abs(x - center));
}
