using System.Diagnostics;
using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>Weights of the fitting terms. Residuals are in ICT centimetres summed over the 468 points (1404 coordinates).</summary>
public sealed record BlendshapeFitOptions
{
    /// <summary>The defaults (chosen on the synthetic recovery test and the shared clips; see docs/blendshapes.md).</summary>
    public static BlendshapeFitOptions Default { get; } = new();

    /// <summary>Tikhonov weight γ on the identity weights (cm² per unit²; ICT's identity weights are roughly N(0, 1)).</summary>
    public double IdentityRegularization { get; init; } = 0.05;

    /// <summary>Rounds of identity least squares alternated with the similarity alignment.</summary>
    public int IdentityIterations { get; init; } = 8;

    /// <summary>Temporal weight λ of <c>‖w_t − w_{t−1}‖²</c> (cm² per unit²): larger is smoother and slower.</summary>
    public double TemporalSmoothing { get; init; } = 0.5;

    /// <summary>Ridge weight on every expression weight (cm² per unit²), keeping poorly observed shapes near 0.</summary>
    public double ExpressionRegularization { get; init; } = 0.02;

    /// <summary>
    /// Ridge weight on the gaze shapes (<c>eyeLookDown/In/Out/Up</c>): they move the eyeballs, which the
    /// 468 points do not see (no irises), and their small lid motion would otherwise compete with
    /// eyeBlink, eyeSquint and eyeWide. On frames whose gaze is measured (irises, <see cref="GazeEstimator"/>)
    /// the gaze weights are not fitted but held at the measured values.
    /// </summary>
    public double GazeRegularization { get; init; } = 8.0;

    /// <summary>
    /// Keep antagonist pairs (<see cref="BlendshapeFitter.ExclusivePairs"/>: eyeBlink/eyeWide, eyeSquint/eyeWide,
    /// browDown/browOuterUp, browDown/browInnerUp, mouthSmile/mouthFrown, jawLeft/jawRight, mouthLeft/mouthRight,
    /// mouthPucker/mouthStretch) from being on together: when both shapes of a pair come out above
    /// <see cref="ExclusivePairThreshold"/>, the frame is solved again with each of them held at 0 in turn and the better
    /// fit kept. Without it the fit may hold both part-way on (eyeBlink 0.2 with eyeWide 1) where one alone is meant.
    /// </summary>
    public bool ExclusivePairs { get; init; } = true;

    /// <summary>Weight above which both shapes of an antagonist pair count as on (see <see cref="ExclusivePairs"/>).</summary>
    public double ExclusivePairThreshold { get; init; } = 0.02;

    /// <summary>
    /// The tracker's lid opening on a closed eye as a share of the open eye's (ρ), or null to fit ICT's eyeBlink as it is.
    /// MediaPipe's 468-point mesh (without the attention model) never closes the lids: on the shared Obama clip's
    /// blinks its opening falls to about half of the open eye's. eyeBlink is scaled per actor so that a narrowing by
    /// 1 − ρ reads as weight 1 (<see cref="ActorIdentity.BasisScales"/>).
    /// </summary>
    public double? TrackerClosedEyeRatio { get; init; } = 0.5;

    /// <summary>
    /// Weight of the eyelid contours (<see cref="MediaPipeFaceIndices.EyeContours"/>) and the inner lip contour in the
    /// frame fit, relative to the other points (1): what blinks and mouth opening are read from. The rest of the
    /// eye region, where ICT's eyeBlink also moves the skin up to the crease, moves far less in MediaPipe's mesh and
    /// would otherwise hold eyeBlink down.
    /// </summary>
    public double ContourWeight { get; init; } = 4;

    /// <summary>Alternations of the per-frame rigid alignment and the bounded weight solve.</summary>
    public int AlignmentIterations { get; init; } = 3;
}

/// <summary>An actor's identity in the ICT model, fitted to their neutral face.</summary>
/// <param name="IdentityWeights">ICT identity weights (100).</param>
/// <param name="PoseFreeToModel">Similarity from the pose-free (MediaPipe canonical) frame into the ICT frame.</param>
/// <param name="Neutral">The actor's neutral landmarks (468) brought into the ICT frame: the base the expressions are fitted against.</param>
/// <param name="ModelNeutral">The fitted ICT identity sampled at the 468 corresponding points (ICT frame).</param>
/// <param name="RmsResidualCm">Root-mean-square distance between <paramref name="Neutral"/> and <paramref name="ModelNeutral"/> (ICT cm).</param>
/// <param name="BasisScales">
/// Per fitted expression (<see cref="BlendshapeFitter.ExpressionNames"/> order), the factor its displacement at the
/// 468 points is scaled by for this actor: 1 except eyeBlink_L/R, which are brought to the lid closure the tracker
/// shows (see <see cref="BlendshapeFitOptions.TrackerClosedEyeRatio"/>). The dense mesh always uses ICT's own shapes.
/// </param>
public sealed record ActorIdentity(float[] IdentityWeights, SimilarityTransform PoseFreeToModel, Vec3[] Neutral, Vec3[] ModelNeutral, double RmsResidualCm, float[] BasisScales);

/// <summary>How a frame's weights were obtained.</summary>
public enum FrameFitStatus
{
    /// <summary>Fitted to the frame's landmarks.</summary>
    Fitted = 0,

