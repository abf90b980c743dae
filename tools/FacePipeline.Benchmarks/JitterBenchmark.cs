using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// Landmark jitter before and after the One Euro filter, as RMS frame-to-frame motion of the landmarks divided by
/// the inter-ocular distance (IOD). (a) Stills made into noisy videos (nothing moves: all motion is jitter), all 468
/// points; goal ≤ 1 % of IOD after filtering. (b) GRID clips (a speaker, head nearly still): rigid points only
/// (forehead, nose bridge), and how closely the filtered mouth opening follows the raw one.
/// </summary>
internal static class JitterBenchmark
{
    /// <summary>RMS frame-to-frame motion after filtering should stay within this fraction of the IOD.</summary>
    public const double Goal = 0.01;

    /// <summary>Forehead, on the midline from the hairline down to the brows.</summary>
    public static readonly int[] Forehead = [10, 151, 9, 8];

    /// <summary>Nose bridge, from between the eyes down towards the tip.</summary>
    public static readonly int[] NoseBridge = [168, 6, 197, 195];

    public static readonly string[] DefaultStills = ["astronaut.png", "painting_leonardo_mona_lisa.jpg"];

    public static readonly string[] DefaultClips = ["grid_bbaf2n.mp4", "grid_lbbc2a.mp4", "grid_lwbsza.mp4", "grid_swiz3n.mp4"];

    private const int StillFps = 25;
    private const int StillSeconds = 5;
    private const string NoiseFilter = "noise=alls=12:allf=t+u:all_seed=4242";

    private static readonly int[] AllPoints = [.. Enumerable.Range(0, FaceLandmarker.LandmarkCount)];

    private static int[] Rigid => [.. Forehead, .. NoseBridge];

    /// <summary>Filter settings compared in the last table (the defaults first). Not the library's defaults otherwise.</summary>
    private static readonly (string Name, LandmarkFilterOptions Options)[] Variants =
    [
        ("defaults: min cutoff 0.3 Hz, beta 40, d-cutoff 2 Hz", LandmarkFilterOptions.Default),
        ("min cutoff 0.1 Hz", Landmarks(new OneEuroOptions(MinCutoff: 0.1))),
        ("min cutoff 1 Hz", Landmarks(new OneEuroOptions(MinCutoff: 1))),
        ("beta 5", Landmarks(new OneEuroOptions(Beta: 5))),
        ("beta 15", Landmarks(new OneEuroOptions(Beta: 15))),
        ("beta 100", Landmarks(new OneEuroOptions(Beta: 100))),
        ("d-cutoff 1 Hz", Landmarks(new OneEuroOptions(DerivativeCutoff: 1))),
        ("d-cutoff 5 Hz", Landmarks(new OneEuroOptions(DerivativeCutoff: 5))),
        ("beta 40, d-cutoff 5 Hz", Landmarks(new OneEuroOptions(Beta: 40, DerivativeCutoff: 5))),
    ];

