using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Per-frame cost of tracking (<see cref="FaceTracker.Process"/>, MediaPipe-style: the detector runs only when the
/// face is lost) next to the bare landmark inference on the same crops (<see cref="FaceLandmarker.RunRaw"/> after
/// <see cref="FaceLandmarker.PrepareInput"/> on the ROI the tracker used), frame by frame; goal: tracking ≤ 1.3x the
/// bare inference. Also the per-clip sequence step (<see cref="FaceSequenceBuilder.Build"/>) per frame.
/// </summary>
internal static class ReconstructionBenchmark
{
    /// <summary>Tracking should take at most this many times the bare landmark inference.</summary>
    public const double Goal = 1.3;

    /// <summary>Warm-up runs of the sequence step: at least this many, and at least <see cref="SequenceWarmupTime"/> (tiered JIT).</summary>
    private const int SequenceWarmups = 5;
    private const int SequenceRuns = 15;
    private static readonly TimeSpan SequenceWarmupTime = TimeSpan.FromSeconds(1);

    public static async Task<string> RunAsync(string clip, int passes, string workParent, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        clip = Path.GetFullPath(clip);
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var models = BenchModels.Load();
        var scratch = BenchPaths.CreateScratch(workParent, "reconstruction");
        try
        {
            var name = Path.GetFileName(clip);
            Progress($"reconstruction {name}: decoding frames");
            var extraction = await BenchClip.ExtractAsync(clip, scratch, ct);
            var timeline = FrameTimeline.Load(extraction.TimelinePath);
            using var source = new FrameSource(extraction);
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = new FaceLandmarker(models.FaceLandmarks);
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            var frame = new byte[extraction.FrameSizeBytes];
            var clipFrames = new ClipFrames(source, extraction.Width, extraction.Height, timeline.Seconds, frame);

            Progress($"reconstruction {name}: warm-up pass");
            TrackPass(clipFrames, detector, landmarker, pass: 0, measurements: null, records: null, ct);

            var m = new Measurements();
            var records = new List<FrameRecord>(source.FrameCount);
            for (var p = 0; p < passes; p++)
            {
                TrackPass(clipFrames, detector, landmarker, p, m, p == 0 ? records : null, ct);
                Progress($"reconstruction {name}: pass {p + 1}/{passes}");
            }

            Progress($"reconstruction {name}: sequence step");
            var sequence = TimeSequence(records, mesh, extraction.Width, extraction.Height, ct);
            return Report(clip, passes, extraction, source.FrameCount, detector.ExecutionProvider, landmarker.ExecutionProvider, m, sequence);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>One pass over the clip with a fresh tracker (as one clip of a job), steps timed frame by frame.</summary>
    private static void TrackPass(
        ClipFrames clip, BlazeFaceDetector detector, FaceLandmarker landmarker, int pass, Measurements? measurements, List<FrameRecord>? records, CancellationToken ct)
    {
        var (w, h) = (clip.Width, clip.Height);
        var tracker = new FaceTracker(detector, landmarker);
        RotatedRect? predicted = null;
        double passMicros = 0;
        for (var i = 0; i < clip.Source.FrameCount; i++)
        {
            ct.ThrowIfCancellationRequested();
            var frame = clip.Read(i);

            // The bare steps run before or after Process, alternating frame by frame, so that neither side always
            // finds the caches warm. Before Process, the crop is the one the tracker will use: the ROI from the
            // previous frame's landmarks (checked afterwards; on a detector frame the steps are timed again after).
            Steps? steps = null;
            if (predicted is { } roi && (i + pass) % 2 == 1)
            {
                steps = TimeSteps(landmarker, frame, w, h, [roi]);
            }

            var runsBefore = tracker.DetectorRuns;
            var t0 = Stopwatch.GetTimestamp();
            var faces = tracker.Process(frame, w, h);
            var t1 = Stopwatch.GetTimestamp();
            var detectorRan = tracker.DetectorRuns > runsBefore;

            var rois = faces.Select(f => f.Landmarks.Roi).ToArray();
            if (steps is null || rois.Length != 1 || rois[0] != predicted)
            {
                steps = TimeSteps(landmarker, frame, w, h, rois);
            }

            var detect = detectorRan ? TimeDetect(detector, frame, w, h) : (double?)null;
            predicted = faces.Count == 1 ? FaceRoi.FromLandmarks(faces[0].Landmarks.Points, w, h) : null;

            var micros = Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
            passMicros += micros;
            measurements?.Add(micros, steps.Value, detect, faces.Count);
            records?.Add(new FrameRecord(
                i,
                Math.Round(clip.Times[i], 6),
                [.. faces.Select(ChunkFaceTracking.ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]));
        }

        measurements?.EndPass(passMicros, tracker.DetectorRuns, clip.Source.FrameCount);
    }

    /// <summary>The landmarker's steps one by one on the given crops (summed over the crops), in microseconds.</summary>
    private static Steps TimeSteps(FaceLandmarker landmarker, byte[] frame, int w, int h, RotatedRect[] rois)
    {
        double prepare = 0, raw = 0, decode = 0;
        foreach (var roi in rois)
        {
            var t0 = Stopwatch.GetTimestamp();
            landmarker.PrepareInput(frame, w, h, roi);
            var t1 = Stopwatch.GetTimestamp();
            landmarker.RunRaw();
            var t2 = Stopwatch.GetTimestamp();
            _ = landmarker.Decode(roi, w, h);
            var t3 = Stopwatch.GetTimestamp();
            prepare += Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
            raw += Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds;
            decode += Stopwatch.GetElapsedTime(t2, t3).TotalMicroseconds;
        }

        return new Steps(prepare, raw, decode);
    }

    private static double TimeDetect(BlazeFaceDetector detector, byte[] frame, int w, int h)
    {
        var t0 = Stopwatch.GetTimestamp();
        _ = detector.Detect(frame, w, h);
        return Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
    }

    /// <summary>
    /// <see cref="FaceSequenceBuilder.Build"/> on the clip's records (one chunk), and its two per-frame numeric parts
    /// alone: the One Euro filter over the track and the metric pose (<see cref="MetricLandmarks.Estimate(ReadOnlySpan{Vec3}, int, int)"/>).
    /// Milliseconds per frame, median of <see cref="SequenceRuns"/> runs after the warm-up.
    /// </summary>
    private static SequenceTimes TimeSequence(List<FrameRecord> records, CanonicalFaceMesh mesh, int w, int h, CancellationToken ct)
    {
        var geometry = new MetricLandmarks(mesh);
        var builder = new FaceSequenceBuilder(geometry);
        var track = records
            .Where(r => r.Faces.Count > 0)
            .Select(r => (r.Time, Points: r.Faces[0].Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray()))
            .ToArray();
        var faces = records.Sum(r => r.Faces.Count);
        if (faces == 0)
        {
            throw new BenchException("No face was tracked in the clip; nothing to build.");
        }

        List<double> build = [], filter = [], pose = [];
        var warmupStart = Stopwatch.GetTimestamp();
        var warmups = 0;
        while (build.Count < SequenceRuns)
        {
            ct.ThrowIfCancellationRequested();
            var t0 = Stopwatch.GetTimestamp();
            _ = builder.Build([records], w, h, FaceSequenceOptions.Default);
            var t1 = Stopwatch.GetTimestamp();
            var landmarkFilter = new LandmarkFilter();
            foreach (var (time, points) in track)
            {
                _ = landmarkFilter.Filter(points, time);
            }

            var t2 = Stopwatch.GetTimestamp();
            foreach (var (_, points) in track)
            {
                _ = geometry.Estimate(points, w, h);
            }

            var t3 = Stopwatch.GetTimestamp();
            if (warmups < SequenceWarmups || Stopwatch.GetElapsedTime(warmupStart) < SequenceWarmupTime)
            {
                warmups++;
                continue;
            }

            build.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds / faces);
            filter.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds / track.Length);
            pose.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds / track.Length);
        }

        return new SequenceTimes(Summary.Of(build), Summary.Of(filter), Summary.Of(pose), faces, warmups);
    }

    private static string Report(
        string clip, int passes, FrameExtractionResult extraction, int frameCount, string detectorProvider, string landmarkProvider, Measurements m, SequenceTimes sequence)
    {
        var process = Summary.Of(m.Process);
        var raw = Summary.Of(m.Raw);
        var prepare = Summary.Of(m.Prepare);
        var decode = Summary.Of(m.Decode);
        var rest = Summary.Of(m.Rest);
        var fps = Summary.Of(m.PassFps);
        var detectorRuns = m.PassDetectorRuns.Sum();
        var totalMs = m.PassMicros.Sum() / 1000;
        var detect = m.Detect.Count > 0 ? Summary.Of(m.Detect) : (Summary?)null;
        var detectorFrames = m.ProcessOnDetectorFrames.Count > 0 ? Summary.Of(m.ProcessOnDetectorFrames) : (Summary?)null;
        var detectorShare = detect is { } d ? 100 * (d.Mean / 1000) * detectorRuns / totalMs : 0;
        var totalPerFrame = process.Mean + (sequence.Build.Median * 1000 * sequence.Faces / frameCount);
        var inv = CultureInfo.InvariantCulture;

        var lines = new List<string>
        {
            string.Create(inv, $"### Reconstruction: {Path.GetFileName(clip)} ({extraction.Width}x{extraction.Height}, {frameCount} frames, {passes} timed passes)"),
            "",
            $"Command: `{Md.Command("reconstruction", "--clip", BenchArgs.PathArg(clip), "--passes", passes.ToString(inv))}`",
            "",
            Md.Row("per frame", "ms median", "ms mean", "ms min", "share of tracking (median)"),
            Md.Separator(5, 1, 2, 3, 4),
            Md.Row("**tracking**: `FaceTracker.Process` (fresh tracker per pass)", Ms(process.Median), Ms(process.Mean), Ms(process.Min), "100 %"),
            Md.Row("**floor**: landmark model `RunRaw` alone, same crops", Ms(raw.Median), Ms(raw.Mean), Ms(raw.Min), Share(raw.Median, process.Median)),
            Md.Row("crop: `PrepareInput` (rotated ROI → 192x192)", Ms(prepare.Median), Ms(prepare.Mean), Ms(prepare.Min), Share(prepare.Median, process.Median)),
            Md.Row("`Decode` (468 points back to the frame)", Ms(decode.Median), Ms(decode.Mean), Ms(decode.Min), Share(decode.Median, process.Median)),
            Md.Row("rest of `Process` (tracking − the three steps; ROI from landmarks, lists)", Ms(rest.Median), Ms(rest.Mean), "", Share(rest.Median, process.Median)),
            Md.Row(
                string.Create(inv, $"detector `Detect` (timed again on the {m.Detect.Count} frames where it ran)"),
                detect is { } dm ? Ms(dm.Median) : "–",
                detect is { } dn ? Ms(dn.Mean) : "–",
                detect is { } dx ? Ms(dx.Min) : "–",
                ""),
            Md.Row(
                "tracking on those detector frames",
                detectorFrames is { } fm ? Ms(fm.Median) : "–",
                detectorFrames is { } fn ? Ms(fn.Mean) : "–",
                detectorFrames is { } fx ? Ms(fx.Min) : "–",
                ""),
            "",
            Md.Row("figure", "value"),
            Md.Separator(2, 1),
            Md.Row($"tracking / RunRaw, median (goal ≤ {Md.F(Goal, 1)})", Md.F(process.Median / raw.Median, 2)),
            Md.Row("tracking / RunRaw, mean (detector frames included)", Md.F(process.Mean / raw.Mean, 2)),
            Md.Row(
                "detector runs",
                string.Create(inv, $"{Md.F(detectorRuns / (double)passes, 1)} per pass of {frameCount} frames ({Md.F(100.0 * detectorRuns / (passes * frameCount), 1)} % of frames)")),
            Md.Row("detector share of tracking time (runs × Detect mean / total)", $"{Md.F(detectorShare, 2)} %"),
            Md.Row("faces per frame", Md.F(m.Faces / (double)m.Process.Count, 2)),
            Md.Row(
                string.Create(inv, $"**tracking throughput on {Environment.ProcessorCount} cores** (frames / pass time, median of passes)"),
                string.Create(inv, $"{Md.F(fps.Median, 1)} frames/s (min {Md.F(fps.Min, 1)})")),
            Md.Row("sequence step `FaceSequenceBuilder.Build` (link, filter, pose, neutral, expression), per frame", $"{Md.F(sequence.Build.Median, 3)} ms (min {Md.F(sequence.Build.Min, 3)})"),
            Md.Row("  of which One Euro filter (`LandmarkFilter`, 468×3)", $"{Md.F(sequence.Filter.Median, 3)} ms"),
            Md.Row("  of which metric pose (`MetricLandmarks.Estimate`)", $"{Md.F(sequence.Pose.Median, 3)} ms"),
            Md.Row("tracking + sequence step, frames/s (from the means)", Md.F(1e6 / totalPerFrame, 1)),
            "",
            string.Create(
                inv,
                $"Providers: detector {detectorProvider}, landmarks {landmarkProvider}, ORT's default threads (one per physical core), as the Reconstruction service runs them. ") +
            string.Create(
                inv,
                $"Frames decoded once by `FrameExtractor` and read from the chunk files untimed. One warm-up pass, then {passes} timed passes over the whole clip, each with a fresh `FaceTracker` (default options: one face; the detector runs on the first frame and whenever the face is lost). ") +
            "Per frame: `Process` timed as a whole, then, on the same frame and the ROI the tracker used, `PrepareInput`, `RunRaw` and `Decode` one by one (the bare steps before `Process` on every other frame, with the ROI predicted from the previous landmarks). " +
            string.Create(
                inv,
                $"The sequence step runs on the first timed pass's records (the whole clip as one chunk); median of {SequenceRuns} runs after {sequence.Warmups} warm-up runs (≥ {SequenceWarmupTime.TotalSeconds:0.#} s, so the JIT has tiered up); the filter and pose rows time those parts alone on the same raw landmarks."),
        };
        return string.Join('\n', lines) + "\n";
    }

    private static string Ms(double micros) => Md.F(micros / 1000, 3);

    private static string Share(double part, double whole) => $"{Md.F(100 * part / whole, 1)} %";

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");

    private readonly record struct Steps(double Prepare, double Raw, double Decode);

    private sealed record SequenceTimes(Summary Build, Summary Filter, Summary Pose, int Faces, int Warmups);

    private sealed class ClipFrames(FrameSource source, int width, int height, IReadOnlyList<double> times, byte[] buffer)
    {
        public FrameSource Source { get; } = source;

        public int Width { get; } = width;

        public int Height { get; } = height;

        public IReadOnlyList<double> Times { get; } = times;

        public byte[] Read(int i)
        {
            Source.Read(i, buffer);
            return buffer;
        }
    }

    /// <summary>Per-frame samples in microseconds, and per-pass totals.</summary>
    private sealed class Measurements
    {
        public List<double> Process { get; } = [];

        public List<double> Raw { get; } = [];

        public List<double> Prepare { get; } = [];

        public List<double> Decode { get; } = [];

        /// <summary>Process minus the three steps, on frames where the detector did not run.</summary>
        public List<double> Rest { get; } = [];

        public List<double> Detect { get; } = [];

        public List<double> ProcessOnDetectorFrames { get; } = [];

        public List<double> PassMicros { get; } = [];

        public List<double> PassFps { get; } = [];

        public List<int> PassDetectorRuns { get; } = [];

        public long Faces { get; private set; }

        public void Add(double process, Steps steps, double? detect, int faces)
        {
            Process.Add(process);
            Raw.Add(steps.Raw);
            Prepare.Add(steps.Prepare);
            Decode.Add(steps.Decode);
            Faces += faces;
            if (detect is { } d)
            {
                Detect.Add(d);
                ProcessOnDetectorFrames.Add(process);
            }
            else
            {
                Rest.Add(process - steps.Prepare - steps.Raw - steps.Decode);
            }
        }

        public void EndPass(double micros, int detectorRuns, int frames)
        {
            PassMicros.Add(micros);
            PassFps.Add(frames / (micros / 1e6));
            PassDetectorRuns.Add(detectorRuns);
        }
    }
}
