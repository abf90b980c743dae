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
public sealed class IctBlendshapeSpaceTransfer(IctFitterSource ict, ILogger<IctBlendshapeSpaceTransfer> logger) : IBlendshapeSpaceTransfer
{
    private readonly Lazy<BlendshapeTransfer?> _transfer = new(() => ict.Fitter is { } fitter ? new BlendshapeTransfer(fitter) : null);

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