    public static async Task<string> RunAsync(IReadOnlyList<string> stills, IReadOnlyList<string> clips, string workParent, CancellationToken ct)
    {
        stills = [.. stills.Select(Path.GetFullPath)];
        clips = [.. clips.Select(Path.GetFullPath)];
        foreach (var path in stills.Concat(clips))
        {
            if (!File.Exists(path))
            {
                throw new BenchException($"Not found: {path}");
            }
        }

        var models = BenchModels.Load();
        var scratch = BenchPaths.CreateScratch(workParent, "jitter");
        try
        {
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = new FaceLandmarker(models.FaceLandmarks);
            var builder = new FaceSequenceBuilder(new MetricLandmarks(CanonicalFaceMesh.Load(models.FaceGeometry)));

            var stillTracks = new List<Tracked>();
            foreach (var still in stills)
            {
                var video = Path.Combine(scratch, Path.GetFileNameWithoutExtension(still) + "-noisy.mp4");
                Progress($"jitter: encoding {Path.GetFileName(still)} as a noisy {StillSeconds} s video");
                await BenchClip.RunFfmpegAsync(StillArguments(still, video), ct);
                stillTracks.Add(await TrackAsync(video, Path.GetFileName(still), scratch, detector, landmarker, builder, ct));
                File.Delete(video);
            }

            var clipTracks = new List<Tracked>();
            foreach (var clip in clips)
            {
                clipTracks.Add(await TrackAsync(clip, Path.GetFileName(clip), scratch, detector, landmarker, builder, ct));
            }

            var parts = new List<string>();
            if (stillTracks.Count > 0)
            {
                parts.Add(StillsReport(stills, stillTracks));
            }

            if (clipTracks.Count > 0)
            {
                parts.Add(ClipsReport(clips, clipTracks));
            }

            parts.Add(VariantsReport(stills, clips, stillTracks, clipTracks));
            return string.Join('\n', parts);
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>ffmpeg arguments that turn a still into a <see cref="StillSeconds"/> s, <see cref="StillFps"/> fps H.264 clip with temporal noise.</summary>
    public static string[] StillArguments(string still, string output) =>
    [
        "-v", "error", "-nostdin", "-y",
        "-loop", "1", "-framerate", StillFps.ToString(CultureInfo.InvariantCulture), "-i", still,
        "-t", StillSeconds.ToString(CultureInfo.InvariantCulture),
        "-vf", $"scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p,{NoiseFilter}",
        "-c:v", "libx264", "-preset", "medium", "-tune", "grain", "-crf", "12", "-pix_fmt", "yuv420p",
        output,
    ];

    /// <summary>Tracks every frame of a clip with a fresh tracker; the raw records and the sequence step's (filtered) records.</summary>
    private static async Task<Tracked> TrackAsync(
        string video, string name, string scratch, BlazeFaceDetector detector, FaceLandmarker landmarker, FaceSequenceBuilder builder, CancellationToken ct)
    {
        Progress($"jitter: tracking {name}");
        var frames = BenchPaths.CreateScratch(scratch, "frames");
        try
        {
            var extraction = await BenchClip.ExtractAsync(video, frames, ct);
            var timeline = Media.FrameTimeline.Load(extraction.TimelinePath);
            using var source = new FrameSource(extraction);
            var buffer = new byte[extraction.FrameSizeBytes];
            var tracker = new FaceTracker(detector, landmarker);
            var raw = new List<FrameRecord>(source.FrameCount);
            for (var i = 0; i < source.FrameCount; i++)
            {
                ct.ThrowIfCancellationRequested();
                source.Read(i, buffer);
                var faces = tracker.Process(buffer, extraction.Width, extraction.Height);
                raw.Add(new FrameRecord(
                    i,
                    Math.Round(timeline.Seconds[i], 6),
                    [.. faces.Select(ChunkFaceTracking.ToRecord).OrderByDescending(f => f.Box.Width * f.Box.Height)]));
            }

            var filtered = builder.Build([raw], extraction.Width, extraction.Height, FaceSequenceOptions.Default);
            return new Tracked(name, extraction.Width, extraction.Height, raw, filtered, tracker.DetectorRuns);
        }
        finally
        {
            BenchPaths.DeleteQuietly(frames);
        }
    }

    private static string StillsReport(IReadOnlyList<string> stills, List<Tracked> tracks)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(inv, $"### Jitter (a): stills as noisy {StillSeconds} s videos ({StillFps} fps), all 468 points"),
            "",
            $"Command: `{Md.Command([.. new[] { "jitter" }.Concat(stills.SelectMany(s => new[] { "--still", BenchArgs.PathArg(s) }))])}`",
            "",
            Md.Row("still", "size", "frames with a face", "detector runs", "IOD px (median)", "raw RMS motion (% IOD)", "filtered (% IOD; goal ≤ 1 %)", "reduction", "met", "rigid 8 raw → filtered (% IOD)"),
            Md.Separator(10, 2, 3, 4, 5, 6, 7),
        };

        var pooledRaw = new Rms();
        var pooledFiltered = new Rms();
        foreach (var t in tracks)
        {
            lines.Add(JitterRow(t, AllPoints, Rigid, pooledRaw, pooledFiltered));
        }

        lines.Add(Md.Row(
            "**all stills (pooled)**", "", "", "", "", Pct(pooledRaw.Value), Pct(pooledFiltered.Value), $"{Md.F(pooledRaw.Value / pooledFiltered.Value, 1)}x",
            pooledFiltered.Value <= Goal ? "yes" : "no", ""));
        lines.Add("");
        lines.Add(
            $"Each still becomes a {StillSeconds} s, {StillFps} fps H.264 clip with fresh uniform noise on every frame, in a scratch folder deleted afterwards: " +
            $"`ffmpeg {string.Join(' ', StillArguments("STILL", "noisy.mp4").Select(Md.ShellQuote))}`. " +
            "The clip is decoded by `FrameExtractor` and tracked frame by frame by a fresh `FaceTracker` (the pipeline's defaults). " +
            "Raw = the tracker's landmarks; filtered = the landmarks `FaceSequenceBuilder.Build` writes (the whole clip as one chunk, the library's default One Euro settings). " +
            "RMS motion = √(mean over consecutive frame pairs and points of |p(t) − p(t−1)|² / IOD(t)²), image-plane x, y in pixels; " +
            "IOD(t) = distance between the eye centres (midpoints of landmarks 33–133 and 362–263) of the raw landmarks at t. " +
            "Nothing moves in these clips, so all of it is jitter. Rigid 8 = forehead 10, 151, 9, 8 and nose bridge 168, 6, 197, 195.");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>One table row: jitter of <paramref name="points"/> raw and filtered (pooled too), and of <paramref name="others"/> for reference.</summary>
    private static string JitterRow(Tracked t, int[] points, int[] others, Rms pooledRaw, Rms pooledFiltered)
    {
        var inv = CultureInfo.InvariantCulture;
        var raw = Motion(t.RawSeries, t.TrackIds, t.Iod, points);
        var filtered = Motion(t.FilteredSeries, t.TrackIds, t.Iod, points);
        pooledRaw.Add(raw);
        pooledFiltered.Add(filtered);
        return Md.Row(
            t.Name,
            string.Create(inv, $"{t.Width}x{t.Height}"),
            string.Create(inv, $"{t.FramesWithFace}/{t.Raw.Count}"),
            t.DetectorRuns.ToString(inv),
            Md.F(t.MedianIod, 1),
            Pct(raw.Value),
            Pct(filtered.Value),
            $"{Md.F(raw.Value / filtered.Value, 1)}x",
            filtered.Value <= Goal ? "yes" : "no",
            $"{Pct(Motion(t.RawSeries, t.TrackIds, t.Iod, others).Value)} → {Pct(Motion(t.FilteredSeries, t.TrackIds, t.Iod, others).Value)}");
    }

    private static string ClipsReport(IReadOnlyList<string> clips, List<Tracked> tracks)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            "### Jitter (b): GRID speakers, rigid points (forehead 10, 151, 9, 8; nose bridge 168, 6, 197, 195)",
            "",
            $"Command: `{Md.Command([.. new[] { "jitter" }.Concat(clips.SelectMany(s => new[] { "--clip", BenchArgs.PathArg(s) }))])}`",
            "",
            Md.Row("clip", "size", "frames with a face", "detector runs", "IOD px (median)", "rigid raw (% IOD)", "rigid filtered (% IOD; goal ≤ 1 %)", "reduction", "met", "all 468 raw → filtered (% IOD)"),
            Md.Separator(10, 2, 3, 4, 5, 6, 7),
        };