    /// <summary>No landmarks: linearly interpolated between the nearest fitted frames.</summary>
    Interpolated = 1,

    /// <summary>No landmarks before the first or after the last fitted frame: the nearest fitted frame held.</summary>
    Held = 2,
}

/// <summary>One frame's fit.</summary>
/// <param name="ExpressionWeights">The 53 fitted ICT expression weights (<see cref="BlendshapeFitter.ExpressionNames"/> order), each in [0, 1].</param>
/// <param name="Rotation">Residual rigid rotation applied to the frame's landmarks (in the ICT frame) before the weights are fitted.</param>
/// <param name="Translation">Residual translation (ICT cm) applied with <paramref name="Rotation"/>.</param>
/// <param name="RmsResidualCm">RMS distance (pose-free cm) between the landmarks and the actor's neutral moved by the fitted expression; NaN unless fitted.</param>
/// <param name="ModelRmsResidualCm">RMS distance (pose-free cm) between the landmarks and the ICT mesh (fitted identity + expression) at the 468 points; NaN unless fitted.</param>
/// <param name="Status">Fitted, interpolated or held.</param>
/// <param name="SolverIterations">Active-set iterations of the bounded solves (0 unless fitted).</param>
public sealed record FrameFit(float[] ExpressionWeights, Matrix3 Rotation, Vec3 Translation, double RmsResidualCm, double ModelRmsResidualCm, FrameFitStatus Status, int SolverIterations);

/// <summary>A clip's fit: one <see cref="FrameFit"/> per input frame.</summary>
/// <param name="Actor">The identity the frames were fitted with.</param>
/// <param name="Frames">Per frame, in input order.</param>
/// <param name="FitMilliseconds">Wall time of the per-frame fits (all fitted frames).</param>
public sealed record BlendshapeSequence(ActorIdentity Actor, IReadOnlyList<FrameFit> Frames, double FitMilliseconds)
{
    /// <summary>Frames fitted to landmarks.</summary>
    public int FittedFrames => Frames.Count(f => f.Status == FrameFitStatus.Fitted);

    /// <summary>Mean fitting time per fitted frame.</summary>
    public double MillisecondsPerFrame => FittedFrames == 0 ? 0 : FitMilliseconds / FittedFrames;
}

/// <summary>
/// Fits the ICT-FaceKit model to MediaPipe's 468 pose-free landmarks: per actor the identity, per
/// frame the 53 expression weights in [0, 1] with a small rigid alignment and a temporal term.
/// Build once per model and correspondence (it caches the model's basis restricted to the 468
/// corresponding points, 1404 × (100 + 53) values, and the Gram matrices); thread-safe for
/// concurrent fits.
/// <para>
/// Identity (<see cref="FitIdentity"/>): alternate (a) the Tikhonov-regularised least squares
/// <c>min ‖S(n) − (m₀ + B_id α)‖² + γ‖α‖²</c> for the identity weights α, the similarity S fixed
/// (starting from the correspondence's canonical → ICT alignment), and (b) the similarity S
/// (<see cref="WeightedProcrustes"/>, with scale) taking the neutral n onto the fitted identity.
/// </para>
/// <para>
/// Frame (<see cref="FitFrame"/>): with y' = S(y) the frame's landmarks in the ICT frame and n' =
/// S(n) the actor's neutral there, minimise over a rigid (R, t) and weights w ∈ [0, 1]⁵³
/// <c>‖R y' + t − n' − B_ex w‖²_W + λ‖w − w_prev‖² + Σ μⱼ wⱼ²</c>, alternating a Gauss-Newton step
/// of the rigid motion (linearised about the neutral, eliminated from the weight problem by variable
/// projection) and the bounded least-squares step (<see cref="BoxConstrainedQp"/>, exact;
/// warm-started from the previous frame). W weighs the lid and inner-lip contours
/// <see cref="BlendshapeFitOptions.ContourWeight"/> times the other points; antagonist pairs are
/// kept apart (<see cref="BlendshapeFitOptions.ExclusivePairs"/>); eyeBlink's columns are scaled to
/// the tracker's lid travel (<see cref="BlendshapeFitOptions.TrackerClosedEyeRatio"/>). Fitting the
/// displacement from the actor's own neutral keeps what the identity space cannot express (the
/// residual of the identity fit) out of the expression weights.
/// </para>
/// </summary>
public sealed class BlendshapeFitter
{
    private const int Points = MediaPipeFaceIndices.PointCount;
    private const int Coordinates = 3 * Points;

    private readonly IctFaceModel model;
    private readonly MediaPipeCorrespondence correspondence;
    private readonly int[] expressionIndices;
    private readonly double[] mean;
    private readonly double[] identityBasis;
    private readonly double[] expressionBasis;
    private readonly double[] identityNormal;
    private readonly double[] expressionGram;
    private readonly double[] rowWeights;
    private readonly (int A, int B)[] exclusivePairs;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorIdentity, RigidSystem> systems = [];

