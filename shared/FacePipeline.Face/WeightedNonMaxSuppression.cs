namespace FacePipeline.Face;

/// <summary>
/// MediaPipe's WEIGHTED non-maximum suppression with intersection-over-union overlap (the
/// <c>NonMaxSuppressionCalculator</c> of the face detection graphs): detections are taken by
/// descending score; the best remaining one and every remaining detection overlapping it by more
/// than <see cref="MinSuppressionThreshold"/> (itself included) are merged into one whose box
/// corners and keypoints are the score-weighted averages of theirs, with the best one's score.
/// </summary>
public sealed class WeightedNonMaxSuppression
{
    private readonly List<(float Score, int Index)> _order = [];
    private readonly List<NormalizedDetection> _sorted = [];
    private readonly List<NormalizedDetection> _remaining = [];
    private readonly List<NormalizedDetection> _candidates = [];

    /// <param name="minSuppressionThreshold">IoU above which a detection is merged into the best one.</param>
    /// <param name="maxDetections">At most this many results; 0 or less = no limit.</param>
    public WeightedNonMaxSuppression(float minSuppressionThreshold = 0.3f, int maxDetections = 0)
    {
        MinSuppressionThreshold = minSuppressionThreshold;
        MaxDetections = maxDetections;
    }

    public float MinSuppressionThreshold { get; }

    public int MaxDetections { get; }

    /// <summary>Merges overlapping detections; the result is ordered by descending score.</summary>
    /// <remarks>Reuses internal lists: not safe to call from several threads at once.</remarks>
    public List<NormalizedDetection> Apply(IReadOnlyList<NormalizedDetection> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        var output = new List<NormalizedDetection>();
        _order.Clear();
        for (var i = 0; i < detections.Count; i++)
        {
            _order.Add((detections[i].Score, i));
        }

        // Descending score; equal scores keep their input (anchor) order, so results are deterministic.
        _order.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        _sorted.Clear();
        foreach (var (_, index) in _order)
        {
            _sorted.Add(detections[index]);
        }

        var remaining = _sorted;
        var next = _remaining;

        while (remaining.Count > 0 && (MaxDetections <= 0 || output.Count < MaxDetections))
        {
            var best = remaining[0];
            next.Clear();
            _candidates.Clear();
            for (var i = 0; i < remaining.Count; i++)
            {
                var other = remaining[i];
                if (IntersectionOverUnion(other, best) > MinSuppressionThreshold)
                {
                    _candidates.Add(other);
                }
                else
                {
                    next.Add(other);
                }
            }

            // A cluster of one is the best detection itself (MediaPipe re-averages it, to the same values).
            output.Add(_candidates.Count <= 1 ? best : Merge(best, _candidates));

            // A degenerate best box overlaps nothing, not even itself: stop as MediaPipe does.
            if (next.Count == remaining.Count)
            {
                break;
            }

            (remaining, next) = (next, remaining);
        }

        _order.Clear();
        _sorted.Clear();
        _remaining.Clear();
        _candidates.Clear();
        return output;
    }

    /// <summary>Intersection over union of two boxes; 0 when they do not overlap or the union is empty.</summary>
    public static float IntersectionOverUnion(NormalizedDetection a, NormalizedDetection b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var left = MathF.Max(a.XMin, b.XMin);
        var top = MathF.Max(a.YMin, b.YMin);
        var right = MathF.Min(a.XMax, b.XMax);
        var bottom = MathF.Min(a.YMax, b.YMax);
        if (right <= left || bottom <= top)
        {
            return 0f;
        }

        var intersection = (right - left) * (bottom - top);
        var union = a.Area + b.Area - intersection;
        return union > 0f ? intersection / union : 0f;
    }

    private static NormalizedDetection Merge(NormalizedDetection best, List<NormalizedDetection> candidates)
    {
        var keypointCount = best.Keypoints.Count;
        Span<float> keypoints = keypointCount <= 32 ? stackalloc float[keypointCount * 2] : new float[keypointCount * 2];
        keypoints.Clear();
        float xMin = 0f, yMin = 0f, xMax = 0f, yMax = 0f, total = 0f;
        foreach (var c in candidates)
        {
            var s = c.Score;
            total += s;
            xMin += c.XMin * s;
            yMin += c.YMin * s;
            xMax += c.XMax * s;
            yMax += c.YMax * s;
            var n = Math.Min(keypointCount, c.Keypoints.Count);
            for (var k = 0; k < n; k++)
            {
                keypoints[2 * k] += c.Keypoints[k].X * s;
                keypoints[(2 * k) + 1] += c.Keypoints[k].Y * s;
            }
        }

        if (total <= 0f)
        {
            return best;
        }

        var merged = new NormalizedPoint[keypointCount];
        for (var k = 0; k < keypointCount; k++)
        {
            merged[k] = new NormalizedPoint(keypoints[2 * k] / total, keypoints[(2 * k) + 1] / total);
        }

        xMin /= total;
        yMin /= total;
        return new NormalizedDetection(xMin, yMin, (xMax / total) - xMin, (yMax / total) - yMin, merged, best.Score);
    }
}