        var pooledRaw = new Rms();
        var pooledFiltered = new Rms();
        foreach (var t in tracks)
        {
            lines.Add(JitterRow(t, Rigid, AllPoints, pooledRaw, pooledFiltered));
        }

        lines.Add(Md.Row(
            "**all clips (pooled)**", "", "", "", "", Pct(pooledRaw.Value), Pct(pooledFiltered.Value), $"{Md.F(pooledRaw.Value / pooledFiltered.Value, 1)}x",
            pooledFiltered.Value <= Goal ? "yes" : "no", ""));
        lines.Add("");
        lines.Add("Does the filter keep real motion? The mouth opening (distance between inner-lip landmarks 13 and 14, divided by IOD(t)), raw against filtered:");
        lines.Add("");
        lines.Add(Md.Row("clip", "opening range, raw (% IOD)", "correlation raw vs filtered", "RMS difference (% IOD)", "lag (ms, cross-correlation peak)", "peak-to-peak kept", "std kept"));
        lines.Add(Md.Separator(7, 1, 2, 3, 4, 5, 6));
        foreach (var t in tracks)
        {
            var mouth = MouthFollow(t.RawSeries, t.FilteredSeries, t.Iod, t.FrameInterval);
            lines.Add(Md.Row(
                t.Name,
                Pct(mouth.RawRange),
                Md.F(mouth.Correlation, 3),
                Pct(mouth.RmsDifference),
                Md.F(mouth.LagMs, 0),
                $"{Md.F(100 * mouth.RangeKept, 0)} %",
                $"{Md.F(100 * mouth.StdKept, 0)} %"));
        }

