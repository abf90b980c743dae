namespace FacePipeline.Contracts;

/// <summary>The names of a job's stages, as the API reports them.</summary>
public static class StageNames
{
    public const string Extract = "extract";
    public const string Reconstruct = "reconstruct";
    public const string Transfer = "transfer";
    public const string Render = "render";

    /// <summary>Train-actor jobs: the neural renderer is trained on the actor's footage.</summary>
    public const string Train = "train";
}
