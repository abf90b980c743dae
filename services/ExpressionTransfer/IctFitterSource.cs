using FacePipeline.Geometry;
using FacePipeline.Morphable;
using FacePipeline.Stages;

namespace FacePipeline.ExpressionTransfer;

/// <summary>
/// The ICT-FaceKit fitter, loaded once on first use from the models folder (<see cref="ModelPaths.IctFaceModel"/>); null
/// (logged once) when the model is not there or cannot be read.
/// </summary>
public sealed class IctFitterSource(ModelPaths models, CanonicalFaceMesh canonical, ILogger<IctFitterSource> logger)
{
    private readonly Lazy<BlendshapeFitter?> _fitter = new(() =>
    {
        var (fitter, problem, error) = BlendshapeFitter.TryLoad(models.IctFaceModel, canonical);
        if (fitter is null)
        {
            logger.LogWarning(error, "{Problem}: retargets in blendshape space are refused, and neutrals fall back to the clip's per-point median.", problem);
            return null;
        }

        logger.LogInformation(
            "ICT-FaceKit model loaded from {Folder}; correspondence residual {Residual:F3} cm (interior landmarks, mean)",
            models.IctFaceModel,
            fitter.Correspondence.Residual.InteriorLandmarkMeanCm);
        return fitter;
    });

    /// <summary>The fitter, or null without the model.</summary>
    public BlendshapeFitter? Fitter => _fitter.Value;
}

/// <summary>Each clip's resting face by <see cref="RestingFaceFinder"/> (ICT-FaceKit activation against the model's average face).</summary>
public sealed class IctRestingFaces(IctFitterSource ict, ILogger<IctRestingFaces> logger) : IRestingFaces
{
    private readonly Lazy<RestingFaceFinder?> _finder = new(() => ict.Fitter is { } fitter ? RestingFaceFinder.For(fitter) : null);

    public RestingFaceChoice? Find(IReadOnlyList<Vec3[]?> poseFree)
    {
        if (_finder.Value is not { } finder)
        {
            return null;
        }

        var rest = finder.Find(poseFree);
        logger.LogInformation("Resting face: frame {Frame}, {Count} resting frames of {Total}", rest.Frame, rest.RestingFrames.Count, poseFree.Count);
        return new RestingFaceChoice(rest.Neutral, rest.Frame, rest.RestingFrames);
    }
}