        lines.Add("");
        lines.Add(
            "Same tracking and measures as (a), on the clips' own frames and timestamps. The speaker's head is nearly still, so frame-to-frame motion of the rigid points is mostly jitter " +
            "(what remains after filtering includes the small real head motion, so the figure is an upper bound on jitter). " +
            "Lag: the shift (parabola through the peak of the cross-correlation of filtered against raw, ±5 frames; positive = filtered later) at which the filtered mouth opening best matches the raw one; " +
            "kept = filtered over raw (peak-to-peak range, standard deviation).");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The same measures for other One Euro settings, applied with <see cref="LandmarkFilter"/> to the same raw landmarks.</summary>
    private static string VariantsReport(IReadOnlyList<string> stills, IReadOnlyList<string> clips, List<Tracked> stillTracks, List<Tracked> clipTracks)
    {
        var args = new List<string> { "jitter" };
        args.AddRange(stills.SelectMany(s => new[] { "--still", BenchArgs.PathArg(s) }));
        args.AddRange(clips.SelectMany(s => new[] { "--clip", BenchArgs.PathArg(s) }));
        var lines = new List<string>
        {
            "### Jitter: other One Euro settings (for choosing; the first row is the library's defaults)",
            "",
            $"Command: `{Md.Command([.. args])}`",
            "",
            Md.Row("landmark filter settings", "stills, all 468 (% IOD, pooled)", "stills, worst", "GRID rigid (% IOD, pooled)", "GRID mouth: correlation (worst)", "GRID mouth: RMS diff (% IOD, worst)", "GRID mouth: lag ms (worst)", "GRID mouth: peak-to-peak kept (worst)"),
            Md.Separator(8, 1, 2, 3, 4, 5, 6, 7),
        };

        foreach (var (name, options) in Variants)
        {
            var stillsPooled = new Rms();
            var stillsWorst = 0.0;
            foreach (var t in stillTracks)
            {
                var m = Motion(Refilter(t, options), t.TrackIds, t.Iod, AllPoints);
                stillsPooled.Add(m);
                stillsWorst = Math.Max(stillsWorst, m.Value);
            }

            var rigid = new Rms();
            double corr = 1, diff = 0, lag = 0, kept = double.PositiveInfinity;
            foreach (var t in clipTracks)
            {
                var series = Refilter(t, options);
                rigid.Add(Motion(series, t.TrackIds, t.Iod, Rigid));
                var mouth = MouthFollow(t.RawSeries, series, t.Iod, t.FrameInterval);
                corr = Math.Min(corr, mouth.Correlation);
                diff = Math.Max(diff, mouth.RmsDifference);
                lag = Math.Max(lag, mouth.LagMs);
                kept = Math.Min(kept, mouth.RangeKept);
            }

            lines.Add(Md.Row(
                name,
                stillTracks.Count > 0 ? Pct(stillsPooled.Value) : "–",
                stillTracks.Count > 0 ? Pct(stillsWorst) : "–",
                clipTracks.Count > 0 ? Pct(rigid.Value) : "–",
                clipTracks.Count > 0 ? Md.F(corr, 3) : "–",
                clipTracks.Count > 0 ? Pct(diff) : "–",
                clipTracks.Count > 0 ? Md.F(lag, 0) : "–",
                clipTracks.Count > 0 ? $"{Md.F(100 * kept, 0)} %" : "–"));
        }

        lines.Add("");
        lines.Add(
            "Each row filters the same raw tracker landmarks again with `LandmarkFilter` (unrounded; the first row differs from the tables above only by their 0.01 px rounding). " +
            "Options not named keep the defaults (min cutoff 0.3 Hz, beta 40 face sizes/s, derivative cutoff 2 Hz).");
        return string.Join('\n', lines) + "\n";
    }

