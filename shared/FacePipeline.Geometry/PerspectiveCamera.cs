namespace FacePipeline.Geometry;

/// <summary>The camera frustum's extent on its near plane, in centimetres.</summary>
public readonly record struct Frustum(double Left, double Right, double Bottom, double Top, double Near, double Far)
{
    /// <summary>Width of the near plane.</summary>
    public double Width => Right - Left;

    /// <summary>Height of the near plane.</summary>
    public double Height => Top - Bottom;
}

/// <summary>
/// The virtual perspective camera of MediaPipe's face geometry module (its <c>Environment</c>):
/// a pinhole at the origin of the metric frame looking down −Z, +X to the image's right, +Y up
/// (right-handed, OpenGL-like), with a vertical field of view (default 63°), near and far planes
/// (default 1 and 10000; units are centimetres). The horizontal extent follows the image aspect
/// ratio, so pixels are square and the principal point is the image centre.
/// <para>
/// Screen landmarks are in pixels with the origin at the image's top-left corner, +Y down, and a
/// relative Z in pixels on the scale of X that grows away from the camera (MediaPipe's face mesh
/// convention: left-handed).
/// </para>
/// </summary>
public sealed record PerspectiveCamera(double VerticalFovDegrees = 63, double Near = 1, double Far = 10000)
{
    /// <summary>MediaPipe's default camera: 63° vertical field of view, near 1, far 10000.</summary>
    public static PerspectiveCamera Default { get; } = new();

    /// <summary>The frustum for a frame of the given size (pixels).</summary>
    public Frustum FrustumFor(int frameWidth, int frameHeight)
    {
        ValidateFrame(frameWidth, frameHeight);
        if (!(VerticalFovDegrees > 0 && VerticalFovDegrees < 180) || !(Near > 0) || !(Far > Near))
        {
            throw new InvalidOperationException($"Invalid camera: fov {VerticalFovDegrees}°, near {Near}, far {Far}.");
        }

        var heightAtNear = 2 * Near * Math.Tan(0.5 * VerticalFovDegrees * Math.PI / 180);
        var widthAtNear = frameWidth * heightAtNear / frameHeight;
        return new Frustum(-0.5 * widthAtNear, 0.5 * widthAtNear, -0.5 * heightAtNear, 0.5 * heightAtNear, Near, Far);
    }

    /// <summary>Focal length in pixels (the same horizontally and vertically).</summary>
    public double FocalLengthPixels(int frameWidth, int frameHeight) =>
        frameHeight / (2 * Math.Tan(0.5 * VerticalFovDegrees * Math.PI / 180));

    /// <summary>
    /// Projects metric camera-frame points (centimetres, in front of the camera: Z &lt; 0) to
    /// screen landmarks as the face mesh reports them: pixel X, Y (top-left origin, +Y down) and a
    /// relative Z in pixels, <c>(depth − referenceDepth) · f / referenceDepth</c> with f the focal
    /// length in pixels and depth = −Z (weak perspective around <paramref name="referenceDepth"/>,
    /// default: the points' mean depth). The face mesh's Z has an arbitrary offset; the geometry
    /// pipeline only uses differences.
    /// </summary>
    public Vec3[] ProjectToScreen(ReadOnlySpan<Vec3> metricPoints, int frameWidth, int frameHeight, double? referenceDepth = null)
    {
        ValidateFrame(frameWidth, frameHeight);
        var focal = FocalLengthPixels(frameWidth, frameHeight);
        double reference;
        if (referenceDepth is { } given)
        {
            reference = given;
        }
        else
        {
            double sum = 0;
            foreach (var p in metricPoints)
            {
                sum += -p.Z;
            }

            reference = sum / Math.Max(1, metricPoints.Length);
        }

        var result = new Vec3[metricPoints.Length];
        for (var i = 0; i < metricPoints.Length; i++)
        {
            var p = metricPoints[i];
            var depth = -p.Z;
            if (!(depth > 0))
            {
                throw new ArgumentException($"Point {i} ({p}) is not in front of the camera (Z must be negative).", nameof(metricPoints));
            }

            var x = (0.5 * frameWidth) + (focal * p.X / depth);
            var y = (0.5 * frameHeight) - (focal * p.Y / depth);
            var z = (depth - reference) * focal / reference;
            result[i] = new Vec3(x, y, z);
        }

        return result;
    }

    internal static void ValidateFrame(int frameWidth, int frameHeight)
    {
        if (frameWidth <= 0 || frameHeight <= 0)
        {
            throw new ArgumentException($"Invalid frame size {frameWidth}x{frameHeight}.");
        }
    }
}
