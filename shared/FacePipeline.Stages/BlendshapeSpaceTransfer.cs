using System.Diagnostics.CodeAnalysis;
using FacePipeline.Geometry;

namespace FacePipeline.Stages;

/// <summary>The outcome of a transfer in blendshape space, as <see cref="ExpressionTransferStage"/> hands it to the planner.</summary>
/// <param name="Faces">Per source frame the target's pose-free face (468 points, cm) showing that frame's expression; null where the source has no face.</param>
/// <param name="TargetNeutral">The target's pose-free neutral the faces were built on.</param>
public sealed record BlendshapeSpaceFaces(IReadOnlyList<Vec3[]?> Faces, Vec3[] TargetNeutral);

/// <summary>
/// Expression transfer in blendshape space (<see cref="Contracts.TransferSpace.Blendshapes"/>): the source's per-frame
/// ARKit expression weights re-posed on the target's fitted identity. The fitting lives in FacePipeline.Morphable; the
/// ExpressionTransfer service supplies the implementation (with the ICT-FaceKit model), and a
/// <see cref="ExpressionTransferStage"/> without one refuses such jobs.
/// </summary>
public interface IBlendshapeSpaceTransfer
{
    /// <summary>
    /// Transfers every source frame onto the target's identity; false (nothing made) when the morphable model is not
    /// installed or cannot be read.
    /// </summary>
    /// <param name="source">Per source frame the pose-free landmarks (468, cm), or null where there is no face.</param>
    /// <param name="sourceNeutralFrame">The source frame the studio names as the performer's neutral, or null.</param>
    /// <param name="target">Per target frame the pose-free landmarks, or null.</param>
    /// <param name="targetNeutralFrame">The target frame the studio names as the actor's neutral, or null.</param>
    /// <param name="faces">The transferred faces (one per source frame) and the target neutral they were built on.</param>
    /// <exception cref="ArgumentException">A clip without a face, or a named neutral frame without one.</exception>
    bool TryTransfer(
        IReadOnlyList<Vec3[]?> source,
        int? sourceNeutralFrame,
        IReadOnlyList<Vec3[]?> target,
        int? targetNeutralFrame,
        [NotNullWhen(true)] out BlendshapeSpaceFaces? faces);
}