    private static LandmarkFilterOptions Landmarks(OneEuroOptions options) => new() { Landmarks = options };

    /// <summary>The raw series filtered with <paramref name="options"/>; the filter restarts where the track breaks.</summary>
    private static float[][]?[] Refilter(Tracked t, LandmarkFilterOptions options)
    {
        var result = new float[][]?[t.Raw.Count];
        LandmarkFilter? filter = null;
        var previousTrack = -1;
        for (var i = 0; i < t.Raw.Count; i++)
        {
            var face = t.Raw[i].Faces.FirstOrDefault();
            if (face is null)
            {
                filter = null;
                continue;
            }

            if (filter is null || face.TrackId != previousTrack)
            {
                filter = new LandmarkFilter(options);
            }

            previousTrack = face.TrackId;
            var points = face.Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray();
            result[i] = [.. filter.Filter(points, t.Raw[i].Time).Select(p => new[] { (float)p.X, (float)p.Y, (float)p.Z })];
        }

        return result;
    }

    /// <summary>
    /// Frame-to-frame motion of <paramref name="indices"/> divided by IOD(t), over consecutive frames that both hold
    /// the track (squared sums, so several clips can be pooled).
    /// </summary>
    private static Rms Motion(float[][]?[] series, int[] tracks, double[] iod, int[] indices)
    {
        var rms = new Rms();
        for (var t = 1; t < series.Length; t++)
        {
            if (series[t] is not { } current || series[t - 1] is not { } previous || tracks[t] != tracks[t - 1] || !(iod[t] > 0))
            {
                continue;
            }

            foreach (var i in indices)
            {
                var d = FaceMeasures.Distance(current[i], previous[i]) / iod[t];
                rms.Add(d * d, 1);
            }
        }

        return rms;
    }

    private static MouthStats MouthFollow(float[][]?[] raw, float[][]?[] filtered, double[] iod, double frameInterval)
    {
        var pairs = new List<(double Raw, double Filtered)>();
        for (var t = 0; t < raw.Length; t++)
        {
            if (raw[t] is { } r && filtered[t] is { } f && iod[t] > 0)
            {
                pairs.Add((Opening(r) / iod[t], Opening(f) / iod[t]));
            }
        }

        if (pairs.Count < 3)
        {
            return new MouthStats(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var rs = pairs.Select(p => p.Raw).ToArray();
        var fs = pairs.Select(p => p.Filtered).ToArray();
        var diff = Math.Sqrt(pairs.Average(p => (p.Raw - p.Filtered) * (p.Raw - p.Filtered)));
        var range = rs.Max() - rs.Min();
        var rangeKept = range > 0 ? (fs.Max() - fs.Min()) / range : double.NaN;
        var stdKept = Std(fs) / Std(rs);

        // Cross-correlation of filtered(t + lag) with raw(t), lag -maxLag..maxLag frames; parabola through the peak.
        const int maxLag = 5;
        var c = new double[(2 * maxLag) + 1];
        for (var lag = -maxLag; lag <= maxLag; lag++)
        {
            var n = rs.Length - Math.Abs(lag);
            c[lag + maxLag] = n < 3
                ? double.NegativeInfinity
                : lag >= 0 ? Pearson(rs.AsSpan(0, n), fs.AsSpan(lag, n)) : Pearson(rs.AsSpan(-lag, n), fs.AsSpan(0, n));
        }

        var best = Array.IndexOf(c, c.Max());
        var shift = (double)(best - maxLag);
        if (best > 0 && best < c.Length - 1 && double.IsFinite(c[best - 1]) && double.IsFinite(c[best + 1]))
        {
            var denominator = c[best - 1] - (2 * c[best]) + c[best + 1];
            if (denominator < 0)
            {
                shift += 0.5 * (c[best - 1] - c[best + 1]) / denominator;
            }
        }

        return new MouthStats(range, c[maxLag], diff, shift * frameInterval * 1000, rangeKept, stdKept);
    }

    private static double Opening(float[][] points) => FaceMeasures.Distance(points[FaceMeasures.UpperLipInner], points[FaceMeasures.LowerLipInner]);

    private static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double ma = 0, mb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ma += a[i];
            mb += b[i];
        }

        ma /= a.Length;
        mb /= b.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }

