namespace FacePipeline.Contracts;

/// <summary>How a retarget carries the source's expression onto the target's face.</summary>
public enum TransferSpace
{
    /// <summary>Deformation transfer on the 468-point mesh: the source's per-triangle deformation from its neutral, re-solved on the target's neutral (the default; needs no model).</summary>
    Mesh,

    /// <summary>
    /// Through ARKit blendshape space: the ICT-FaceKit model is fitted to both actors (identity from each neutral,
    /// the source's 53 expression weights per frame), and the source's weights are re-posed on the target's fitted
    /// identity. Needs the ICT-FaceKit model on the expression-transfer service.
    /// </summary>
    Blendshapes,
}
