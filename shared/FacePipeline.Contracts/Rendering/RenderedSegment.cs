namespace FacePipeline.Contracts;

/// <summary>
/// One encoded run of an output clip's frames (video only) in the media store, waiting to be joined without re-encoding:
/// frames <see cref="FirstFrame"/> .. + <see cref="FrameCount"/> − 1 of the output.
/// </summary>
public sealed record RenderedSegment(int Index, int FirstFrame, int FrameCount, string Key);
