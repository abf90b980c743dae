namespace FacePipeline.Contracts;

/// <summary>What a retarget takes as each actor's neutral face when no neutral frame is named for that clip.</summary>
public enum NeutralMode
{
    /// <summary>The frames where the face is at rest (least expression against the ICT-FaceKit model's average face), so a held smile is never taken for the neutral.</summary>
    Resting,

    /// <summary>The clip's first frame with a face: expressions relative to how the clip starts, as reenactment tools offer.</summary>
    First,
}
