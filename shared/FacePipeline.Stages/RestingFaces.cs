using FacePipeline.Geometry;

namespace FacePipeline.Stages;

/// <summary>An actor's resting face in a clip: the neutral, the frame closest to it, and every frame judged at rest.</summary>
public sealed record RestingFaceChoice(Vec3[] Neutral, int Frame, IReadOnlyList<int> RestingFrames);

/// <summary>
/// Finds the frames of a clip where the actor's face is at rest, whatever expression the clip holds (issue 13). The fit
/// lives in FacePipeline.Morphable (<c>RestingFaceFinder</c>, with the ICT-FaceKit model); the ExpressionTransfer service
/// supplies it. Without one a retarget falls back to the per-point median of the clip.
/// </summary>
public interface IRestingFaces
{
    /// <summary>The resting face of a clip (pose-free landmarks per frame, null where no face); null when the model is not installed.</summary>
    RestingFaceChoice? Find(IReadOnlyList<Vec3[]?> poseFree);
}