    /// <summary>Prepares the restricted basis for <paramref name="model"/> and <paramref name="correspondence"/>.</summary>
    public BlendshapeFitter(IctFaceModel model, MediaPipeCorrespondence correspondence, BlendshapeFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(correspondence);
        this.model = model;
        this.correspondence = correspondence;
        Options = options ?? BlendshapeFitOptions.Default;
        expressionIndices = [.. Enumerable.Range(0, model.ExpressionNames.Count).Where(e => !ArkitBlendshapes.IctExtras.Contains(model.ExpressionNames[e]))];
        ExpressionNames = [.. expressionIndices.Select(e => model.ExpressionNames[e])];

        mean = Restrict(model.Neutral);
        identityBasis = new double[model.IdentityCount * Coordinates];
        for (var i = 0; i < model.IdentityCount; i++)
        {
            Restrict(model.IdentityDelta(i), identityBasis.AsSpan(i * Coordinates, Coordinates));
        }

        expressionBasis = new double[expressionIndices.Length * Coordinates];
        for (var e = 0; e < expressionIndices.Length; e++)
        {
            Restrict(model.ExpressionDelta(expressionIndices[e]), expressionBasis.AsSpan(e * Coordinates, Coordinates));
        }

        identityNormal = Gram(identityBasis, model.IdentityCount);
        for (var i = 0; i < model.IdentityCount; i++)
        {
            identityNormal[(i * model.IdentityCount) + i] += Options.IdentityRegularization;
        }

        expressionGram = Gram(expressionBasis, expressionIndices.Length);
        rowWeights = new double[Coordinates];
        Array.Fill(rowWeights, 1.0);
        var contour = Math.Sqrt(Options.ContourWeight);
        foreach (var i in MediaPipeFaceIndices.EyeContours.Concat(MediaPipeFaceIndices.InnerLipUpper).Concat(MediaPipeFaceIndices.InnerLipLower))
        {
            rowWeights[3 * i] = rowWeights[(3 * i) + 1] = rowWeights[(3 * i) + 2] = contour;
        }
        var fittedIndex = ExpressionNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        exclusivePairs = [.. ExclusivePairs
            .Where(p => fittedIndex.ContainsKey(p.First) && fittedIndex.ContainsKey(p.Second))
            .Select(p => (fittedIndex[p.First], fittedIndex[p.Second]))];
        GazeIndices = [.. GazeEstimator.EyeLookNames.Select(n => ArkitBlendshapes.ToIct(n).Single()).Select(n => fittedIndex.GetValueOrDefault(n, -1))];
    }

    /// <summary>
    /// The fitted weight of each ARKit gaze shape, in <see cref="GazeEstimator.EyeLookNames"/> order (-1 when the model
    /// has no such shape): where measured gaze weights go (<see cref="FitFrame"/>).
    /// </summary>
    public IReadOnlyList<int> GazeIndices { get; }

    /// <summary>ICT shape pairs that act against each other and are kept from being on together (<see cref="BlendshapeFitOptions.ExclusivePairs"/>).</summary>
    public static IReadOnlyList<(string First, string Second)> ExclusivePairs { get; } =
    [
        ("eyeBlink_L", "eyeWide_L"), ("eyeBlink_R", "eyeWide_R"),
        ("eyeSquint_L", "eyeWide_L"), ("eyeSquint_R", "eyeWide_R"),
        ("browDown_L", "browOuterUp_L"), ("browDown_R", "browOuterUp_R"),
        ("browDown_L", "browInnerUp_L"), ("browDown_R", "browInnerUp_R"),
        ("mouthSmile_L", "mouthFrown_L"), ("mouthSmile_R", "mouthFrown_R"),
        ("jawLeft", "jawRight"), ("mouthLeft", "mouthRight"),
        ("mouthPucker", "mouthStretch_L"), ("mouthPucker", "mouthStretch_R"),
    ];

    /// <summary>
    /// A fitter for the release folder <paramref name="ictFolder"/> (through the model's binary cache) and MediaPipe's
    /// canonical mesh, the correspondence read from (or computed into) its cache beside the model.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model is not unpacked there.</exception>
    public static BlendshapeFitter Load(string ictFolder, CanonicalFaceMesh canonical, BlendshapeFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        var loaded = IctFaceModel.Load(ictFolder);
        var correspondence = MediaPipeCorrespondence.LoadOrCompute(loaded, canonical, MediaPipeCorrespondence.DefaultCachePath(ictFolder));
        return new BlendshapeFitter(loaded, correspondence, options);
    }

