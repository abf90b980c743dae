using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>One frame's tracked face as the fit needs it.</summary>
/// <param name="PoseFreeLandmarks">MediaPipe's 468 landmarks in the canonical frame (cm), the head pose removed (<see cref="FaceGeometry.PoseFreeLandmarks"/>).</param>
/// <param name="Pose">The head pose that was removed (<see cref="FaceGeometry.Pose"/>).</param>
public sealed record PoseFreeFace(Vec3[] PoseFreeLandmarks, FacePose Pose);

/// <summary>The head's pose in one frame of the curves.</summary>
/// <param name="YawDegrees">Yaw (<see cref="EulerAngles"/> convention: R = R_y(yaw) · R_x(pitch) · R_z(roll); +yaw turns the nose to the image's right).</param>
/// <param name="PitchDegrees">Pitch (+ down).</param>
/// <param name="RollDegrees">Roll (+ anticlockwise in the image).</param>
/// <param name="TranslationCm">The canonical face's origin in the camera frame (cm; z negative, in front of the camera).</param>
public sealed record HeadPose(double YawDegrees, double PitchDegrees, double RollDegrees, Vec3 TranslationCm);

/// <summary>One frame of the curves.</summary>
/// <param name="Index">Frame index in the clip (0-based).</param>
/// <param name="TimeSeconds">Presentation time.</param>
/// <param name="Weights">The 52 ARKit weights in <see cref="ArkitBlendshapes.Names"/> order, each in [0, 1].</param>
/// <param name="Head">The head pose (interpolated, or held, like the weights on frames without a face).</param>
/// <param name="Status">Fitted, interpolated or held.</param>
public sealed record BlendshapeFrame(int Index, double TimeSeconds, float[] Weights, HeadPose Head, FrameFitStatus Status);

/// <summary>
/// A clip's ARKit blendshape curves: the fit of the ICT-FaceKit model to every frame (see
/// <see cref="BlendshapeFitter"/>), as 52 ARKit weights and a head pose per frame, ready for the
/// exports (<see cref="LiveLinkFaceCsv"/>, <see cref="BlendshapeCurvesJson"/>, <see cref="IctObjSequence"/>).
/// </summary>
public sealed class BlendshapeAnimation
{
    private BlendshapeAnimation(RationalFrameRate rate, IReadOnlyList<BlendshapeFrame> frames, BlendshapeSequence fit, int[] neutralFrames, IReadOnlyList<FaceGaze?> gaze, GazeRest? gazeRest)
    {
        Rate = rate;
        Frames = frames;
        Fit = fit;
        NeutralFrames = neutralFrames;
        Gaze = gaze;
        GazeRest = gazeRest;
    }

    /// <summary>The 52 ARKit names, in weight order.</summary>
    public static IReadOnlyList<string> Names => ArkitBlendshapes.Names;

    /// <summary>The clip's frame rate.</summary>
    public RationalFrameRate Rate { get; }

    /// <summary>One record per input frame, in order.</summary>
    public IReadOnlyList<BlendshapeFrame> Frames { get; }

    /// <summary>The underlying fit (ICT expression weights, residuals, the actor's identity).</summary>
    public BlendshapeSequence Fit { get; }

    /// <summary>The actor's identity.</summary>
    public ActorIdentity Actor => Fit.Actor;

    /// <summary>The frames the identity was fitted to.</summary>
    public IReadOnlyList<int> NeutralFrames { get; }

    /// <summary>
    /// Per frame the measured gaze (<see cref="GazeEstimator"/>; its eyeLook weights are the frame's), or null where it
    /// was not measured (no irises, no face): there the eyeLook weights are the fit's (near 0) or interpolated.
    /// </summary>
    public IReadOnlyList<FaceGaze?> Gaze { get; }

    /// <summary>
    /// Where the eyeLook weights are measured from: the actor's gaze on their neutral frames (per-eye median), or
    /// <see cref="Morphable.GazeRest.Default"/> when none of them has gaze (a retarget's curves); null without gaze.
    /// </summary>
    public GazeRest? GazeRest { get; }

