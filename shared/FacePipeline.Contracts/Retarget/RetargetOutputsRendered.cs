namespace FacePipeline.Contracts;

/// <summary>Event: the retarget's outputs are in the media store.</summary>
/// <param name="BlendshapesCsvKey">The transferred expression's blendshape curves as Live Link Face CSV, or null when the renderer has no morphable model.</param>
/// <param name="BlendshapesJsonKey">The same curves as JSON, or null likewise.</param>
/// <param name="QcKey">The QC report (qc.json: the result tracked again against the performer and the actor), or null when the rendering instance has no landmark model.</param>
/// <param name="MatteKey">The soft matte of the region the retarget changed (matte.mov), or null when not asked for.</param>
/// <param name="ProRes4444Key">The result as ProRes 4444 with the matte as alpha, or null when not asked for.</param>
/// <param name="DnxhrKey">The result as DNxHR HQ, or null when not asked for.</param>
public sealed record RetargetOutputsRendered(
    Guid JobId,
    string ResultKey,
    string ReviewKey,
    string? ProResKey,
    string? BlendshapesCsvKey = null,
    string? BlendshapesJsonKey = null,
    string? QcKey = null,
    string? MatteKey = null,
    string? ProRes4444Key = null,
    string? DnxhrKey = null) : IJobMessage;
