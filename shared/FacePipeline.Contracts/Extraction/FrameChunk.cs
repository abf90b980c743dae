namespace FacePipeline.Contracts;

/// <summary>
/// One run of consecutive frames of a clip: frames <see cref="FirstFrame"/> .. <see cref="FirstFrame"/> + <see cref="FrameCount"/> − 1.
/// No frames are stored: a stage decodes its run straight from the clip's upload (issue 16), frame-exact by the clip's timeline.
/// </summary>
public sealed record FrameChunk(int Index, int FirstFrame, int FrameCount);
