using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Retarget fidelity on real footage (issue 13), measured by re-tracking the result: for every clip pair, per output
/// frame, the performer's expression features at its source position, the actor's on the frame the result was rendered
/// from, and the result's own (<see cref="RetargetFidelity"/>); per feature r(performer, result), leakage r(actor, result)
/// and the p95–p5 range ratio, against <see cref="FidelityGoals"/>. Pairs: the shared clips crossed, and hard cases
/// built from real frames (a held expression filling most of a clip; an actor who smiles throughout).
/// </summary>
internal static class FidelityBenchmark
{
    /// <summary>A clip of the benchmark: a shared clip, or one built from a shared clip's frames.</summary>
    private sealed record ClipSpec(string Name, string Label, Func<string, string, CancellationToken, Task<string>> Make);

    public static async Task<string> RunAsync(string media, string? only, string neutral, bool actorTexture, int rounds, string? stills, int stageRuns, string workParent, CancellationToken ct)
    {
        var scratch = BenchPaths.CreateScratch(workParent, "fidelity");
        try
        {
            var models = BenchModels.Load();
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = models.OpenLandmarkModel(refined: true); // the pipeline's tracker: irises when the refined model is installed
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            var rig = new RetargetRig(new MediaStore(scratch), detector, landmarker, mesh);
            using var identities = new ModelIdentityEmbedderFactory(models);
            using var identityLease = identities.Open();
            var identity = identityLease?.Embedder;

            var grid = Shared(media, "grid_lbbc2a.mp4");
            var obama = Shared(media, "obama_wh_closeup.mp4");
            var selfie = Shared(media, "new_face_video-90.mp4");
            var grin = Shared(media, "intel_headpose_male.mp4");
            var heldOpen = Held(rig, media, "grid_swiz3n.mp4", ExpressionFeature.MouthOpening, "held-open", "grid_swiz3n: its widest-open 0.4 s held for 80 %");
            var heldSmile = Held(rig, media, "obama_wh_medium.mp4", ExpressionFeature.Smile, "held-smile", "obama_wh_medium: its broadest-smile 0.4 s held for 80 %");
            var heldBrows = Held(rig, media, "grid_bbaf2n.mp4", ExpressionFeature.RightBrowHeight, "held-brows", "grid_bbaf2n: its highest-brow 0.4 s held for 80 %");
            (ClipSpec Source, ClipSpec Target)[] pairs =
            [
                (obama, grid), (grid, obama), (selfie, grid), (grid, selfie), (obama, selfie), (selfie, obama),
                (grin, grid), (heldOpen, obama), (heldSmile, grid), (heldBrows, obama), (obama, grin),
            ];
            if (only is { Length: > 0 })
            {
                pairs = [.. pairs.Where(p => $"{p.Source.Name}:{p.Target.Name}".Contains(only, StringComparison.OrdinalIgnoreCase))];
            }

            var tracked = new Dictionary<string, TrackedClip>();
            async Task<TrackedClip> Track(ClipSpec spec)
            {
                if (!tracked.TryGetValue(spec.Name, out var clip))
                {
                    Console.Error.WriteLine($"fidelity: tracking {spec.Label}…");
                    var path = await spec.Make(scratch, spec.Name, ct);
                    clip = await rig.TrackAsync(path, spec.Name, ct);
                    if (neutral != "median")
                    {
                        // As the transfer stage does: the resting frames (default) or the first frame.
                        var faces = ExpressionTransferStage.WithNeutral(clip.Faces, neutral == "first" ? NeutralMode.First : NeutralMode.Resting);
                        Console.Error.WriteLine($"fidelity: {spec.Name} neutral frame {faces.NeutralFrame} (resting: {string.Join(",", faces.RestingFrames ?? [])})");
                        clip = clip with { Faces = faces };
                    }

                    tracked[spec.Name] = clip;
                }

                return clip;
            }

            var results = new List<(ClipSpec Source, ClipSpec Target, IReadOnlyList<FeatureFidelity> Fidelity, int Frames, double RenderMs)>();
            var stages = new List<string>();
            var qcRows = new List<string>();
            foreach (var (source, target) in pairs)
            {
                var performer = await Track(source);
                var actor = await Track(target);
                Console.Error.WriteLine($"fidelity: {source.Name} onto {target.Name}…");
                var (plan, frames, renderMs) = await rig.RetargetAsync(performer, actor, RetargetPlanOptions.Default, RetargetSettings.Default, ct, restingFace: !actorTexture, rounds: rounds);
                var result = rig.TrackFrames(frames, actor.Clip.Video.Width, actor.Clip.Video.Height);
                if (stills is not null)
                {
                    // A few result frames beside the performer's and actor's, for a person to look at.
                    Directory.CreateDirectory(stills);
                    foreach (var k in new[] { frames.Count / 4, frames.Count / 2, 3 * frames.Count / 4 })
                    {
                        await FacePipeline.Media.StillImageWriter.WriteAsync(frames[k], actor.Clip.Video.Width, actor.Clip.Video.Height, Path.Combine(stills, $"{source.Name}-onto-{target.Name}-{k:D4}.png"), ct);
                    }
                }

                results.Add((source, target, Measure(performer, actor, result, plan), plan.Frames.Count, renderMs));
                qcRows.Add(await QcRow(source, target, performer, actor, plan, frames, landmarker, identity, new MediaStore(scratch), results[^1].Fidelity, ct));
                if (stageRuns > 0)
                {
                    var (before, render, withQc) = await rig.StageSecondsAsync(performer, actor, plan, models, stageRuns, rounds, ct);
                    stages.Add(Md.Row($"{source.Name} → {target.Name}", $"{actor.Clip.Video.Width}x{actor.Clip.Video.Height}", plan.Frames.Count.ToString(CultureInfo.InvariantCulture),
                        Md.F(1000 * before / plan.Frames.Count, 1), Md.F(1000 * render / plan.Frames.Count, 1), Md.F(render / before, 2), Md.F(1000 * withQc / plan.Frames.Count, 1), Md.F(withQc / before, 2)));
                }
            }

            var report = Report(media, only, neutral, actorTexture, rounds, results);
            report += string.Join('\n', new[]
            {
                "",
                "The job's own QC (`qc.json`, written by the render stage): the same result frames tracked as the job tracks them (each frame's search region from the face found on the one before), its verdict, and its mouth-opening figures beside the fresh tracker's above (r / range ratio); identity: the 128-d face-recognition distance (dlib's network through face-api; same person below 0.6) of the result frames to the actor's mean descriptor, the largest of the actor's own frames' distances to it, and the result's to the performer's mean (✓: within the actor's spread).",
                "",
                Md.Row("performer → actor", "verdict", "findings", "mouth opening: qc.json", "fresh tracker", "fidelity drops (frames)", "result face lost (frames)", "identity: result→actor / actor spread / result→performer"),
                Md.Separator(8, 2),
            }.Concat(qcRows)) + "\n";
            if (stages.Count > 0)
            {
                report += string.Join('\n', new[]
                {
                    "",
                    $"Render stage (`RetargetRenderStage`: render, H.264 result and review clip), ms per output frame, best of {stageRuns} runs each (order rotated): before issue 13 (each target frame's own face, one pass); now, rendering (the resting face, closed loop with {rounds} round(s) on the refined landmark model, the mouth's inside, the gaze); and now as a job runs it, with qc.json too (every result frame tracked again beside the encoders, 36 identity descriptors).",
                    "",
                    Md.Row("performer → actor", "target", "frames", "before", "now: render", "render / before", "now: with QC", "with QC / before"),
                    Md.Separator(8, 2, 3, 4, 5, 6, 7),
                }.Concat(stages)) + "\n";
            }

            return report;
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>The job's QC report on the same result frames (<see cref="RetargetQcTracker"/>), as a table row beside the benchmark's own figures.</summary>
    private static async Task<string> QcRow(ClipSpec source, ClipSpec target, TrackedClip performer, TrackedClip actor, RetargetPlan plan, List<byte[]> frames, FaceLandmarkModel landmarker, FaceIdentityEmbedder? identity, MediaStore store, IReadOnlyList<FeatureFidelity> fresh, CancellationToken ct)
    {
        var document = ExpressionTransferStage.Document(new TransferExpressions(Guid.Empty, performer.Clip, actor.Clip, RetargetSettings.Default, "transfer.json"), plan);
        var tracker = new RetargetQcTracker(document, new LandmarkRenderedFaceTracker(landmarker), actor.Clip.Video.Width, actor.Clip.Video.Height, identity);
        await tracker.TrackAllAsync(Frames(frames), ct);
        var references = identity is null ? null : await RetargetQcTracker.ReferenceDescriptorsAsync(document, store, performer.Clip, actor.Clip, performer.Faces, identity, ct);
        var qc = tracker.Assess(RetargetQcTracker.PerformerFeatures(performer.Faces), tracker.Identity(references));
        var mouth = qc.Features.Single(f => f.Feature == "mouthOpening");
        var freshMouth = fresh.Single(f => f.Feature == ExpressionFeature.MouthOpening);
        static int Count(IEnumerable<QcFrameRange> ranges) => ranges.Sum(r => r.Last - r.First + 1);
        return Md.Row($"{source.Name} → {target.Name}", qc.Verdict, qc.Findings.Count.ToString(CultureInfo.InvariantCulture),
            $"{R(mouth.PerformerR ?? double.NaN)} / {Md.F(mouth.RangeRatio ?? double.NaN, 2)}", $"{R(freshMouth.PerformerR)} / {Md.F(freshMouth.RangeRatio, 2)}",
            Count(qc.FidelityDrops).ToString(CultureInfo.InvariantCulture), Count(qc.TrackingLost.Where(r => r.Reason == "result-face-lost")).ToString(CultureInfo.InvariantCulture),
            qc.Identity is { } id ? $"{Md.F(id.ResultDistance, 3)} / {Md.F(id.ActorSpread, 3)} / {Md.F(id.PerformerDistance ?? double.NaN, 3)}{(id.Kept ? " ✓" : "")}" : "n/a");

        static async IAsyncEnumerable<ReadOnlyMemory<byte>> Frames(List<byte[]> frames)
        {
            foreach (var frame in frames)
            {
                yield return frame;
            }

            await Task.CompletedTask;
        }
    }

    /// <summary>The features of the performer, the actor and the result, paired frame by frame as <c>transfer.json</c> pairs them.</summary>
    internal static IReadOnlyList<FeatureFidelity> Measure(TrackedClip performer, TrackedClip actor, IReadOnlyList<FrameRecord> result, RetargetPlan plan) =>
        RetargetFidelity.Measure(
            Features(performer.RawRecords),
            Features(actor.RawRecords),
            Features(result),
            [.. plan.Frames.Select(f => new FidelityFrame(f.SourcePosition, f.TargetFrame, f.Source != SourceState.Held && f.Target != TargetState.Untracked))]);

    /// <summary>Per frame, the features of the largest face (the one a job follows on these clips), or null.</summary>
    internal static double[]?[] Features(IReadOnlyList<FrameRecord> raw) =>
        [.. raw.Select(r => r.Faces.Count > 0 ? ExpressionFeatures.Measure([.. r.Faces[0].Landmarks, .. r.Faces[0].Irises ?? []]) : null)];

    private static string Report(string media, string? only, string neutral, bool actorTexture, int rounds, List<(ClipSpec Source, ClipSpec Target, IReadOnlyList<FeatureFidelity> Fidelity, int Frames, double RenderMs)> results)
    {
        var lines = new List<string>
        {
            "### Retarget fidelity: the result re-tracked against the performer and the actor",
            "",
            $"Command: `{Md.Command([.. new[] { "fidelity", "--media", BenchArgs.PathArg(media) }.Concat(only is { Length: > 0 } ? ["--only", only] : Array.Empty<string>()).Concat(neutral != "resting" ? ["--neutral", neutral] : Array.Empty<string>()).Concat(actorTexture ? ["--actor-texture"] : Array.Empty<string>()).Concat(rounds != ClosedLoopCorrection.DefaultRounds ? ["--rounds", rounds.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>())])}`",
            "",
            "Each cell: r(performer, result) / range ratio (result p95–p5 over the performer's) / leakage r(actor, result). "
            + $"Goals: r ≥ {FidelityGoals.MinR:F1}, ratio {FidelityGoals.MinRangeRatio:F2}–{FidelityGoals.MaxRangeRatio:F2}, leakage ≤ {FidelityGoals.MaxLeakage:F1}; "
            + $"a feature the performer moves less than {FidelityGoals.MinSpan:F3} IOD (p95–p5) is not judged (–). ✓: all three goals met. Gaze (iris in the eye, in eye widths; needs irises): goal r ≥ {FidelityGoals.MinGazeR:F1}.",
            "",
            Md.Row([.. new[] { "performer → actor", "frames" }.Concat(FidelityGoals.Followed.Select(ExpressionFeatures.Label)).Concat(["gaze across / down: r (frames)", "brows R / L: r", "r(performer, actor): mouth / width", "render ms/frame", "goals met"])]),
            Md.Separator(FidelityGoals.Followed.Count + 7, 1, FidelityGoals.Followed.Count + 5),
        };
        var allMet = 0;
        var allJudged = 0;
        foreach (var (source, target, fidelity, frames, renderMs) in results)
        {
            var (featureCells, met, judged) = FeatureCells(fidelity);
            var cells = new List<string> { $"{source.Name} → {target.Name}", $"{fidelity[0].Frames}/{frames}" };
            cells.AddRange(featureCells);
            cells.Add(Md.F(renderMs, 1));
            cells.Add($"{met} of {judged}");
            (allMet, allJudged) = (allMet + met, allJudged + judged);
            lines.Add(Md.Row([.. cells]));
        }

        var meanR = results.SelectMany(r => r.Fidelity.Where(f => (FidelityGoals.Followed.Contains(f.Feature) || FidelityGoals.Gaze.Contains(f.Feature)) && f.Moves)).Select(f => f.PerformerR).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        lines.Add("");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"Features judged: {allJudged}; all three goals met on {allMet}. Mean r(performer, result) over them: {meanR:F2}."));
        lines.Add("");
        lines.Add("Clips: " + string.Join("; ", results.SelectMany(r => new[] { r.Source, r.Target }).DistinctBy(c => c.Name).Select(c => $"`{c.Name}` = {c.Label}")) + ".");
        lines.Add("");
        lines.Add("Every clip is extracted and tracked with the pipeline's own classes, planned as the transfer stage plans (neutrals as `--neutral` says, default the resting frames; full intensity, the target's pose, ping-pong) and rendered as the rendering stage renders (from the actor's resting face, closed loop; `--actor-texture` and `--rounds 0` switch those off); "
            + "the result's frames are tracked again by a fresh tracker. Features from the raw 2D landmarks of the largest face (roll removed, over the IOD): mouth opening 13–14, width 61–291, smile = the corners' lift above the inner-lip centre, eye openings 159–145 and 386–374, brow heights 105–159 and 334–386. "
            + "The performer's features are interpolated at each output frame's source position; the actor's are those of the frame the result was rendered from. Held (performer lost) and untracked frames are left out.");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// A pair's feature cells of the fidelity table (each goal feature's r / range ratio / leakage, the gaze's r, the
    /// brows' r, the chance r of mouth and width), and how many judged features meet every goal.
    /// </summary>
    internal static (List<string> Cells, int Met, int Judged) FeatureCells(IReadOnlyList<FeatureFidelity> fidelity)
    {
        var met = 0;
        var judged = 0;
        var cells = new List<string>();
        foreach (var feature in FidelityGoals.Followed)
        {
            var f = fidelity.Single(x => x.Feature == feature);
            if (!f.Moves)
            {
                cells.Add($"– (span {Md.F(f.PerformerSpan, 3)})");
                continue;
            }

            judged++;
            var ok = f.MeetsFollowGoal && f.MeetsLeakageGoal;
            met += ok ? 1 : 0;
            cells.Add($"{R(f.PerformerR)} / {Md.F(f.RangeRatio, 2)} / {R(f.ActorR)}{(ok ? " ✓" : "")}");
        }

        var gaze = fidelity.Where(f => FidelityGoals.Gaze.Contains(f.Feature)).ToList();
        foreach (var g in gaze.Where(g => g.Moves))
        {
            judged++;
            met += g.MeetsFollowGoal ? 1 : 0;
        }

        cells.Add(gaze.All(g => g.Frames == 0) ? "– (no irises)" : string.Join(" / ", gaze.Select(g => g.Moves ? $"{R(g.PerformerR)}{(g.MeetsFollowGoal ? " ✓" : "")}" : "–")) + $" ({gaze[0].Frames})");
        cells.Add(string.Join(" / ", fidelity.Where(f => f.Feature is ExpressionFeature.RightBrowHeight or ExpressionFeature.LeftBrowHeight).Select(f => f.Moves ? R(f.PerformerR) : "–")));
        cells.Add(string.Join(" / ", new[] { ExpressionFeature.MouthOpening, ExpressionFeature.MouthWidth }.Select(f => R(fidelity.Single(x => x.Feature == f).PerformerActorR))));
        return (cells, met, judged);
    }

    private static string R(double r) => double.IsNaN(r) ? "n/a" : r.ToString("F2", CultureInfo.InvariantCulture);

    private static ClipSpec Shared(string media, string file) =>
        new(Path.GetFileNameWithoutExtension(file), file, (_, _, _) => Task.FromResult(Path.Combine(media, file)));

    /// <summary>
    /// A clip built from a shared clip's real frames: its first 0.4 s as they are (the actor at rest), then the 0.4 s
    /// window where <paramref name="feature"/> is highest, played forward and back (no jump cut) until that window fills
    /// 80 % of the clip.
    /// </summary>
    private static ClipSpec Held(RetargetRig rig, string media, string file, ExpressionFeature feature, string name, string label) =>
        new(name, label, async (scratch, clipName, ct) =>
        {
            var input = Path.Combine(media, file);
            var source = await rig.TrackAsync(input, clipName + "-source", ct);
            var video = source.Clip.Video;
            var window = Math.Max(2, (int)Math.Round(0.4 * video.FrameRateNumerator / video.FrameRateDenominator));
            var rest = window;
            var values = source.RawRecords.Select(r => r.Faces.Count > 0 ? ExpressionFeatures.Measure(r.Faces[0].Landmarks)[(int)feature] : (double?)null).ToArray();
            var best = Enumerable.Range(rest, Math.Max(1, values.Length - window - rest))
                .MaxBy(start => Enumerable.Range(start, window).Average(i => values[i] ?? double.NegativeInfinity));
            var held = (int)Math.Ceiling(0.8 / 0.2 * rest); // rest is 20 %: held = 4 × rest
            var cycles = (int)Math.Ceiling(held / (2.0 * window));
            var output = Path.Combine(scratch, clipName + ".mp4");
            var graph = string.Create(CultureInfo.InvariantCulture,
                $"[0:v]trim=start_frame=0:end_frame={rest},setpts=PTS-STARTPTS[rest];"
                + $"[0:v]trim=start_frame={best}:end_frame={best + window},setpts=PTS-STARTPTS,split[f][b];[b]reverse[r];[f][r]concat=n=2:v=1,loop=loop={cycles - 1}:size={2 * window}:start=0,trim=end_frame={held}[held];"
                + $"[rest][held]concat=n=2:v=1,setpts=N/({video.FrameRateNumerator}/{video.FrameRateDenominator})/TB[out]");
            await BenchClip.RunFfmpegAsync(["-v", "error", "-y", "-i", input, "-filter_complex", graph, "-map", "[out]", "-an", "-r", $"{video.FrameRateNumerator}/{video.FrameRateDenominator}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", output], ct);
            return output;
        });

}