    /// <summary>
    /// Fits a clip: the identity to its neutral frames (<paramref name="neutralFrame"/> when given,
    /// else <see cref="Morphable.NeutralFrames.Select"/>), then every frame in order.
    /// </summary>
    /// <param name="fitter">The fitter (model and correspondence).</param>
    /// <param name="frames">Per frame the tracked face, or null where there is none.</param>
    /// <param name="rate">The clip's frame rate.</param>
    /// <param name="times">Per frame presentation times (seconds); default index / rate.</param>
    /// <param name="neutralFrame">A frame the studio names as the actor's neutral.</param>
    /// <param name="gaze">Per frame the measured gaze (null where there is none), whose eyeLook weights the fit holds.</param>
    /// <param name="gazeMapping">How gaze becomes eyeLook weights (default <see cref="GazeMapping.Default"/>).</param>
    public static BlendshapeAnimation Create(
        BlendshapeFitter fitter,
        IReadOnlyList<PoseFreeFace?> frames,
        RationalFrameRate rate,
        IReadOnlyList<double>? times = null,
        int? neutralFrame = null,
        IReadOnlyList<FaceGaze?>? gaze = null,
        GazeMapping? gazeMapping = null)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(frames);
        if (times is not null && times.Count != frames.Count)
        {
            throw new ArgumentException($"{times.Count} times for {frames.Count} frames.", nameof(times));
        }

        var poseFree = frames.Select(f => f?.PoseFreeLandmarks).ToList();
        int[] neutralFrames;
        if (neutralFrame is { } chosen)
        {
            if (chosen < 0 || chosen >= frames.Count || frames[chosen] is null)
            {
                throw new ArgumentException($"The neutral frame {chosen} has no face.", nameof(neutralFrame));
            }

            neutralFrames = [chosen];
        }
        else
        {
            neutralFrames = Morphable.NeutralFrames.Select(poseFree);
        }

