namespace FacePipeline.Contracts;

/// <summary>Where a retarget's head pose comes from.</summary>
public enum PoseSource
{
    /// <summary>The target footage's own head motion (the face stays where the footage has it).</summary>
    Target,

    /// <summary>The source performer's head rotation, relative to their average, applied on the target's average.</summary>
    Source,
}
