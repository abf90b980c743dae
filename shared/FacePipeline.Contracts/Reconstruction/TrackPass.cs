namespace FacePipeline.Contracts;

/// <summary>
/// How a <see cref="ReconstructFaces"/> runs as one piece of a track job's single-decode pass (issue 16): the chunk's
/// frames are decoded once, tracked, drawn with the clip's filtered mesh and encoded as the chunk's segment of the QC
/// clip. A clip's pieces run one after another: each takes up the tracker and filters where the piece before it left
/// them, so the pieces give the records and pictures of one run through the clip.
/// </summary>
/// <param name="StateInKey">Where the piece before this one left the tracker and filters; null for the clip's first piece.</param>
/// <param name="StateOutKey">Where this piece leaves them, for the next.</param>
/// <param name="QcSegmentKey">The chunk's segment of the QC clip (video only, at the source's frame times), joined later without re-encoding.</param>
/// <param name="Video">The clip's video facts (the segment's picture size, rate and times).</param>
public sealed record TrackPass(string? StateInKey, string StateOutKey, string QcSegmentKey, VideoInfo Video);
