using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePipeline.Retarget;

/// <summary>
/// The QC verdict a retarget job delivers with its result (<c>qc.json</c>, schema <c>facepipeline.qc/v1</c>): the result
/// tracked again and measured against the performer and the actor as <c>facepipe-bench fidelity</c> measures
/// (<see cref="RetargetFidelity"/>), the features that miss issue 13's goals in sentences, and the frame ranges where the
/// result stops following the performer or where a face was lost.
/// </summary>
/// <param name="Schema"><see cref="SchemaV1"/>.</param>
/// <param name="Verdict"><c>pass</c> (every judged feature meets the goals, the result's face tracked throughout), <c>review</c> (a person should look at what <paramref name="Findings"/> names) or <c>unmeasured</c> (too few frames with all three faces).</param>
/// <param name="Findings">What a person should look at, one sentence each (empty on a pass).</param>
/// <param name="OutputFrames">Frames of the result.</param>
/// <param name="MeasuredFrames">Frames where the performer, the actor and the result were all tracked and the frame drives a face.</param>
/// <param name="Features">Each feature's figures.</param>
/// <param name="FidelityDrops">Frame ranges where a followed feature of the result departs from the performer's by more than <see cref="RetargetQc.DropShare"/> of the performer's span.</param>
/// <param name="TrackingLost">Frame ranges with no face: the result's (<c>result-face-lost</c>), the performer's (<c>performer-lost</c>: the neutral was held) or the actor's (<c>actor-untracked</c>: the footage is shown as it is).</param>
/// <param name="Goals">The goals the verdict applies.</param>
/// <param name="Identity">The result's identity distance to the actor's own frames, when the identity model is installed; null otherwise.</param>
public sealed record RetargetQcReport(
    string Schema,
    string Verdict,
    IReadOnlyList<string> Findings,
    int OutputFrames,
    int MeasuredFrames,
    IReadOnlyList<QcFeature> Features,
    IReadOnlyList<QcFrameRange> FidelityDrops,
    IReadOnlyList<QcFrameRange> TrackingLost,
    QcGoals Goals,
    QcIdentity? Identity = null)
{
    /// <summary>The schema name of qc.json.</summary>
    public const string SchemaV1 = "facepipeline.qc/v1";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes qc.json.</summary>
    public Task WriteAsync(Stream stream, CancellationToken cancellationToken) => JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken);

    /// <summary>Reads qc.json.</summary>
    public static async Task<RetargetQcReport> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var report = await JsonSerializer.DeserializeAsync<RetargetQcReport>(stream, Json, cancellationToken) ?? throw new InvalidDataException("Empty QC document.");
        return report.Schema == SchemaV1 ? report : throw new InvalidDataException($"Unknown QC document schema '{report.Schema}'.");
    }
}

/// <summary>One feature's figures in qc.json; null where a figure is undefined (a constant series, no frames).</summary>
/// <param name="Feature">Machine name: mouthOpening, mouthWidth, smile, rightEyeOpening, leftEyeOpening, rightBrowHeight, leftBrowHeight, gazeAcross, gazeDown (the gaze needs irises on all three faces: otherwise 0 frames, not judged).</param>
/// <param name="Label">What it measures, for people.</param>
/// <param name="Goal">Whether issue 13's goals apply to it (mouth, smile, eye openings: r, range, leakage; gaze: r; brows are reported only).</param>
/// <param name="Judged">The performer moved it at least <see cref="FidelityGoals.MinSpan"/> IOD (p95–p5): below that its r and range are tracking noise.</param>
/// <param name="PerformerR">r(performer, result).</param>
/// <param name="RangeRatio">The result's p95–p5 span over the performer's.</param>
/// <param name="Leakage">r(actor, result): the actor's own performance showing through.</param>
/// <param name="ChanceR">r(performer, actor): how much the two clips go together by chance (the floor under <paramref name="Leakage"/> for a perfect result).</param>
/// <param name="PerformerSpan">The performer's p95–p5 span, inter-ocular distances.</param>
/// <param name="ResultSpan">The result's.</param>
/// <param name="MeetsGoals">Judged goal features: r, range and leakage all within the goals; others: true.</param>
public sealed record QcFeature(
    string Feature,
    string Label,
    bool Goal,
    bool Judged,
    double? PerformerR,
    double? RangeRatio,
    double? Leakage,
    double? ChanceR,
    double PerformerSpan,
    double ResultSpan,
    bool MeetsGoals);

