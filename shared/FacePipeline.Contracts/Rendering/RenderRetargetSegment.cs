namespace FacePipeline.Contracts;

/// <summary>
/// Command to the rendering service: render output frames <see cref="FirstFrame"/> .. + <see cref="FrameCount"/> − 1 of a
/// retarget as <see cref="Outputs"/> describes it (its transfer document, clips, renderer and outputs asked for) and encode
/// them as one segment of each of its clips (the result, the review clip, and ProRes, the matte, ProRes 4444 and DNxHR
/// where asked for) in the folder <see cref="SegmentKey"/>, with the QC's re-tracking of those frames when it has a QC.
/// Any number of Rendering workers render a retarget's segments at once; the job's <see cref="RenderRetargetOutputs"/>
/// (with its segments) then joins them.
/// </summary>
public sealed record RenderRetargetSegment(
    Guid JobId,
    int Segment,
    int FirstFrame,
    int FrameCount,
    RenderRetargetOutputs Outputs,
    string SegmentKey) : IJobMessage;
