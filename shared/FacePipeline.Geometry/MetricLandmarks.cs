namespace FacePipeline.Geometry;

/// <summary>
/// A head pose: the similarity transform taking the canonical face (centimetres) into the metric
/// camera frame of <see cref="PerspectiveCamera"/> (MediaPipe's <c>pose_transform_matrix</c>).
/// </summary>
/// <param name="Rotation">Proper rotation, canonical → camera frame.</param>
/// <param name="Translation">Where the canonical origin lands, in centimetres (Z &lt; 0: in front of the camera).</param>
/// <param name="Scale">Canonical → metric scale; about 1 by construction (the geometry pipeline
/// resolves the size/distance ambiguity by assuming a canonical-sized face).</param>
public readonly record struct FacePose(Matrix3 Rotation, Vec3 Translation, double Scale)
{
    /// <summary>Yaw, pitch and roll in degrees (convention: <see cref="EulerAngles"/>).</summary>
    public EulerAngles Angles => EulerAngles.FromMatrix(Rotation);

    /// <summary>The pose as a similarity transform.</summary>
    public SimilarityTransform Transform => new(Rotation, Translation, Scale);

    /// <summary>Canonical → camera frame.</summary>
    public Vec3 Apply(Vec3 canonicalPoint) => Transform.Apply(canonicalPoint);

    /// <summary>Camera frame → canonical frame.</summary>
    public Vec3 ApplyInverse(Vec3 metricPoint) => Transform.ApplyInverse(metricPoint);

    /// <summary>The 4x4 homogeneous matrix, row-major: [sR t; 0 0 0 1].</summary>
    public double[] ToRowMajor4x4()
    {
        var m = new double[16];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                m[(r * 4) + c] = Scale * Rotation[r, c];
            }
        }

        m[3] = Translation.X;
        m[7] = Translation.Y;
        m[11] = Translation.Z;
        m[15] = 1;
        return m;
    }
}

/// <summary>One face's geometry in one frame.</summary>
/// <param name="Pose">The head pose.</param>
/// <param name="MetricLandmarks">The landmarks in the metric camera frame (centimetres).</param>
/// <param name="PoseFreeLandmarks">The metric landmarks brought into the canonical frame (inverse
/// pose applied): what remains is the face's shape and expression, comparable across frames and
/// with <see cref="CanonicalFaceMesh.Vertices"/>.</param>
public sealed record FaceGeometry(FacePose Pose, Vec3[] MetricLandmarks, Vec3[] PoseFreeLandmarks);

/// <summary>
/// Converts screen landmarks (pixels + relative Z, see <see cref="PerspectiveCamera"/>) into metric
/// 3D landmarks and a head pose, as MediaPipe's face geometry pipeline (geometry_pipeline.cc) does,
/// in double precision:
/// <list type="number">
/// <item>Project X and Y onto the camera's near plane; scale the relative Z like X.</item>
/// <item>Estimate the canonical → runtime scale with weighted Procrustes on these near-plane
/// points (Z flipped to the right-handed frame), without unprojecting: the relative Z has no
/// absolute depth yet.</item>
/// <item>Use the scale to give the points depth (<c>depth = (Z − mean Z + near) / scale</c>),
/// unproject X and Y with it, and run Procrustes again; multiply the scales. MediaPipe does this
/// once; <see cref="ScaleRefinements"/> allows more (each converges further on the scale at which
/// the unprojected face is canonical-sized; for a face that matches the pinhole model exactly, one
/// is already exact).</item>
/// <item>Unproject with the total scale: the metric landmarks. Procrustes against the canonical
/// mesh gives the pose; its inverse gives the pose-free landmarks.</item>
/// </list>
/// Only the first <see cref="CanonicalFaceMesh.VertexCount"/> landmarks are used (478-landmark
/// input with irises works; the irises are ignored). Only the face landmark pipeline input (3D
/// landmarks with relative Z) is supported.
/// </summary>
public sealed class MetricLandmarks
{
    private readonly CanonicalFaceMesh mesh;
    private readonly Vec3[] canonical;
    private readonly double[] weights;

    /// <summary>Creates the converter.</summary>
    /// <param name="mesh">The canonical face and its Procrustes basis.</param>
    /// <param name="camera">The virtual camera; default <see cref="PerspectiveCamera.Default"/>.</param>
    /// <param name="scaleRefinements">Unprojection/Procrustes rounds after the first scale estimate (≥ 1; MediaPipe: 1).</param>
    public MetricLandmarks(CanonicalFaceMesh mesh, PerspectiveCamera? camera = null, int scaleRefinements = 1)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentOutOfRangeException.ThrowIfLessThan(scaleRefinements, 1);
        if (mesh.InputSource == InputSource.FaceDetectionPipeline)
        {
            throw new ArgumentException("Metadata for face-detection input (2D keypoints) is not supported; use the landmarks metadata.", nameof(mesh));
        }