/// <summary>Output frames <paramref name="First"/> to <paramref name="Last"/> (inclusive) and why they are listed.</summary>
/// <param name="First">First output frame.</param>
/// <param name="Last">Last output frame.</param>
/// <param name="Reason">result-face-lost, performer-lost, actor-untracked, or the features that departed (e.g. "mouthOpening, smile").</param>
public sealed record QcFrameRange(int First, int Last, string Reason);

/// <summary>The goals qc.json's verdict applies (issue 13's).</summary>
public sealed record QcGoals(double MinR, double MinRangeRatio, double MaxRangeRatio, double MaxLeakage, double MinSpan, double MaxResultLostShare, double MinGazeR)
{
    /// <summary>The goals of <see cref="FidelityGoals"/>, and at most 5 % of the driven frames without a face in the result.</summary>
    public static QcGoals Default { get; } = new(FidelityGoals.MinR, FidelityGoals.MinRangeRatio, FidelityGoals.MaxRangeRatio, FidelityGoals.MaxLeakage, FidelityGoals.MinSpan, 0.05, FidelityGoals.MinGazeR);
}

/// <summary>
/// The result's identity against the actor's footage (128-d face-recognition descriptors, dlib's network through
/// face-api): the result frames' mean distance to the actor's mean descriptor, against the actor's own frames' distances
/// to it; and, to show which way a drift goes, the result's mean distance to the performer's mean descriptor.
/// </summary>
/// <param name="ResultDistance">Mean distance of the sampled result frames to the actor's mean descriptor.</param>
/// <param name="ActorSpread">The largest distance of the actor's own sampled frames to that mean (their 95th percentile with 20 or more).</param>
/// <param name="Kept">ResultDistance within ActorSpread.</param>
/// <param name="Frames">Result frames measured.</param>
/// <param name="PerformerDistance">Mean distance of the same result frames to the performer's mean descriptor (dlib's same-person threshold is 0.6); null when not measured.</param>
public sealed record QcIdentity(double ResultDistance, double ActorSpread, bool Kept, int Frames, double? PerformerDistance = null)
{
    /// <summary>
    /// The figures from descriptors: the actor's frames, the result's, and the performer's (may be empty). Null when
    /// the actor or the result has no descriptor.
    /// </summary>
    public static QcIdentity? Of(IReadOnlyList<float[]> actor, IReadOnlyList<float[]> result, IReadOnlyList<float[]> performer)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(performer);
        if (actor.Count == 0 || result.Count == 0)
        {
            return null;
        }

        var actorMean = Mean(actor);
        var own = actor.Select(d => Distance(d, actorMean)).Order().ToArray();
        var spread = own.Length >= 20 ? own[(int)Math.Ceiling(0.95 * own.Length) - 1] : own[^1];
        var distance = result.Average(d => Distance(d, actorMean));
        double? toPerformer = performer.Count == 0 ? null : Math.Round(result.Average(d => Distance(d, Mean(performer))), 4);
        return new QcIdentity(Math.Round(distance, 4), Math.Round(spread, 4), distance <= spread, result.Count, toPerformer);
    }

    private static double[] Mean(IReadOnlyList<float[]> descriptors)
    {
        var mean = new double[descriptors[0].Length];
        foreach (var d in descriptors)
        {
            for (var i = 0; i < mean.Length; i++)
            {
                mean[i] += d[i] / (double)descriptors.Count;
            }
        }

        return mean;
    }

    private static double Distance(float[] a, double[] b)
    {
        double sum = 0;
        for (var i = 0; i < b.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(sum);
    }
}

/// <summary>Assesses a retarget's re-tracked result into its <see cref="RetargetQcReport"/>.</summary>
public static class RetargetQc
{
    /// <summary>A result feature further than this share of the performer's span from where the performer puts it counts as a drop.</summary>
    public const double DropShare = 0.5;

    /// <summary>…and further than this many inter-ocular distances (so a feature that barely moves is not flagged on noise).</summary>
    public const double MinDrop = 0.02;

    /// <summary>Drops shorter than this many frames are not listed (a single mistracked frame is not a finding).</summary>
    public const int MinRangeFrames = 3;

    /// <summary>Fewer measured frames than this: verdict <c>unmeasured</c>.</summary>
    public const int MinMeasuredFrames = 10;

    /// <summary>Why an output frame carries no driven face.</summary>
    public enum FrameState
    {
        /// <summary>The performer's expression on a tracked actor face.</summary>
        Driven,