    /// <summary>
    /// As <see cref="Load"/> for a service that can do without the model: the fitter, or null with why (the model is not
    /// unpacked there, or cannot be read) and the error, if any, for the log.
    /// </summary>
    public static (BlendshapeFitter? Fitter, string? Problem, Exception? Error) TryLoad(string ictFolder, CanonicalFaceMesh canonical)
    {
        if (!File.Exists(Path.Combine(ictFolder, IctFaceModel.NeutralFileName)))
        {
            return (null, $"No ICT-FaceKit model at {ictFolder} (scripts/unpack-ict.sh)", null);
        }

        try
        {
            return (Load(ictFolder, canonical), null, null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return (null, $"The ICT-FaceKit model at {ictFolder} cannot be read", e);
        }
    }

    /// <summary>The model.</summary>
    public IctFaceModel Model => model;

    /// <summary>The correspondence.</summary>
    public MediaPipeCorrespondence Correspondence => correspondence;

    /// <summary>The fitting weights.</summary>
    public BlendshapeFitOptions Options { get; }

    /// <summary>The ICT names of the 53 fitted expressions (ICT's ARKit-like shapes, without its extras), in weight order.</summary>
    public IReadOnlyList<string> ExpressionNames { get; }

    /// <summary>Number of fitted expression weights (53).</summary>
    public int ExpressionCount => expressionIndices.Length;

    /// <summary>Fits the identity to the actor's neutral pose-free landmarks (468, e.g. from <see cref="NeutralEstimator"/>).</summary>
    public ActorIdentity FitIdentity(ReadOnlySpan<Vec3> neutral)
    {
        RequirePoints(neutral.Length, nameof(neutral));
        var ni = model.IdentityCount;
        var uniform = Uniform();
        var transform = correspondence.CanonicalToIct;
        var target = new Vec3[Points];
        var fitted = new Vec3[Points];
        var alpha = new double[ni];
        var factor = (double[])identityNormal.Clone();
        if (!DenseSolve.Cholesky(factor, ni))
        {
            throw new InvalidOperationException("The identity normal equations are not positive definite.");
        }

        for (var round = 0; round < Math.Max(1, Options.IdentityIterations); round++)
        {
            for (var i = 0; i < Points; i++)
            {
                target[i] = transform.Apply(neutral[i]);
            }

            for (var k = 0; k < ni; k++)
            {
                alpha[k] = DotResidual(identityBasis.AsSpan(k * Coordinates, Coordinates), target, mean);
            }

            DenseSolve.CholeskySolve(factor, ni, alpha);
            Combine(mean, identityBasis, alpha, fitted);
            transform = WeightedProcrustes.Solve(neutral, fitted, uniform);
        }

        for (var i = 0; i < Points; i++)
        {
            target[i] = transform.Apply(neutral[i]);
        }

        return new ActorIdentity([.. alpha.Select(a => (float)a)], transform, target, fitted, Rms(target, fitted), BlinkScales(target, fitted));
    }

    /// <summary>
    /// The per-actor basis scales (see <see cref="ActorIdentity.BasisScales"/>): for each eye,
    /// eyeBlink's displacement is scaled so that weight 1 narrows the actor's lid opening (at the
    /// 468 points, in the ICT frame) by <c>1 − ρ</c> of itself, ρ = <see cref="BlendshapeFitOptions.TrackerClosedEyeRatio"/>,
    /// instead of by ICT's own lid travel (about 0.8 cm, more than the tracker's opening of a
    /// closed eye ever narrows). Clamped to [0.1, 1.5].
    /// </summary>
    private float[] BlinkScales(Vec3[] actorNeutral, Vec3[] modelNeutral)
    {
        var scales = new float[ExpressionCount];
        Array.Fill(scales, 1f);
        if (Options.TrackerClosedEyeRatio is not { } ratio)
        {
            return scales;
        }

        foreach (var (name, left) in new[] { ("eyeBlink_L", true), ("eyeBlink_R", false) })
        {
            var e = ExpressionNames.ToList().IndexOf(name);
            if (e < 0)
            {
                continue;
            }

            var closed = new Vec3[Points];
            var column = expressionBasis.AsSpan(e * Coordinates, Coordinates);
            for (var i = 0; i < Points; i++)
            {
                closed[i] = modelNeutral[i] + new Vec3(column[3 * i], column[(3 * i) + 1], column[(3 * i) + 2]);
            }

            var travel = MediaPipeFaceIndices.EyeOpening(modelNeutral, left) - MediaPipeFaceIndices.EyeOpening(closed, left);
            var wanted = (1 - ratio) * MediaPipeFaceIndices.EyeOpening(actorNeutral, left);
            scales[e] = travel > 1e-6 ? (float)Math.Clamp(wanted / travel, 0.1, 1.5) : 1f;
        }

        return scales;
    }

    /// <summary>
    /// Fits every frame of a clip, in order (null: no face; its weights are interpolated between the
    /// nearest fitted frames, or held before the first and after the last). <paramref name="gaze"/>: per
    /// frame the measured ARKit gaze weights (<see cref="GazeEstimator.EyeLook"/>), held as they are, or
    /// null where gaze is not measured (the gaze shapes are then fitted, ridge-held near 0).
    /// </summary>
    public BlendshapeSequence FitSequence(ActorIdentity actor, IReadOnlyList<Vec3[]?> poseFreeFrames, IReadOnlyList<float[]?>? gaze = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(poseFreeFrames);
        if (gaze is not null && gaze.Count != poseFreeFrames.Count)
        {
            throw new ArgumentException($"{gaze.Count} gaze frames for {poseFreeFrames.Count} frames.", nameof(gaze));
        }

        var fits = new FrameFit?[poseFreeFrames.Count];
        FrameFit? previous = null;
        var watch = Stopwatch.StartNew();
        for (var f = 0; f < poseFreeFrames.Count; f++)
        {
            var frame = poseFreeFrames[f];
            if (frame is null)
            {
                previous = null; // no temporal term across a gap
                continue;
            }

            fits[f] = previous = FitFrame(actor, frame, previous, gaze?[f]);
        }

        watch.Stop();
        return new BlendshapeSequence(actor, FillGaps(fits), watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Fits one frame's pose-free landmarks (468); <paramref name="previous"/> (the last frame's fit,
    /// or null) supplies the temporal term and the warm start. <paramref name="gaze"/>: the frame's
    /// measured ARKit gaze weights (8, <see cref="GazeEstimator.EyeLookNames"/> order), held fixed while
    /// the other weights and the rigid motion are fitted (so the lid motion of the gaze shapes is not
    /// read as a blink or a squint); null: the gaze shapes are fitted like the others.
    /// </summary>
    public FrameFit FitFrame(ActorIdentity actor, ReadOnlySpan<Vec3> poseFree, FrameFit? previous, float[]? gaze = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        RequirePoints(poseFree.Length, nameof(poseFree));
        if (gaze is not null && gaze.Length != GazeIndices.Count)
        {
            throw new ArgumentException($"Expected {GazeIndices.Count} gaze weights, got {gaze.Length}.", nameof(gaze));
        }

        var system = systems.GetValue(actor, a => new RigidSystem(this, a));
        var ne = expressionIndices.Length;
        var transform = actor.PoseFreeToModel;
        var data = new Vec3[Points];
        for (var i = 0; i < Points; i++)
        {
            data[i] = transform.Apply(poseFree[i]);
        }

        var hessian = previous is null ? system.HessianFirst : system.HessianSmoothed;
        var w = new double[ne];
        if (previous is not null)
        {
            for (var e = 0; e < ne; e++)
            {
                w[e] = previous.ExpressionWeights[e];
            }
        }

        var rotation = previous?.Rotation ?? Matrix3.Identity;
        var translation = previous?.Translation ?? Vec3.Zero;
        var residual = new double[Coordinates];
        var g = new double[ne];
        Span<double> rigidDot = stackalloc double[RigidSystem.Parameters];
        Span<double> step = stackalloc double[RigidSystem.Parameters];
        var qp = new BoxConstrainedQp(ne);
        var iterations = 0;
        for (var round = 0; round < Math.Max(1, Options.AlignmentIterations); round++)
        {
            // r = R y' + t − n', then the weights with the rigid increment eliminated (variable projection).
            MovedResidual(data, rotation, translation, actor.Neutral, residual);
            for (var j = 0; j < Coordinates; j++)
            {
                residual[j] *= rowWeights[j];
            }

            system.RigidProject(residual, rigidDot);
            for (var e = 0; e < ne; e++)
            {
                g[e] = Dot(system.WeightedBasis.AsSpan(e * Coordinates, Coordinates), residual) - system.CrossTerm(e, rigidDot);
                if (previous is not null)
                {
                    g[e] += Options.TemporalSmoothing * previous.ExpressionWeights[e];
                }
            }

            iterations += SolveBounded(qp, hessian, g, w, gaze);

            // The rigid increment that goes with these weights: δ = −(AᵀA)⁻¹ Aᵀ (r − B w).
            system.RigidStep(residual, w, step);
            (rotation, translation) = system.Apply(step, rotation, translation);
        }

        MovedResidual(data, rotation, translation, actor.Neutral, residual);
        AddColumns(system.Basis, w, residual, -1);
        var expressionRms = Math.Sqrt(Dot(residual, residual) / Points) / transform.Scale;
        MovedResidual(data, rotation, translation, actor.ModelNeutral, residual);
        AddColumns(system.Basis, w, residual, -1);
        var modelRms = Math.Sqrt(Dot(residual, residual) / Points) / transform.Scale;
        return new FrameFit([.. w.Select(v => (float)v)], rotation, translation, expressionRms, modelRms, FrameFitStatus.Fitted, iterations);
    }

    /// <summary>
    /// The fitted landmarks of a frame in the pose-free frame (468): the actor's neutral moved by
    /// the fitted expression (<paramref name="useModelIdentity"/> false), or the ICT mesh of the
    /// fitted identity and expression at the corresponding points (true); the frame's rigid
    /// alignment undone, so they compare with the frame's pose-free landmarks.
    /// </summary>
    public Vec3[] FittedLandmarks(ActorIdentity actor, FrameFit frame, bool useModelIdentity)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(frame);
        var w = frame.ExpressionWeights.Select(v => (double)v).ToArray();
        var result = new Vec3[Points];
        var system = systems.GetValue(actor, a => new RigidSystem(this, a));
        Combine(useModelIdentity ? actor.ModelNeutral : actor.Neutral, system.Basis, w, result);
        var inverse = frame.Rotation.Transpose();
        for (var i = 0; i < Points; i++)
        {
            result[i] = actor.PoseFreeToModel.ApplyInverse(inverse * (result[i] - frame.Translation));
        }

        return result;
    }

    /// <summary>The dense ICT mesh (all vertices, x y z, ICT frame) of the actor's identity with a frame's expression.</summary>
    public float[] EvaluateMesh(ActorIdentity actor, FrameFit frame)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(frame);
        return model.Evaluate(actor.IdentityWeights, ToModelExpressionWeights(frame.ExpressionWeights));
    }

    /// <summary>All of the model's expression weights (<see cref="IctFaceModel.ExpressionNames"/> order; extras 0) from the 53 fitted ones.</summary>
    public float[] ToModelExpressionWeights(ReadOnlySpan<float> fitted)
    {
        if (fitted.Length != expressionIndices.Length)
        {
            throw new ArgumentException($"Expected {expressionIndices.Length} weights, got {fitted.Length}.", nameof(fitted));
        }

        var weights = new float[model.ExpressionNames.Count];
        for (var e = 0; e < fitted.Length; e++)
        {
            weights[expressionIndices[e]] = fitted[e];
        }

        return weights;
    }

    /// <summary>The 52 ARKit weights of a frame (browInnerUp and cheekPuff: mean of ICT's sides; tongueOut 0).</summary>
    public float[] ArkitWeights(FrameFit frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return model.ArkitWeightsFromExpression(ToModelExpressionWeights(frame.ExpressionWeights));
    }

    /// <summary>
    /// The bounded weight solve, then (<see cref="BlendshapeFitOptions.ExclusivePairs"/>) for each
    /// antagonist pair found on together, the solve again with either shape held at 0, keeping the
    /// lower objective. Returns the active-set iterations.
    /// </summary>
    private int SolveBounded(BoxConstrainedQp qp, double[] hessian, double[] g, double[] w, float[]? gaze)
    {
        var ne = w.Length;
        var lower = new double[ne];
        var upper = new double[ne];
        Array.Fill(upper, 1.0);
        if (gaze is not null)
        {
            // Measured gaze: each gaze weight held at its value (equal bounds).
            for (var k = 0; k < gaze.Length; k++)
            {
                if (GazeIndices[k] is var e and >= 0)
                {
                    lower[e] = upper[e] = w[e] = Math.Clamp(gaze[k], 0, 1);
                }
            }
        }

        var iterations = qp.Solve(hessian, g, lower, upper, w);
        if (!Options.ExclusivePairs)
        {
            return iterations;
        }

        var threshold = Options.ExclusivePairThreshold;
        var trial = new double[ne];
        foreach (var (a, b) in exclusivePairs)
        {
            if (!(w[a] > threshold && w[b] > threshold))
            {
                continue;
            }

            var best = double.PositiveInfinity;
            double[]? bestWeights = null;
            var bestHeld = -1;
            foreach (var held in (ReadOnlySpan<int>)[a, b])
            {
                w.CopyTo(trial, 0);
                trial[held] = 0;
                upper[held] = 0;
                iterations += qp.Solve(hessian, g, lower, upper, trial);
                var value = BoxConstrainedQp.Objective(hessian, g, trial);
                if (value < best)
                {
                    best = value;
                    bestWeights = (double[])trial.Clone();
                    bestHeld = held;
                }

                upper[held] = 1;
            }

            bestWeights!.CopyTo(w, 0);
            upper[bestHeld] = 0;
        }

        return iterations;
    }

    private double ExpressionRidge(int e)
    {
        var name = ExpressionNames[e];
        return Options.ExpressionRegularization + (name.StartsWith("eyeLook", StringComparison.Ordinal) ? Options.GazeRegularization : 0);
    }

    /// <summary>A frame without a face before the first fitted frame or after the last: that frame's fit, held.</summary>
    internal static FrameFit Held(FrameFit source) =>
        source with { RmsResidualCm = double.NaN, ModelRmsResidualCm = double.NaN, Status = FrameFitStatus.Held, SolverIterations = 0 };

    /// <summary>A frame without a face between two fitted ones, <paramref name="t"/> of the way from <paramref name="before"/> to <paramref name="after"/>.</summary>
    internal static FrameFit Interpolated(FrameFit before, FrameFit after, float t)
    {
        var weights = new float[before.ExpressionWeights.Length];
        for (var e = 0; e < weights.Length; e++)
        {
            weights[e] = ((1 - t) * before.ExpressionWeights[e]) + (t * after.ExpressionWeights[e]);
        }

        return before with
        {
            ExpressionWeights = weights,
            Translation = (before.Translation * (1 - t)) + (after.Translation * t),
            RmsResidualCm = double.NaN,
            ModelRmsResidualCm = double.NaN,
            Status = FrameFitStatus.Interpolated,
            SolverIterations = 0,
        };
    }

    private static IReadOnlyList<FrameFit> FillGaps(FrameFit?[] fits)
    {
        var result = new FrameFit[fits.Length];
        var fitted = Enumerable.Range(0, fits.Length).Where(f => fits[f] is not null).ToArray();
        if (fitted.Length == 0)
        {
            throw new ArgumentException("No frame has landmarks.");
        }

        var next = 0;
        for (var f = 0; f < fits.Length; f++)
        {
            if (fits[f] is { } fit)
            {
                result[f] = fit;
                next++;
                continue;
            }

            var after = next < fitted.Length ? fits[fitted[next]] : null;
            var before = next > 0 ? fits[fitted[next - 1]] : null;
            if (before is null || after is null)
            {
                result[f] = Held((before ?? after)!);
                continue;
            }

            var a = fitted[next - 1];
            var b = fitted[next];
            result[f] = Interpolated(before, after, (float)(f - a) / (b - a));
        }

        return result;
    }

    private double[] Restrict(ReadOnlySpan<float> positions)
    {
        var result = new double[Coordinates];
        Restrict(positions, result);
        return result;
    }

    private void Restrict(ReadOnlySpan<float> positions, Span<double> destination)
    {
        var points = correspondence.Points;
        for (var i = 0; i < Points; i++)
        {
            var p = points[i].Evaluate(positions);
            destination[3 * i] = p.X;
            destination[(3 * i) + 1] = p.Y;
            destination[(3 * i) + 2] = p.Z;
        }
    }

    private static double[] Gram(double[] basis, int count)
    {
        var gram = new double[count * count];
        for (var a = 0; a < count; a++)
        {
            var ca = basis.AsSpan(a * Coordinates, Coordinates);
            for (var b = 0; b <= a; b++)
            {
                var v = Dot(ca, basis.AsSpan(b * Coordinates, Coordinates));
                gram[(a * count) + b] = v;
                gram[(b * count) + a] = v;
            }
        }

        return gram;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (var j = 0; j < a.Length; j++)
        {
            s += a[j] * b[j];
        }

        return s;
    }

    /// <summary>Σ column · (points − base) over the 1404 coordinates.</summary>
    private static double DotResidual(ReadOnlySpan<double> column, Vec3[] points, ReadOnlySpan<double> baseCoordinates)
    {
        double s = 0;
        for (var i = 0; i < Points; i++)
        {
            var p = points[i];
            s += (column[3 * i] * (p.X - baseCoordinates[3 * i])) + (column[(3 * i) + 1] * (p.Y - baseCoordinates[(3 * i) + 1])) + (column[(3 * i) + 2] * (p.Z - baseCoordinates[(3 * i) + 2]));
        }

        return s;
    }

    /// <summary>residual = R·data + t − base, as 1404 coordinates.</summary>
    private static void MovedResidual(Vec3[] data, Matrix3 rotation, Vec3 translation, Vec3[] basePoints, Span<double> residual)
    {
        for (var i = 0; i < Points; i++)
        {
            var d = (rotation * data[i]) + translation - basePoints[i];
            residual[3 * i] = d.X;
            residual[(3 * i) + 1] = d.Y;
            residual[(3 * i) + 2] = d.Z;
        }
    }

    /// <summary>destination = base + Σₖ coefficientsₖ · basisₖ.</summary>
    private static void Combine(ReadOnlySpan<double> baseCoordinates, double[] basis, ReadOnlySpan<double> coefficients, Vec3[] destination)
    {
        var sum = baseCoordinates.ToArray();
        AddColumns(basis, coefficients, sum, 1);
        ToPoints(sum, destination);
    }

    private static void Combine(Vec3[] basePoints, double[] basis, ReadOnlySpan<double> coefficients, Vec3[] destination)
    {
        var sum = new double[Coordinates];
        for (var i = 0; i < Points; i++)
        {
            sum[3 * i] = basePoints[i].X;
            sum[(3 * i) + 1] = basePoints[i].Y;
            sum[(3 * i) + 2] = basePoints[i].Z;
        }

        AddColumns(basis, coefficients, sum, 1);
        ToPoints(sum, destination);
    }

    private static void ToPoints(ReadOnlySpan<double> coordinates, Vec3[] destination)
    {
        for (var i = 0; i < Points; i++)
        {
            destination[i] = new Vec3(coordinates[3 * i], coordinates[(3 * i) + 1], coordinates[(3 * i) + 2]);
        }
    }

    /// <summary>sum += sign · Σₖ coefficientsₖ · basisₖ.</summary>
    private static void AddColumns(double[] basis, ReadOnlySpan<double> coefficients, Span<double> sum, double sign)
    {
        for (var k = 0; k < coefficients.Length; k++)
        {
            var c = sign * coefficients[k];
            if (c != 0)
            {
                var column = basis.AsSpan(k * Coordinates, Coordinates);
                for (var j = 0; j < Coordinates; j++)
                {
                    sum[j] += c * column[j];
                }
            }
        }
    }

    private static Vec3 Centroid(Vec3[] points)
    {
        var sum = Vec3.Zero;
        foreach (var p in points)
        {
            sum += p;
        }

        return sum / points.Length;
    }

    private static double Rms(Vec3[] a, Vec3[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]).LengthSquared;
        }