        var neutral = NeutralEstimator.Estimate([.. neutralFrames.Select(f => poseFree[f]!)]);
        return Fitted(fitter, frames, rate, times, neutral, neutralFrames, gaze, gazeMapping);
    }

    /// <summary>
    /// Fits a sequence whose actor's neutral face is known (a retarget's transferred faces, built on the target's
    /// neutral): the identity to <paramref name="neutral"/>, then every frame in order.
    /// </summary>
    /// <remarks>
    /// <paramref name="gaze"/>: per frame the gaze to show (a retarget's: the performer's, measured on the source frame
    /// each output frame plays), or null where there is none; its eyeLook weights are held by the fit.
    /// </remarks>
    public static BlendshapeAnimation CreateWithNeutral(
        BlendshapeFitter fitter,
        IReadOnlyList<PoseFreeFace?> frames,
        RationalFrameRate rate,
        IReadOnlyList<double>? times,
        Vec3[] neutral,
        IReadOnlyList<FaceGaze?>? gaze = null,
        GazeMapping? gazeMapping = null)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(neutral);
        if (times is not null && times.Count != frames.Count)
        {
            throw new ArgumentException($"{times.Count} times for {frames.Count} frames.", nameof(times));
        }

        return Fitted(fitter, frames, rate, times, neutral, [], gaze, gazeMapping);
    }

    private static BlendshapeAnimation Fitted(
        BlendshapeFitter fitter,
        IReadOnlyList<PoseFreeFace?> frames,
        RationalFrameRate rate,
        IReadOnlyList<double>? times,
        Vec3[] neutral,
        int[] neutralFrames,
        IReadOnlyList<FaceGaze?>? gaze,
        GazeMapping? gazeMapping)
    {
        if (gaze is not null && gaze.Count != frames.Count)
        {
            throw new ArgumentException($"{gaze.Count} gaze frames for {frames.Count} frames.", nameof(gaze));
        }

        // Gaze only where there is a face to fit (a frame without one is interpolated like the other weights), measured
        // from the actor's own rest: their gaze on the neutral frames (which look ahead, eyes open), else the defaults.
        var measured = frames.Select((f, i) => f is not null ? gaze?[i] : null).ToList();
        GazeRest? rest = measured.Any(g => g is not null)
            ? Morphable.GazeRest.Median(neutralFrames.Select(f => measured[f]).OfType<FaceGaze>()) ?? Morphable.GazeRest.Default(gazeMapping)
            : null;
        var eyeLook = measured.Select(g => g is { } value ? GazeEstimator.EyeLook(value, gazeMapping, rest) : null).ToList();
        var poseFree = frames.Select(f => f?.PoseFreeLandmarks).ToList();
        var actor = fitter.FitIdentity(neutral);
        var fit = fitter.FitSequence(actor, poseFree, eyeLook.Any(w => w is not null) ? eyeLook : null);

        var heads = new HeadPose?[frames.Count];
        for (var f = 0; f < frames.Count; f++)
        {
            if (frames[f] is { } face)
            {
                heads[f] = HeadPoseOf(face.Pose, actor, fit.Frames[f], fitter.Correspondence.CanonicalToIct);
            }
        }

        FillHeads(heads);
        var result = new BlendshapeFrame[frames.Count];
        for (var f = 0; f < frames.Count; f++)
        {
            result[f] = new BlendshapeFrame(f, times?[f] ?? rate.FrameTime(f), fitter.ArkitWeights(fit.Frames[f]), heads[f]!, fit.Frames[f].Status);
        }

        return new BlendshapeAnimation(rate, result, fit, neutralFrames, measured, rest);
    }

    /// <summary>
    /// Fits a clip from its screen landmarks as the tracker reports them (468 points, pixels + relative
    /// Z, per frame; null where there is no face): each frame through the geometry pipeline
    /// (<see cref="MetricLandmarks"/>: head pose, pose-free landmarks), then <see cref="Create"/>. With
    /// <paramref name="irises"/> (the refined model's 10 iris points per frame, same units; null where
    /// there are none), the gaze is measured on every frame that has both (<see cref="GazeEstimator"/>)
    /// and gives the eyeLook weights.
    /// </summary>
    public static BlendshapeAnimation FromScreenLandmarks(
        BlendshapeFitter fitter,
        MetricLandmarks metric,
        IReadOnlyList<Vec3[]?> screenLandmarks,
        int width,
        int height,
        RationalFrameRate rate,
        IReadOnlyList<double>? times = null,
        int? neutralFrame = null,
        IReadOnlyList<Vec3[]?>? irises = null,
        GazeMapping? gazeMapping = null)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(screenLandmarks);
        if (irises is not null && irises.Count != screenLandmarks.Count)
        {
            throw new ArgumentException($"{irises.Count} iris frames for {screenLandmarks.Count} frames.", nameof(irises));
        }

        var faces = screenLandmarks.Select(points =>
        {
            if (points is null)
            {
                return null;
            }

            var geometry = metric.Estimate(points, width, height);
            return (PoseFreeFace?)new PoseFreeFace(geometry.PoseFreeLandmarks, geometry.Pose);
        }).ToList();
        var gaze = irises is null
            ? null
            : screenLandmarks.Select((points, f) => points is not null && irises[f] is { } iris ? GazeEstimator.Estimate(points, iris) : (FaceGaze?)null).ToList();
        return Create(fitter, faces, rate, times, neutralFrame, gaze, gazeMapping);
    }

    /// <summary>
    /// The head pose of a fitted frame, as the rotation taking ICT's model frame, expressed in
    /// MediaPipe's canonical axes, into the camera: the tracked pose composed with the actor's
    /// alignment and the fit's residual rotation,
    /// <c>R_head = R_pose · R_Sᵀ · R_fitᵀ · R_C</c> (S the actor's pose-free → ICT similarity, C the
    /// model's canonical → ICT one). Unlike the tracked pose alone, it does not depend on how the
    /// actor's face differs from MediaPipe's canonical one.
    /// </summary>
    public static HeadPose HeadPoseOf(FacePose pose, ActorIdentity actor, FrameFit fit, SimilarityTransform canonicalToModel)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(fit);
        var rotation = pose.Rotation * actor.PoseFreeToModel.Rotation.Transpose() * fit.Rotation.Transpose() * canonicalToModel.Rotation;
        var angles = EulerAngles.FromMatrix(rotation);
        return new HeadPose(angles.YawDegrees, angles.PitchDegrees, angles.RollDegrees, pose.Translation);
    }

    /// <summary>Frames without a face: linear between the nearest posed frames, held before the first and after the last.</summary>
    private static void FillHeads(HeadPose?[] heads)
    {
        var known = Enumerable.Range(0, heads.Length).Where(f => heads[f] is not null).ToArray();
        if (known.Length == 0)
        {
            throw new ArgumentException("No frame has a face.");
        }

        var next = 0;
        for (var f = 0; f < heads.Length; f++)
        {
            if (heads[f] is not null)
            {
                next++;
                continue;
            }

            var before = next > 0 ? heads[known[next - 1]] : null;
            var after = next < known.Length ? heads[known[next]] : null;
            if (before is null || after is null)
            {
                heads[f] = before ?? after;
                continue;
            }

            heads[f] = InterpolatedHead(before, after, (double)(f - known[next - 1]) / (known[next] - known[next - 1]));
        }
    }

    /// <summary>The head on a frame without a face between two posed ones, <paramref name="t"/> of the way.</summary>
    internal static HeadPose InterpolatedHead(HeadPose before, HeadPose after, double t) => new(
        Lerp(before.YawDegrees, after.YawDegrees, t),
        Lerp(before.PitchDegrees, after.PitchDegrees, t),
        Lerp(before.RollDegrees, after.RollDegrees, t),
        (before.TranslationCm * (1 - t)) + (after.TranslationCm * t));

    private static double Lerp(double a, double b, double t) => a + ((b - a) * t);
}