        /// <summary>The performer's face was lost for long: the neutral was held.</summary>
        PerformerLost,

        /// <summary>The actor's face was lost for long: the footage as it is.</summary>
        ActorUntracked,
    }

    /// <summary>
    /// The report. Features per frame as <see cref="ExpressionFeatures.Measure(IReadOnlyList{FacePipeline.Geometry.Vec3})"/> gives them,
    /// null where no face: <paramref name="performer"/> per source frame, <paramref name="actor"/> per target frame,
    /// <paramref name="result"/> per output frame; <paramref name="frames"/> pairs each output frame with the others
    /// (as transfer.json does) and <paramref name="states"/> says which frames drive a face.
    /// </summary>
    public static RetargetQcReport Assess(
        IReadOnlyList<double[]?> performer,
        IReadOnlyList<double[]?> actor,
        IReadOnlyList<double[]?> result,
        IReadOnlyList<FidelityFrame> frames,
        IReadOnlyList<FrameState> states,
        QcIdentity? identity = null)
    {
        ArgumentNullException.ThrowIfNull(performer);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(states);
        if (frames.Count != result.Count || states.Count != result.Count)
        {
            throw new ArgumentException($"{result.Count} result frames, {frames.Count} frame pairings and {states.Count} states: one of each per output frame.");
        }

        var goals = QcGoals.Default;
        var driven = frames.Select((f, k) => f with { Driven = f.Driven && states[k] == FrameState.Driven }).ToList();
        var fidelity = RetargetFidelity.Measure(performer, actor, result, driven);
        var features = fidelity.Select(f => new QcFeature(
            JsonNamingPolicy.CamelCase.ConvertName(f.Feature.ToString()),
            ExpressionFeatures.Label(f.Feature),
            FidelityGoals.Followed.Contains(f.Feature) || FidelityGoals.Gaze.Contains(f.Feature),
            f.Moves,
            Finite(f.PerformerR),
            Finite(f.RangeRatio),
            Finite(f.ActorR),
            Finite(f.PerformerActorR),
            f.PerformerSpan,
            f.ResultSpan,
            f.MeetsFollowGoal && f.MeetsLeakageGoal)).ToList();

        var lost = new List<QcFrameRange>();
        lost.AddRange(Ranges(states.Select(s => s == FrameState.PerformerLost).ToList(), 1, "performer-lost"));
        lost.AddRange(Ranges(states.Select(s => s == FrameState.ActorUntracked).ToList(), 1, "actor-untracked"));
        var resultLost = result.Select((r, k) => r is null && states[k] == FrameState.Driven).ToList();
        lost.AddRange(Ranges(resultLost, 1, "result-face-lost"));
        lost.Sort((a, b) => a.First.CompareTo(b.First));

        var drops = Drops(performer, result, driven, fidelity);
        var measured = fidelity.Count > 0 ? fidelity[0].Frames : 0;
        var drivenCount = states.Count(s => s == FrameState.Driven);
        var findings = new List<string>();
        foreach (var (f, q) in fidelity.Zip(features).Where(x => x.Second.Goal && x.Second.Judged && !x.Second.MeetsGoals))
        {
            findings.Add(Finding(f, q, goals));
        }

        var lostShare = drivenCount == 0 ? 0 : resultLost.Count(x => x) / (double)drivenCount;
        if (lostShare > goals.MaxResultLostShare)
        {
            findings.Add(string.Create(CultureInfo.InvariantCulture, $"The result's face was not found on {resultLost.Count(x => x)} of {drivenCount} driven frames ({lostShare:P0}); see trackingLost for the ranges."));
        }

        if (identity is { Kept: false })
        {
            findings.Add(string.Create(CultureInfo.InvariantCulture, $"The result looks less like the actor than the actor's own frames do: identity distance {identity.ResultDistance:F3} against the footage's spread {identity.ActorSpread:F3}."));
        }

        var verdict = measured < MinMeasuredFrames ? "unmeasured" : findings.Count == 0 ? "pass" : "review";
        if (verdict == "unmeasured")
        {
            findings.Insert(0, $"Only {measured} frames had the performer, the actor and the result all tracked (at least {MinMeasuredFrames} are needed): fidelity was not measured.");
        }

        return new RetargetQcReport(RetargetQcReport.SchemaV1, verdict, findings, result.Count, measured, features, drops, lost, goals, identity);
    }

