namespace FacePipeline.Geometry;

/// <summary>Settings of a <see cref="LandmarkFilter"/>.</summary>
public sealed record LandmarkFilterOptions
{
    /// <summary>For every landmark coordinate; speeds in face sizes per second.</summary>
    public OneEuroOptions Landmarks { get; init; } = OneEuroOptions.Default;

    /// <summary>For the pose (rotation as a quaternion, translation, scale); speeds in face sizes
    /// per second for the translation, about radians per second for the rotation.</summary>
    public OneEuroOptions Pose { get; init; } = OneEuroOptions.Default;

    /// <summary>The face size used to normalise the pose translation speed, in centimetres
    /// (the canonical face is about 15 cm wide and tall).</summary>
    public double FaceSizeCm { get; init; } = 15;

    /// <summary>The defaults.</summary>
    public static LandmarkFilterOptions Default { get; } = new();
}

/// <summary>
/// One Euro filtering of one face's landmarks (e.g. 468 x 3 screen landmarks, or pose-free metric
/// landmarks) and head pose over a sequence of frames. Every coordinate has its own filter; speeds
/// are divided by the face's size in that frame (the mean of the width and height of the
/// landmarks' X/Y bounding box, as MediaPipe's landmark smoothing does), so the same settings work
/// at any resolution and in any unit. The pose's rotation is filtered as a unit quaternion (kept
/// on the same hemisphere as the previous output, renormalised), translation and scale directly.
/// </summary>
public sealed class LandmarkFilter
{
    private readonly LandmarkFilterOptions options;
    private OneEuroFilter[] landmarkFilters = [];
    private readonly OneEuroFilter[] poseFilters;
    private QuaternionD? lastRotation;

    /// <summary>Creates a filter; <paramref name="options"/> default to <see cref="LandmarkFilterOptions.Default"/>.</summary>
    public LandmarkFilter(LandmarkFilterOptions? options = null)
    {
        this.options = options ?? LandmarkFilterOptions.Default;
        if (!(this.options.FaceSizeCm > 0))
        {
            throw new ArgumentException($"FaceSizeCm must be positive: {this.options.FaceSizeCm}.", nameof(options));
        }

        poseFilters = new OneEuroFilter[8]; // quaternion w x y z, translation x y z, scale
        for (var i = 0; i < poseFilters.Length; i++)
        {
            poseFilters[i] = new OneEuroFilter(this.options.Pose);
        }
    }

    /// <summary>Filters one frame's landmarks (any count, the same on every call until <see cref="Reset"/>).</summary>
    public Vec3[] Filter(ReadOnlySpan<Vec3> landmarks, double timestampSeconds)
    {
        if (landmarkFilters.Length == 0)
        {
            landmarkFilters = new OneEuroFilter[landmarks.Length * 3];
            for (var i = 0; i < landmarkFilters.Length; i++)
            {
                landmarkFilters[i] = new OneEuroFilter(options.Landmarks);
            }
        }
        else if (landmarkFilters.Length != landmarks.Length * 3)
        {
            throw new ArgumentException($"{landmarks.Length} landmarks; the filter was started with {landmarkFilters.Length / 3}. Reset it for a new face.", nameof(landmarks));
        }

        var size = FaceSize(landmarks);
        var valueScale = size > 0 && double.IsFinite(size) ? 1 / size : 0;
        var result = new Vec3[landmarks.Length];
        for (var i = 0; i < landmarks.Length; i++)
        {
            var p = landmarks[i];
            result[i] = new Vec3(
                landmarkFilters[3 * i].Filter(p.X, timestampSeconds, valueScale),
                landmarkFilters[(3 * i) + 1].Filter(p.Y, timestampSeconds, valueScale),
                landmarkFilters[(3 * i) + 2].Filter(p.Z, timestampSeconds, valueScale));
        }

        return result;
    }

    /// <summary>Filters one frame's head pose.</summary>
    public FacePose Filter(FacePose pose, double timestampSeconds)
    {
        var q = QuaternionD.FromMatrix(pose.Rotation);
        if (lastRotation is { } previous && QuaternionD.Dot(previous, q) < 0)
        {
            q = new QuaternionD(-q.W, -q.X, -q.Y, -q.Z);
        }

        // A quaternion component moves about half a radian per radian of rotation.
        const double rotationScale = 2;
        var translationScale = 1 / options.FaceSizeCm;
        var filtered = new QuaternionD(
            poseFilters[0].Filter(q.W, timestampSeconds, rotationScale),
            poseFilters[1].Filter(q.X, timestampSeconds, rotationScale),
            poseFilters[2].Filter(q.Y, timestampSeconds, rotationScale),
            poseFilters[3].Filter(q.Z, timestampSeconds, rotationScale)).Normalized();
        lastRotation = filtered;
        var t = new Vec3(
            poseFilters[4].Filter(pose.Translation.X, timestampSeconds, translationScale),
            poseFilters[5].Filter(pose.Translation.Y, timestampSeconds, translationScale),
            poseFilters[6].Filter(pose.Translation.Z, timestampSeconds, translationScale));
        var scale = poseFilters[7].Filter(pose.Scale, timestampSeconds);
        return new FacePose(filtered.ToMatrix(), t, scale);
    }

    /// <summary>
    /// Where the landmark filters are (three per point; empty before the first frame). The pose's filters are not part of
    /// it: a filter handed on this way filters landmarks only.
    /// </summary>
    public OneEuroState[] LandmarkState
    {
        get => [.. landmarkFilters.Select(f => f.State)];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length % 3 != 0)
            {
                throw new ArgumentException($"{value.Length} filter states: three per point expected.", nameof(value));
            }

            landmarkFilters = [.. value.Select(state => new OneEuroFilter(options.Landmarks) { State = state })];
        }
    }

    /// <summary>Forgets all history (a new face or a cut).</summary>
    public void Reset()
    {
        landmarkFilters = [];
        foreach (var f in poseFilters)
        {
            f.Reset();
        }

        lastRotation = null;
    }

    /// <summary>Mean of the width and height of the landmarks' X/Y bounding box.</summary>
    public static double FaceSize(ReadOnlySpan<Vec3> landmarks)
    {
        if (landmarks.Length == 0)
        {
            return 0;
        }

        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity, minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        foreach (var p in landmarks)
        {
            minX = Math.Min(minX, p.X);
            maxX = Math.Max(maxX, p.X);
            minY = Math.Min(minY, p.Y);
            maxY = Math.Max(maxY, p.Y);
        }

        return 0.5 * ((maxX - minX) + (maxY - minY));
    }
}
