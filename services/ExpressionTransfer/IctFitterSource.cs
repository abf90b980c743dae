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
            logger.LogWarning(error, "{Problem}: retargets in blendshape space are refused.", problem);
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