    /// <summary>The sentence for a feature that misses its goals: which figure, by how much.</summary>
    private static string Finding(FeatureFidelity f, QcFeature q, QcGoals goals)
    {
        var misses = new List<string>();
        var label = char.ToUpperInvariant(q.Label[0]) + q.Label[1..];
        if (FidelityGoals.Gaze.Contains(f.Feature))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{label} follows the performer's with r {Show(f.PerformerR)} (goal ≥ {goals.MinGazeR:F1}).");
        }

        if (!(f.PerformerR >= goals.MinR))
        {
            misses.Add(string.Create(CultureInfo.InvariantCulture, $"follows the performer with r {Show(f.PerformerR)} (goal ≥ {goals.MinR:F1})"));
        }

        if (!(f.RangeRatio >= goals.MinRangeRatio && f.RangeRatio <= goals.MaxRangeRatio))
        {
            var how = f.RangeRatio < goals.MinRangeRatio ? "weaker" : "stronger";
            misses.Add(string.Create(CultureInfo.InvariantCulture, $"moves {Show(f.RangeRatio)}× as far as the performer's ({how}; goal {goals.MinRangeRatio:F2}–{goals.MaxRangeRatio:F2})"));
        }

        if (f.ActorR > goals.MaxLeakage)
        {
            misses.Add(string.Create(CultureInfo.InvariantCulture, $"goes with the actor's own performance, r {Show(f.ActorR)} (goal ≤ {goals.MaxLeakage:F1}; the two clips go together by chance at r {Show(f.PerformerActorR)})"));
        }

        return $"{label} {string.Join("; ", misses)}.";
    }

    /// <summary>Frame ranges where a judged goal feature of the result departs from the performer's (offset by the median difference of the two faces).</summary>
    private static List<QcFrameRange> Drops(IReadOnlyList<double[]?> performer, IReadOnlyList<double[]?> result, IReadOnlyList<FidelityFrame> frames, IReadOnlyList<FeatureFidelity> fidelity)
    {
        var judged = fidelity.Where(f => FidelityGoals.Followed.Contains(f.Feature) && f.Moves).ToList();
        var departed = new List<string>?[result.Count];
        foreach (var f in judged)
        {
            var i = (int)f.Feature;
            var differences = new List<(int Frame, double Difference)>();
            for (var k = 0; k < result.Count; k++)
            {
                if (frames[k].Driven && result[k] is { } r && RetargetFidelity.At(performer, frames[k].SourcePosition) is { } p)
                {
                    differences.Add((k, r[i] - p[i]));
                }
            }

            if (differences.Count == 0)
            {
                continue;
            }

            var offset = Median([.. differences.Select(d => d.Difference)]);
            var limit = Math.Max(DropShare * f.PerformerSpan, MinDrop);
            foreach (var (frame, difference) in differences.Where(d => Math.Abs(d.Difference - offset) > limit))
            {
                (departed[frame] ??= []).Add(JsonNamingPolicy.CamelCase.ConvertName(f.Feature.ToString()));
            }
        }

        // Consecutive frames with a departure form a range (gaps up to 2 frames bridged); its reason names every feature that departed in it.
        var ranges = new List<QcFrameRange>();
        foreach (var range in Ranges([.. departed.Select(d => d is not null)], MinRangeFrames, string.Empty))
        {
            var names = Enumerable.Range(range.First, range.Last - range.First + 1).SelectMany(k => departed[k] ?? []).Distinct();
            ranges.Add(range with { Reason = string.Join(", ", names) });
        }

        return ranges;
    }

    /// <summary>Runs of true (gaps up to 2 frames bridged) at least <paramref name="minFrames"/> long.</summary>
    public static IEnumerable<QcFrameRange> Ranges(IReadOnlyList<bool> flagged, int minFrames, string reason)
    {
        ArgumentNullException.ThrowIfNull(flagged);
        const int bridge = 2;
        var k = 0;
        while (k < flagged.Count)
        {
            if (!flagged[k])
            {
                k++;
                continue;
            }

            var (first, last) = (k, k);
            for (var j = k + 1; j < flagged.Count && j - last <= bridge + 1; j++)
            {
                if (flagged[j])
                {
                    last = j;
                }
            }

            if (last - first + 1 >= minFrames)
            {
                yield return new QcFrameRange(first, last, reason);
            }

            k = last + 1;
        }
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    private static double? Finite(double value) => double.IsFinite(value) ? Math.Round(value, 4) : null;

    private static string Show(double value) => double.IsFinite(value) ? value.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
