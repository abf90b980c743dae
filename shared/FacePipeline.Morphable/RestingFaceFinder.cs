using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>An actor's resting face in a clip, as <see cref="RestingFaceFinder"/> found it.</summary>
/// <param name="Neutral">The per-point median of the pose-free landmarks over <paramref name="RestingFrames"/> (468 points, cm).</param>
/// <param name="Frame">The resting frame closest to <paramref name="Neutral"/>: the one to show and to take texture from.</param>
/// <param name="RestingFrames">The frames judged at rest, in clip order.</param>
/// <param name="Activation">Per frame, the summed expression weights against the model's average face (NaN: no face).</param>
public sealed record RestingFace(Vec3[] Neutral, int Frame, IReadOnlyList<int> RestingFrames, IReadOnlyList<double> Activation);

/// <summary>
/// Finds the frames of a clip where the actor's face is at rest, even when an expression is held for most of it (issue
/// 13: the per-point median of a clip that smiles 70 % of the time is a smile). Every frame's pose-free landmarks are
/// fitted with the ICT-FaceKit expression shapes (<see cref="BlendshapeFitter"/>, bounded weights in [0, 1]) against the
/// model's average face, not against the actor's own: the identity is held at the mean by a very strong prior and only
/// aligned by a similarity transform. Every ICT shape moves away from rest (smile and frown, jaw open and mouth press,
/// brows up and down are all positive activations), so the frames with the smallest summed activation are the resting
/// ones whatever the clip holds, and an actor's constant departure from the average face adds the same to every frame
/// without changing the order. Gaze (eyeLook*) is left out of the sum: where the eyes look is not an expression.
/// </summary>
public sealed class RestingFaceFinder
{
    /// <summary>Identity prior strong enough to keep the fitted identity at the model's mean.</summary>
    public const double MeanIdentityRegularization = 1e6;

    /// <summary>Share of the tracked frames, least active first, taken as resting.</summary>
    public const double RestingShare = 0.1;

    /// <summary>At least this many resting frames (or every tracked frame, if fewer).</summary>
    public const int MinRestingFrames = 3;

    private readonly BlendshapeFitter fitter;
    private readonly bool[] counted;

    /// <summary>A finder on <paramref name="model"/> through <paramref name="correspondence"/>.</summary>
    public RestingFaceFinder(IctFaceModel model, MediaPipeCorrespondence correspondence)
    {
        fitter = new BlendshapeFitter(model, correspondence, new BlendshapeFitOptions { IdentityRegularization = MeanIdentityRegularization });
        counted = [.. fitter.ExpressionNames.Select(n => !n.StartsWith("eyeLook", StringComparison.Ordinal))];
    }

    /// <summary>A finder sharing <paramref name="fitter"/>'s model and correspondence.</summary>
    public static RestingFaceFinder For(BlendshapeFitter fitter)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        return new RestingFaceFinder(fitter.Model, fitter.Correspondence);
    }

    /// <summary>The resting face of a clip (pose-free landmarks per frame; null: no face).</summary>
    /// <exception cref="ArgumentException">No frame has a face.</exception>
    public RestingFace Find(IReadOnlyList<Vec3[]?> poseFree)
    {
        ArgumentNullException.ThrowIfNull(poseFree);
        var tracked = Enumerable.Range(0, poseFree.Count).Where(f => poseFree[f] is not null).ToArray();
        if (tracked.Length == 0)
        {
            throw new ArgumentException("No frame has a face.", nameof(poseFree));
        }

        // Aligned to the mean face through the clip's median; the identity stays the mean, and the expressions are fitted
        // against it (ActorIdentity.Neutral is the base of the fit), not against the actor's own median.
        var aligned = fitter.FitIdentity(NeutralEstimator.Estimate([.. tracked.Select(f => poseFree[f]!)]));
        var actor = aligned with { Neutral = aligned.ModelNeutral };
        var activation = new double[poseFree.Count];
        Array.Fill(activation, double.NaN);
        foreach (var f in tracked)
        {
            // No temporal term: a frame's activation is its own (a held smile must not bleed into the frames after it).
            var fit = fitter.FitFrame(actor, poseFree[f]!, previous: null);
            double sum = 0;
            for (var e = 0; e < fit.ExpressionWeights.Length; e++)
            {
                sum += counted[e] ? fit.ExpressionWeights[e] : 0;
            }

            activation[f] = sum;
        }

        var take = Math.Min(tracked.Length, Math.Max(MinRestingFrames, (int)Math.Ceiling(RestingShare * tracked.Length)));
        var resting = tracked.OrderBy(f => activation[f]).ThenBy(f => f).Take(take).Order().ToArray();
        var faces = resting.Select(f => poseFree[f]!).ToList();
        var neutral = NeutralEstimator.Estimate(faces);
        var frame = resting[NeutralEstimator.ClosestFrame(faces, neutral)];
        return new RestingFace(neutral, frame, resting, activation);
    }
}
