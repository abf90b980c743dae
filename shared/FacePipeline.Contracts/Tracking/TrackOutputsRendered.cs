namespace FacePipeline.Contracts;

/// <summary>Event: the track job's outputs are in the media store.</summary>
/// <param name="BlendshapesCsvKey">The blendshape curves as Live Link Face CSV, or null when the renderer has no morphable model.</param>
/// <param name="BlendshapesJsonKey">The blendshape curves as JSON, or null likewise.</param>
public sealed record TrackOutputsRendered(
    Guid JobId,
    string QcClipKey,
    string TrackingKey,
    string TrackingBinaryKey,
    string? BlendshapesCsvKey = null,
    string? BlendshapesJsonKey = null,
    string? QcKey = null) : IJobMessage;