        return Math.Sqrt(sum / a.Length);
    }

    private static double[] Uniform()
    {
        var weights = new double[Points];
        Array.Fill(weights, 1.0);
        return weights;
    }

    /// <summary>
    /// The per-actor linear algebra of the frame fit: the six rigid directions A (rotations about the
    /// neutral's centroid, ωₖ × (n'ᵢ − c), and translations) at the actor's neutral, and the weight
    /// problem with the rigid increment eliminated (variable projection):
    /// <c>H = Bᵀ(I − A(AᵀA)⁻¹Aᵀ)B + diag(μ) [+ λI]</c>. Built once per actor (cached by the fitter).
    /// </summary>
    private sealed class RigidSystem
    {
        public const int Parameters = 6;

        private readonly double[] directions; // 6 × 1404
        private readonly double[] rigidFactor; // Cholesky of AᵀA
        private readonly double[] crossTerms; // BᵀA, ne × 6
        private readonly Vec3 centre;
        private readonly int expressionCount;

        public RigidSystem(BlendshapeFitter fitter, ActorIdentity actor)
        {
            var neutral = actor.Neutral;
            centre = Centroid(neutral);
            directions = new double[Parameters * Coordinates];
            for (var i = 0; i < Points; i++)
            {
                var q = neutral[i] - centre;
                for (var k = 0; k < 3; k++)
                {
                    var axis = new Vec3(k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0);
                    var v = Vec3.Cross(axis, q);
                    directions[(k * Coordinates) + (3 * i)] = v.X;
                    directions[(k * Coordinates) + (3 * i) + 1] = v.Y;
                    directions[(k * Coordinates) + (3 * i) + 2] = v.Z;
                    directions[((3 + k) * Coordinates) + (3 * i) + k] = 1;
                }
            }

            for (var j = 0; j < directions.Length; j++)
            {
                directions[j] *= fitter.rowWeights[j % Coordinates];
            }

            rigidFactor = Gram(directions, Parameters);
            if (!DenseSolve.Cholesky(rigidFactor, Parameters))
            {
                throw new InvalidOperationException("The actor's neutral is degenerate (no rotation can be resolved).");
            }

            expressionCount = fitter.ExpressionCount;
            var ne = expressionCount;
            Basis = (double[])fitter.expressionBasis.Clone();
            for (var e = 0; e < ne; e++)
            {
                var scale = actor.BasisScales.Length == ne ? actor.BasisScales[e] : 1f;
                if (scale != 1f)
                {
                    foreach (ref var v in Basis.AsSpan(e * Coordinates, Coordinates))
                    {
                        v *= scale;
                    }
                }
            }

            WeightedBasis = (double[])Basis.Clone();
            for (var j = 0; j < WeightedBasis.Length; j++)
            {
                WeightedBasis[j] *= fitter.rowWeights[j % Coordinates];
            }

            crossTerms = new double[ne * Parameters];
            for (var e = 0; e < ne; e++)
            {
                var column = WeightedBasis.AsSpan(e * Coordinates, Coordinates);
                for (var k = 0; k < Parameters; k++)
                {
                    crossTerms[(e * Parameters) + k] = Dot(column, directions.AsSpan(k * Coordinates, Coordinates));
                }
            }

            // H = BᵀB − (BᵀA)(AᵀA)⁻¹(AᵀB) + ridge.
            HessianFirst = Gram(WeightedBasis, ne);
            Span<double> z = stackalloc double[Parameters];
            for (var b = 0; b < ne; b++)
            {
                crossTerms.AsSpan(b * Parameters, Parameters).CopyTo(z);
                DenseSolve.CholeskySolve(rigidFactor, Parameters, z);
                for (var a = 0; a < ne; a++)
                {
                    HessianFirst[(a * ne) + b] -= CrossTerm(a, z);
                }
            }

            for (var e = 0; e < ne; e++)
            {
                HessianFirst[(e * ne) + e] += fitter.ExpressionRidge(e);
            }

            HessianSmoothed = (double[])HessianFirst.Clone();
            for (var e = 0; e < ne; e++)
            {
                HessianSmoothed[(e * ne) + e] += fitter.Options.TemporalSmoothing;
            }
        }

        /// <summary>The actor's expression basis at the 468 points (ICT's, with <see cref="ActorIdentity.BasisScales"/> applied), 53 × 1404.</summary>
        public double[] Basis { get; }

        /// <summary><see cref="Basis"/> with each coordinate multiplied by √(its point's weight) (<see cref="BlendshapeFitOptions.ContourWeight"/>).</summary>
        public double[] WeightedBasis { get; }

        /// <summary>The weight Hessian without the temporal term (first frame, or after a gap).</summary>
        public double[] HessianFirst { get; }

        /// <summary>The weight Hessian with the temporal term.</summary>
        public double[] HessianSmoothed { get; }

        /// <summary>z = (AᵀA)⁻¹ Aᵀ r.</summary>
        public void RigidProject(ReadOnlySpan<double> residual, Span<double> z)
        {
            for (var k = 0; k < Parameters; k++)
            {
                z[k] = Dot(directions.AsSpan(k * Coordinates, Coordinates), residual);
            }

            DenseSolve.CholeskySolve(rigidFactor, Parameters, z);
        }

        /// <summary>(BᵀA)ₑ · z.</summary>
        public double CrossTerm(int e, ReadOnlySpan<double> z)
        {
            double s = 0;
            for (var k = 0; k < Parameters; k++)
            {
                s += crossTerms[(e * Parameters) + k] * z[k];
            }

            return s;
        }

        /// <summary>The rigid increment for weights w: δ = −(AᵀA)⁻¹ Aᵀ (r − B w).</summary>
        public void RigidStep(ReadOnlySpan<double> residual, ReadOnlySpan<double> w, Span<double> step)
        {
            for (var k = 0; k < Parameters; k++)
            {
                var s = Dot(directions.AsSpan(k * Coordinates, Coordinates), residual);
                for (var e = 0; e < expressionCount; e++)
                {
                    s -= crossTerms[(e * Parameters) + k] * w[e];
                }

                step[k] = -s;
            }

            DenseSolve.CholeskySolve(rigidFactor, Parameters, step);
        }

        /// <summary>Composes the increment (rotation vector ω about the centre, translation δ) with (R, t).</summary>
        public (Matrix3 Rotation, Vec3 Translation) Apply(ReadOnlySpan<double> step, Matrix3 rotation, Vec3 translation)
        {
            var omega = new Vec3(step[0], step[1], step[2]);
            var angle = omega.Length;
            var increment = angle > 0 ? Matrix3.AxisAngle(omega, angle) : Matrix3.Identity;
            var moved = (increment * (translation - centre)) + centre + new Vec3(step[3], step[4], step[5]);
            return (increment * rotation, moved);
        }
    }

    private static void RequirePoints(int count, string name)
    {
        if (count != Points)
        {
            throw new ArgumentException($"Expected {Points} landmarks, got {count}.", name);
        }
    }
}