    private static double Std(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    private static string Pct(double fraction) => double.IsFinite(fraction) ? Md.F(100 * fraction, 3) : "–";

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");

    private sealed record MouthStats(double RawRange, double Correlation, double RmsDifference, double LagMs, double RangeKept, double StdKept);

    /// <summary>A root mean square built from squared sums, so that clips can be pooled.</summary>
    private sealed class Rms
    {
        public double SumSquares { get; private set; }

        public long Count { get; private set; }

        public double Value => Count == 0 ? double.NaN : Math.Sqrt(SumSquares / Count);

        public void Add(double squares, long count)
        {
            SumSquares += squares;
            Count += count;
        }

        public void Add(Rms other) => Add(other.SumSquares, other.Count);
    }

    /// <summary>One tracked clip: raw records, the sequence step's records, and per-frame series of the main face.</summary>
    private sealed class Tracked
    {
        public Tracked(string name, int width, int height, List<FrameRecord> raw, List<FrameRecord> filtered, int detectorRuns)
        {
            Name = name;
            Width = width;
            Height = height;
            Raw = raw;
            DetectorRuns = detectorRuns;
            RawSeries = Series(raw);
            TrackIds = [.. raw.Select(r => r.Faces.Count > 0 ? r.Faces[0].TrackId : -1)];
            FilteredSeries = Series(filtered);
            Iod = [.. RawSeries.Select(s => s is null ? double.NaN : FaceMeasures.Iod(s))];
            var iods = Iod.Where(double.IsFinite).ToArray();
            MedianIod = iods.Length > 0 ? Summary.Of(iods).Median : double.NaN;
            FramesWithFace = RawSeries.Count(s => s is not null);
            var times = raw.Select(r => r.Time).ToArray();
            FrameInterval = times.Length > 1 ? (times[^1] - times[0]) / (times.Length - 1) : 0.04;
        }

        public string Name { get; }

        public int Width { get; }

        public int Height { get; }

        public List<FrameRecord> Raw { get; }

        public int DetectorRuns { get; }

        /// <summary>Landmarks of the largest face per frame; null where there is none.</summary>
        public float[][]?[] RawSeries { get; }

        public float[][]?[] FilteredSeries { get; }

        /// <summary>Track id of the largest face per frame in the raw records (-1: none); motion is measured only within a track.</summary>
        public int[] TrackIds { get; }

        public double[] Iod { get; }

        public double MedianIod { get; }

        public int FramesWithFace { get; }

        public double FrameInterval { get; }

        private static float[][]?[] Series(List<FrameRecord> frames)
        {
            var result = new float[][]?[frames.Count];
            for (var i = 0; i < frames.Count; i++)
            {
                result[i] = frames[i].Faces.FirstOrDefault()?.Landmarks;
            }

            return result;
        }
    }
}
