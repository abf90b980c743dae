using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines;

/// <summary>
/// How an output clip is cut into segments that any number of Rendering workers render at once, and then joined
/// without re-encoding (issue 16). Segments are <see cref="Frames"/> frames long; a remainder shorter than half a
/// segment joins the last one, so no segment is tiny. A clip shorter than a segment and a half is one segment.
/// </summary>
public static class RenderSegments
{
    /// <summary>Frames per segment: 20 s at 30 fps; seconds of work for a worker, so a job's segments spread over the
    /// workers and a killed worker loses little. Each segment starts its own decoder (from the key frame before it) and
    /// x264 (whose look-ahead and frame threads fill and drain per segment): at 300 frames that cost 8.30 ms/frame
    /// against 7.25 at 600 and 6.88 at 1,200 (<c>facepipe-bench qc-segment</c>, 480p, docs/benchmarks.md).</summary>
    public const int Frames = 600;

    /// <summary>The segments (first frame, frame count) of an output of <paramref name="frameCount"/> frames.</summary>
    public static IReadOnlyList<(int FirstFrame, int FrameCount)> Plan(int frameCount, int segmentFrames = Frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentFrames, 1);
        var plan = new List<(int, int)>();
        var first = 0;
        while (first < frameCount)
        {
            var left = frameCount - first;
            var count = left < segmentFrames + (segmentFrames / 2) ? left : segmentFrames;
            plan.Add((first, count));
            first += count;
        }

        return plan;
    }

    /// <summary>Frames a render stage has done: every rendered segment whole, the others as far as their reports say.</summary>
    public static int FramesDone(IEnumerable<JobSegment> segments) =>
        segments.Sum(s => s.Rendered ? s.FrameCount : Math.Min(s.FramesDone, s.FrameCount));
}
