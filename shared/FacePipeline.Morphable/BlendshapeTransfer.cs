using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>A retarget's expression carried through blendshape space (<see cref="BlendshapeTransfer"/>).</summary>
/// <param name="Faces">
/// Per source frame, the target's pose-free landmarks (468, cm, the target's canonical frame) showing the source
/// frame's expression; null where the source frame has no face.
/// </param>
/// <param name="SourceNeutral">The source's neutral face (pose-free) its expressions were fitted against.</param>
/// <param name="TargetNeutral">The target's neutral face (pose-free) the expressions were re-posed on.</param>
/// <param name="SourceFit">The source's fit: identity and per-frame ICT expression weights (frames without a face interpolated or held).</param>
/// <param name="Target">The target's fitted identity.</param>
/// <param name="SourceNeutralFrames">The source frames its neutral was taken from (empty when the neutral was given).</param>
/// <param name="TargetNeutralFrames">The target frames its neutral was taken from (empty when the neutral was given).</param>
public sealed record BlendshapeTransferResult(
    IReadOnlyList<Vec3[]?> Faces,
    Vec3[] SourceNeutral,
    Vec3[] TargetNeutral,
    BlendshapeSequence SourceFit,
    ActorIdentity Target,
    IReadOnlyList<int> SourceNeutralFrames,
    IReadOnlyList<int> TargetNeutralFrames);

/// <summary>
/// Expression transfer in ARKit blendshape space, the alternative to the 468-point deformation transfer of
/// FacePipeline.Retarget: the ICT-FaceKit model is fitted to both actors (<see cref="BlendshapeFitter"/>: each one's
/// identity from their neutral face, the source's 53 expression weights on every frame), and each source frame's
/// weights are re-posed on the target's fitted identity:
/// <c>X_f = n_t + S_t⁻¹(M(α_t, w_f)) − S_t⁻¹(M(α_t, 0))</c> at the 468 corresponding points, where n_t is the target's
/// neutral, α_t its identity weights, S_t its pose-free → ICT similarity (only its linear part acts on the difference)
/// and w_f the source frame's weights. The fit's per-frame rigid correction of the source is dropped: only the
/// expression travels, in the target's own canonical frame. The expression is thus limited to what ICT's 53 shapes
/// express (what they cannot, e.g. the source's asymmetries outside them, is lost), and is shaped by the model rather
/// than by the source's triangles.
/// </summary>
/// <param name="fitter">The fitter (model, correspondence and options); shared, thread-safe.</param>
public sealed class BlendshapeTransfer(BlendshapeFitter fitter)
{
    private readonly BlendshapeFitter _fitter = fitter ?? throw new ArgumentNullException(nameof(fitter));

    /// <summary>The fitter.</summary>
    public BlendshapeFitter Fitter => _fitter;

    /// <summary>
    /// Transfers every frame of <paramref name="source"/> onto the actor of <paramref name="target"/>. Each neutral is
    /// the named frame, or the per-point median of the clip's mouth-closed, eyes-open frames
    /// (<see cref="NeutralFrames"/>), as for the blendshape curves.
    /// </summary>
    /// <param name="source">Per source frame the pose-free landmarks (468, cm), or null where there is no face.</param>
    /// <param name="sourceNeutralFrame">The source frame showing the performer's neutral face; null: estimated.</param>
    /// <param name="target">Per target frame the pose-free landmarks, or null.</param>
    /// <param name="targetNeutralFrame">The target frame showing the actor's neutral face; null: estimated.</param>
    /// <exception cref="ArgumentException">A clip without a face, or a named neutral frame without one.</exception>
    public BlendshapeTransferResult Transfer(IReadOnlyList<Vec3[]?> source, int? sourceNeutralFrame, IReadOnlyList<Vec3[]?> target, int? targetNeutralFrame)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var (sourceNeutral, sourceFrames) = Neutral(source, sourceNeutralFrame, "source");
        var (targetNeutral, targetFrames) = Neutral(target, targetNeutralFrame, "target");
        return Transfer(source, sourceNeutral, targetNeutral) with { SourceNeutralFrames = sourceFrames, TargetNeutralFrames = targetFrames };
    }

    /// <summary>Transfers every frame of <paramref name="source"/> with both neutral faces given (pose-free, 468 points each).</summary>
    /// <exception cref="ArgumentException">No source frame has a face, or a face without 468 points.</exception>
    public BlendshapeTransferResult Transfer(IReadOnlyList<Vec3[]?> source, Vec3[] sourceNeutral, Vec3[] targetNeutral)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceNeutral);
        ArgumentNullException.ThrowIfNull(targetNeutral);
        var sourceActor = _fitter.FitIdentity(sourceNeutral);
        var fit = _fitter.FitSequence(sourceActor, source);
        var targetActor = _fitter.FitIdentity(targetNeutral);
        var rest = ModelFace(targetActor, new float[_fitter.ExpressionCount]);
        var faces = new Vec3[]?[source.Count];
        for (var f = 0; f < faces.Length; f++)
        {
            if (source[f] is null)
            {
                continue;
            }

            var posed = ModelFace(targetActor, fit.Frames[f].ExpressionWeights);
            var face = new Vec3[posed.Length];
            for (var i = 0; i < face.Length; i++)
            {
                face[i] = targetNeutral[i] + (posed[i] - rest[i]);
            }

            faces[f] = face;
        }

        return new BlendshapeTransferResult(faces, (Vec3[])sourceNeutral.Clone(), (Vec3[])targetNeutral.Clone(), fit, targetActor, [], []);
    }

    /// <summary>
    /// The ICT mesh of <paramref name="actor"/>'s fitted identity with the 53 expression <paramref name="weights"/>, at
    /// the 468 corresponding points, in the actor's pose-free frame (no rigid correction); the actor's per-shape
    /// scales (<see cref="ActorIdentity.BasisScales"/>) apply, so a weight means on the target what it meant on the source.
    /// </summary>
    public Vec3[] ModelFace(ActorIdentity actor, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(weights);
        var frame = new FrameFit(weights, Matrix3.Identity, Vec3.Zero, double.NaN, double.NaN, FrameFitStatus.Fitted, 0);
        return _fitter.FittedLandmarks(actor, frame, useModelIdentity: true);
    }

    /// <summary>A clip's neutral face for the fit: the named frame, else <see cref="NeutralFrames"/>' choice.</summary>
    /// <exception cref="ArgumentException">No frame has a face, or the named frame has none.</exception>
    public static (Vec3[] Neutral, int[] Frames) Neutral(IReadOnlyList<Vec3[]?> poseFree, int? neutralFrame, string role)
    {
        ArgumentNullException.ThrowIfNull(poseFree);
        if (!poseFree.Any(f => f is not null))
        {
            throw new ArgumentException($"The {role} clip has no tracked face.");
        }

        if (neutralFrame is { } n)
        {
            if (n < 0 || n >= poseFree.Count || poseFree[n] is null)
            {
                throw new ArgumentException($"The {role}'s neutral frame {n} has no tracked face (the clip has {poseFree.Count} frames).");
            }

            return ((Vec3[])poseFree[n]!.Clone(), [n]);
        }

        var frames = NeutralFrames.Select(poseFree);
        return (NeutralEstimator.Estimate([.. frames.Select(f => poseFree[f]!)]), frames);
    }
}
