using System.Diagnostics.CodeAnalysis;
using FacePipeline.Geometry;
using FacePipeline.Morphable;
using FacePipeline.Stages;

namespace FacePipeline.ExpressionTransfer;

/// <summary>
/// Retargets in blendshape space with the ICT-FaceKit model (FacePipeline.Morphable's <see cref="BlendshapeTransfer"/>):
/// the model is loaded once, on the first job that asks for it, from the models folder
/// (<see cref="ModelPaths.IctFaceModel"/>). Without the model (or with one that cannot be read) such jobs are refused
/// (logged once); the default mesh transfer never needs it.
/// </summary>
public sealed class IctBlendshapeSpaceTransfer(ModelPaths models, CanonicalFaceMesh canonical, ILogger<IctBlendshapeSpaceTransfer> logger) : IBlendshapeSpaceTransfer
{
    private readonly Lazy<BlendshapeTransfer?> _transfer = new(() =>
    {
        var (fitter, problem, error) = BlendshapeFitter.TryLoad(models.IctFaceModel, canonical);
        if (fitter is null)
        {
            logger.LogWarning(error, "{Problem}: retargets in blendshape space are refused.", problem);
            return null;
        }

        logger.LogInformation(
            "ICT-FaceKit model loaded from {Folder} for retargets in blendshape space; correspondence residual {Residual:F3} cm (interior landmarks, mean)",
            models.IctFaceModel,
            fitter.Correspondence.Residual.InteriorLandmarkMeanCm);
        return new BlendshapeTransfer(fitter);
    });

    public bool TryTransfer(
        IReadOnlyList<Vec3[]?> source,
        int? sourceNeutralFrame,
        IReadOnlyList<Vec3[]?> target,
        int? targetNeutralFrame,
        [NotNullWhen(true)] out BlendshapeSpaceFaces? faces)
    {
        if (_transfer.Value is not { } transfer)
        {
            faces = null;
            return false;
        }

        var result = transfer.Transfer(source, sourceNeutralFrame, target, targetNeutralFrame);
        logger.LogInformation(
            "Blendshape-space transfer: {Frames} source frames fitted in {Ms:F1} ms/frame; identity RMS residual source {Source:F3} cm, target {Target:F3} cm",
            result.SourceFit.FittedFrames,
            result.SourceFit.MillisecondsPerFrame,
            result.SourceFit.Actor.RmsResidualCm,
            result.Target.RmsResidualCm);
        faces = new BlendshapeSpaceFaces(result.Faces, result.TargetNeutral);
        return true;
    }
}