        this.mesh = mesh;
        canonical = mesh.Vertices.ToArray();
        weights = mesh.VertexWeights.ToArray();
        Camera = camera ?? PerspectiveCamera.Default;
        ScaleRefinements = scaleRefinements;
    }

    /// <summary>The virtual camera.</summary>
    public PerspectiveCamera Camera { get; }

    /// <summary>Unprojection/Procrustes rounds after the first scale estimate.</summary>
    public int ScaleRefinements { get; }

    /// <summary>The canonical face.</summary>
    public CanonicalFaceMesh Mesh => mesh;

    /// <summary>The head pose from screen landmarks (pixels + relative Z) of a frame of the given size.</summary>
    public FacePose EstimatePose(ReadOnlySpan<Vec3> landmarksPx, int frameWidth, int frameHeight) =>
        Estimate(landmarksPx, frameWidth, frameHeight).Pose;

    /// <summary>Single-precision convenience overload of <see cref="EstimatePose(ReadOnlySpan{Vec3}, int, int)"/>.</summary>
    public FacePose EstimatePose(ReadOnlySpan<System.Numerics.Vector3> landmarksPx, int frameWidth, int frameHeight) =>
        Estimate(Vec3.From(landmarksPx), frameWidth, frameHeight).Pose;

    /// <summary>Single-precision convenience overload of <see cref="Estimate(ReadOnlySpan{Vec3}, int, int)"/>.</summary>
    public FaceGeometry Estimate(ReadOnlySpan<System.Numerics.Vector3> landmarksPx, int frameWidth, int frameHeight) =>
        Estimate(Vec3.From(landmarksPx), frameWidth, frameHeight);

    /// <summary>Pose, metric landmarks and pose-free landmarks from screen landmarks.</summary>
    /// <exception cref="ArgumentException">Fewer landmarks than the canonical mesh has vertices, or a bad frame size.</exception>
    /// <exception cref="InvalidOperationException">Degenerate landmarks (e.g. all at one point).</exception>
    public FaceGeometry Estimate(ReadOnlySpan<Vec3> landmarksPx, int frameWidth, int frameHeight)
    {
        var n = canonical.Length;
        if (landmarksPx.Length < n)
        {
            throw new ArgumentException($"{landmarksPx.Length} landmarks given; the canonical mesh has {n}.", nameof(landmarksPx));
        }

        var frustum = Camera.FrustumFor(frameWidth, frameHeight);

        // (1) Near-plane X, Y (Y flipped: screen origin top-left), Z scaled like X.
        var screen = new Vec3[n];
        double depthOffset = 0;
        for (var i = 0; i < n; i++)
        {
            var p = landmarksPx[i];
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || !double.IsFinite(p.Z))
            {
                throw new ArgumentException($"Landmark {i} is not finite: {p}.", nameof(landmarksPx));
            }

            var x = (p.X / frameWidth * frustum.Width) + frustum.Left;
            var y = ((1 - (p.Y / frameHeight)) * frustum.Height) + frustum.Bottom;
            var z = p.Z / frameWidth * frustum.Width;
            screen[i] = new Vec3(x, y, z);
            depthOffset += z;
        }

        depthOffset /= n;

        // (2) First scale estimate on the near-plane points, handedness changed (Z → −Z).
        var runtime = new Vec3[n];
        for (var i = 0; i < n; i++)
        {
            runtime[i] = screen[i] with { Z = -screen[i].Z };
        }

        var totalScale = WeightedProcrustes.Solve(canonical, runtime, weights).Scale;

        // (3) Unproject with the current scale and refine it.
        for (var round = 0; round < ScaleRefinements; round++)
        {
            Unproject(screen, frustum, depthOffset, totalScale, runtime);
            totalScale *= WeightedProcrustes.Solve(canonical, runtime, weights).Scale;
        }

        // (4) Final metric landmarks, pose, and pose-free landmarks.
        Unproject(screen, frustum, depthOffset, totalScale, runtime);
        var transform = WeightedProcrustes.Solve(canonical, runtime, weights);
        var poseFree = new Vec3[n];
        for (var i = 0; i < n; i++)
        {
            poseFree[i] = transform.ApplyInverse(runtime[i]);
        }

        return new FaceGeometry(new FacePose(transform.Rotation, transform.Translation, transform.Scale), runtime, poseFree);
    }

    private static void Unproject(ReadOnlySpan<Vec3> screen, Frustum frustum, double depthOffset, double scale, Span<Vec3> into)
    {
        for (var i = 0; i < screen.Length; i++)
        {
            var s = screen[i];
            var depth = (s.Z - depthOffset + frustum.Near) / scale;
            into[i] = new Vec3(s.X * depth / frustum.Near, s.Y * depth / frustum.Near, -depth);
        }
    }
}
